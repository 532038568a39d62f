package reader

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Clean normalises article text without changing what it says: the result
// is NFC, has "\n" line ends, single spaces, no spaces at either end of a
// line, at most one blank line between paragraphs, and no leading or
// trailing whitespace.
//
// Removed: the byte order mark (U+FEFF) anywhere, control characters,
// the soft hyphen (U+00AD), the invisible separators U+200B and U+2060,
// and the bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069). Tabs and every other Unicode space become a space; CR,
// CRLF, NEL and U+2028 end a line and U+2029 ends a paragraph. Arabic
// diacritics, tatweel, ZWNJ (U+200C, meaningful in Persian) and ZWJ
// (U+200D) are kept. Invalid UTF-8 bytes become U+FFFD, so the result is
// always valid UTF-8.
func Clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	newlines := 0 // line breaks seen since the last written rune
	space := false
	started := false
	// NFC can only change text that has combining marks or characters
	// outside ASCII and the Arabic letters; the check is skipped otherwise,
	// since it costs more than the rest of Clean.
	mayCompose := false
	// separate writes what the whitespace before a kept rune has become.
	separate := func() {
		if started {
			switch {
			case newlines > 1:
				b.WriteString("\n\n")
			case newlines == 1:
				b.WriteByte('\n')
			case space:
				b.WriteByte(' ')
			}
		}
		started = true
		newlines = 0
		space = false
	}
	for i := 0; i < len(s); {
		// Fast path for what news text is mostly made of: printable ASCII
		// and the Arabic block, which need no table lookups.
		if c := s[i]; c > ' ' && c < 0x7f {
			separate()
			b.WriteByte(c)
			i++
			continue
		} else if (c == 0xd8 || c == 0xd9 || c == 0xda || c == 0xdb) && i+1 < len(s) && s[i+1]&0xc0 == 0x80 && !(c == 0xd8 && s[i+1] == 0x9c) {
			// U+0600–U+06FF, except U+061C (Arabic letter mark).
			separate()
			b.WriteString(s[i : i+2])
			if arabicMark(rune(c&0x1f)<<6 | rune(s[i+1]&0x3f)) {
				mayCompose = true
			}
			i += 2
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\r':
			if i+1 >= len(s) || s[i+1] != '\n' {
				newlines++
			}
		case r == '\n' || r == '\u0085' || r == '\u2028':
			newlines++
		case r == '\u2029':
			newlines += 2
		case unicode.IsSpace(r):
			space = true
		case unicode.IsControl(r) || invisible(r):
			// Dropped without breaking a run of spaces, so "a \u200b b"
			// still becomes "a b".
		default:
			separate()
			b.WriteRune(r)
			if r >= 0x300 {
				mayCompose = true
			}
		}
		i += size
	}
	// NFC goes last: removing a character between a letter and its mark
	// can make a new composition possible.
	out := b.String()
	if !mayCompose || norm.NFC.IsNormalString(out) {
		return out
	}
	return norm.NFC.String(out)
}

// arabicMark reports whether r, in the Arabic block, is a combining mark:
// harakat, Quranic marks and the superscript alef.
func arabicMark(r rune) bool {
	return r >= 0x610 && r <= 0x61a || r >= 0x64b && r <= 0x65f || r == 0x670 || r >= 0x6d6 && r <= 0x6ed
}

// invisible reports whether r is a format character that carries no
// meaning in indexed text. ZWNJ and ZWJ are deliberately absent.
func invisible(r rune) bool {
	switch r {
	case '\uFEFF', '\u00AD', '\u200B', '\u2060', '\u061C', '\u200E', '\u200F':
		return true
	}
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

// oneLine cleans s and joins its lines, for titles, IDs and dates.
func oneLine(s string) string {
	return strings.Join(strings.Fields(Clean(s)), " ")
}

// hasWord reports whether s has a letter or a digit, so that a file of
// only punctuation or diacritics is not indexed as an article.
func hasWord(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			return true
		}
	}
	return false
}
