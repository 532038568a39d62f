package analysis

import (
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Normalize returns s in the form every comparison in sanad is made on. It
// works on single words and on whole texts alike; whitespace and
// punctuation are kept, so byte lengths change but word order does not.
//
// Steps, in effect:
//   - NFKC, so presentation forms (ﻻ, ﷲ), ligatures and full-width
//     characters become the letters they stand for;
//   - Unicode case folding (full folding: ß → ss);
//   - removal of tatweel (U+0640), harakat and every other Arabic
//     combining mark (U+0610–061A, U+064B–065F, U+0670, U+06D6–06ED), and
//     of invisible format characters (ZWJ, ZWNJ, bidi marks, soft hyphen,
//     BOM) that scraped news text is full of;
//   - alef variants آ أ إ ٱ ٲ ٳ → ا; ى ئ ی (Persian yeh) → ي; ؤ → و;
//     ة → ه; ک (keheh) → ك. Hamza carriers are folded to their bare
//     letter because writers drop or misplace hamza so often that keeping
//     it loses more matches than it saves; a lone ء is kept;
//   - Arabic-Indic and Persian digits → ASCII digits, and the Arabic
//     decimal and thousands separators ٫ ٬ → . and , (٪ → %).
//
// Normalize is idempotent: Normalize(Normalize(s)) == Normalize(s).
func Normalize(s string) string {
	var stack [64]byte
	b, ok := appendFast(stack[:0], s)
	if !ok {
		b = appendSegments(b[:0], s)
	}
	if string(b) == s {
		return s
	}
	return string(b)
}

// appendSegments normalises s piece by piece, cutting after each ASCII
// whitespace, so that one odd character does not send a whole article down
// the slow path. Cutting there changes nothing: no normalisation step
// composes, folds or removes across an ASCII space or line break.
func appendSegments(dst []byte, s string) []byte {
	for len(s) > 0 {
		end := len(s)
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == ' ' || c == '\n' || c == '\t' || c == '\r' {
				end = i + 1
				break
			}
		}
		seg := s[:end]
		s = s[end:]
		m := len(dst)
		var ok bool
		if dst, ok = appendFast(dst, seg); !ok {
			dst = append(dst[:m], normalizeSlow(seg)...)
		}
	}
	return dst
}

// normalizeSlow handles text outside the fast path's repertoire. Removing
// marks and format characters can bring a base letter next to a combining
// mark it composes with, and folding can produce text that is no longer
// NFKC, so the steps are repeated until nothing changes; in practice the
// second round is already stable.
func normalizeSlow(s string) string {
	// A Caser keeps state, so each call needs its own to stay safe for
	// concurrent use.
	f := cases.Fold()
	for range 4 {
		t := norm.NFKC.String(s)
		t = f.String(t)
		t = norm.NFKC.String(t)
		t = string(appendMapped(make([]byte, 0, len(t)), t))
		if t == s {
			break
		}
		s = t
	}
	return s
}

// appendFast appends the normalised form of s to dst when every rune of s
// is one whose NFKC and case folding are trivial (ASCII, the common Arabic
// and Persian letters, marks, digits and punctuation); otherwise it reports
// false and the caller falls back to the slow path. The repertoire is
// chosen so that the result is exactly what the slow path would produce:
// none of these letters has a compatibility decomposition, and the only
// compositions they take part in (ا و ي with U+0653–0655) involve marks
// that are removed anyway, with the same result as mapping the composed
// letter.
func appendFast(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := decode(s, i)
		i += n
		if r >= 0x0600 && r <= 0x06FF {
			// Table lookup: Arabic is nearly all of the input.
			switch m := arabicFast[r-0x0600]; {
			case m == r:
				dst = append(dst, s[i-n:i]...)
			case m >= 0:
				dst = utf8.AppendRune(dst, m)
			case m == notFast:
				return dst, false
			}
			continue
		}
		if !fastRune(r) {
			return dst, false
		}
		if m := mapRune(r); m >= 0 {
			dst = utf8.AppendRune(dst, m)
		}
	}
	return dst, true
}

// notFast marks, in arabicFast, a rune the fast path cannot handle.
const notFast = -2

// arabicFast caches fastRune and mapRune for the Arabic block U+0600–06FF:
// the mapped rune, -1 to drop it, or notFast.
var arabicFast = func() (t [0x100]rune) {
	for i := range t {
		r := rune(0x0600 + i)
		t[i] = notFast
		if fastRune(r) {
			t[i] = mapRune(r)
		}
	}
	return t
}()

// fastRune reports whether r (non-ASCII) is in the fast path's repertoire.
func fastRune(r rune) bool {
	switch {
	case r >= 0x0610 && r <= 0x061A, // Arabic signs (marks)
		r >= 0x0621 && r <= 0x065F, // letters, tatweel, harakat
		r >= 0x0660 && r <= 0x0671, // digits, separators, superscript alef, alef wasla
		r >= 0x06D6 && r <= 0x06ED, // Quranic marks
		r >= 0x06F0 && r <= 0x06F9: // Persian digits
		return true
	}
	switch r {
	case 0x060C, 0x061B, 0x061F, 0x06D4, // ، ؛ ؟ ۔
		0x067E, 0x0686, 0x06A9, 0x06AF, 0x06CC, // پ چ ک گ ی
		0x00AB, 0x00BB, 0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022:
		return true
	}
	return false
}

// mapRune is the letter-level part of normalisation; -1 drops the rune.
// Its outputs map to themselves, which keeps Normalize idempotent.
func mapRune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	case r >= 0x064B && r <= 0x065F, r == 0x0670, r == 0x0640,
		r >= 0x0610 && r <= 0x061A,
		r >= 0x06D6 && r <= 0x06DC, r >= 0x06DF && r <= 0x06E4,
		r == 0x06E7, r == 0x06E8, r >= 0x06EA && r <= 0x06ED:
		return -1
	case r >= 0x0660 && r <= 0x0669:
		return '0' + r - 0x0660
	case r >= 0x06F0 && r <= 0x06F9:
		return '0' + r - 0x06F0
	}
	switch r {
	case 0x0622, 0x0623, 0x0625, 0x0671, 0x0672, 0x0673: // آ أ إ ٱ ٲ ٳ
		return 0x0627
	case 0x0649, 0x0626, 0x06CC: // ى ئ ی
		return 0x064A
	case 0x0624: // ؤ
		return 0x0648
	case 0x0629: // ة
		return 0x0647
	case 0x06A9: // ک
		return 0x0643
	case 0x066B: // ٫
		return '.'
	case 0x066C: // ٬
		return ','
	case 0x066A: // ٪
		return '%'
	case 0x00AD, 0x034F, 0x061C, 0x180E, 0xFEFF,
		0x200B, 0x200C, 0x200D, 0x200E, 0x200F,
		0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
		0x2060, 0x2061, 0x2062, 0x2063, 0x2064,
		0x2066, 0x2067, 0x2068, 0x2069:
		return -1
	}
	return r
}

// appendMapped applies mapRune to every rune of s.
func appendMapped(dst []byte, s string) []byte {
	for _, r := range s {
		if m := mapRune(r); m >= 0 {
			dst = utf8.AppendRune(dst, m)
		}
	}
	return dst
}
