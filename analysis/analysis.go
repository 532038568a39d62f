// Package analysis turns Arabic and English text into comparable terms: a
// Unicode-aware tokenizer that keeps exact byte offsets into the original
// text, a normaliser for the many ways the same Arabic word is written, a
// stopword list for mixed Arabic/English news, and a light stemmer.
//
// Everything in sanad that compares text (BM25, the built-in embedder,
// extractive answers, citation checks) goes through this package, so that
// a query and a passage agree on what a word is.
package analysis

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Token is one word of the input with its byte offsets into the original
// string.
type Token struct {
	// Text is the word as written in the input (input[Start:End]).
	Text string
	// Norm is Normalize(Text).
	Norm string
	// Term is Norm stemmed; "" when the word is a stopword or normalises
	// to nothing.
	Term string
	// Start and End are UTF-8 byte offsets into the input.
	Start, End int
}

// Tokens splits s into words. A word is a maximal run of letters, combining
// marks and digits of any script, with these refinements:
//   - a word starts with a letter or digit, so stray harakat or a lone
//     tatweel used as a dash ("غربي ـ روسي") are not words, while marks and
//     tatweel inside a word stay in it;
//   - ZWNJ and ZWJ stay inside a word (Persian writes them mid-word);
//   - a number keeps its separators: "3.5", "2,000", "1.000.000" and
//     "٣٫٥" are single tokens (a separator joins only digit to digit);
//   - Arabic letters and digits written together are split, because news
//     writes "الـ48" or "لـ2013" for "the 48" and "for 2013"; Latin
//     letter–digit runs such as "G7" or "COVID19" stay whole.
//
// Offsets are exact: s[t.Start:t.End] == t.Text for every token. Invalid
// UTF-8 bytes are never part of a word.
func Tokens(s string) []Token {
	var toks []Token
	for i := 0; ; {
		start, end := nextWord(s, i)
		if start == end {
			return toks
		}
		text := s[start:end]
		n := Normalize(text)
		t := Token{Text: text, Norm: n, Start: start, End: end}
		if n != "" && !IsStopword(n) {
			t.Term = Stem(n)
		}
		toks = append(toks, t)
		i = end
	}
}

// Terms returns the index terms of s: each word's Term in order, stopwords
// dropped, duplicates kept. It is the hot path of indexing and avoids
// per-word allocations: normalisation goes through a reused buffer and
// each distinct word is normalised, checked and stemmed once per call.
func Terms(s string) []string {
	out := make([]string, 0, len(s)/10+1)
	seen := make(map[string]string)
	var buf []byte
	for i := 0; ; {
		start, end := nextWord(s, i)
		if start == end {
			return out
		}
		i = end
		w := s[start:end]
		var ok bool
		buf, ok = appendFast(buf[:0], w)
		if !ok {
			out = appendSlowTerms(out, w)
			continue
		}
		if term, hit := seen[string(buf)]; hit {
			if term != "" {
				out = append(out, term)
			}
			continue
		}
		n := string(buf)
		term := termOf(n)
		seen[n] = term
		if term != "" {
			out = append(out, term)
		}
	}
}

// appendSlowTerms handles a word outside the fast path. NFKC can expand one
// character into several words (ﷺ is a whole phrase), so the normalised
// form is tokenized again; it is already normalised, so one level is
// enough.
func appendSlowTerms(out []string, w string) []string {
	n := Normalize(w)
	for i := 0; ; {
		start, end := nextWord(n, i)
		if start == end {
			return out
		}
		i = end
		if t := termOf(n[start:end]); t != "" {
			out = append(out, t)
		}
	}
}

// termOf is the Term of a normalised word.
func termOf(norm string) string {
	if norm == "" || IsStopword(norm) {
		return ""
	}
	return Stem(norm)
}

// Rune classes for the tokenizer.
const (
	clsOther  = iota // not part of a word
	clsLetter        // letter or mark outside the Arabic script
	clsArabic        // Arabic-script letter or mark
	clsDigit         // any number character
	clsJoin          // ZWNJ or ZWJ: inside a word only
	clsSep           // number separator: inside a number only
)

// asciiClass avoids the Unicode tables for the ASCII range.
var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clsLetter
		t[c-'a'+'A'] = clsLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit
	}
	t['.'] = clsSep
	t[','] = clsSep
	return t
}()

// arabicClass caches class for the Arabic block U+0600–06FF, where most
// of the input is.
var arabicClass = func() (t [0x100]uint8) {
	for i := range t {
		t[i] = classSlow(rune(0x0600 + i))
	}
	return t
}()

// class returns the tokenizer class of r.
func class(r rune) uint8 {
	if r < utf8.RuneSelf {
		return asciiClass[r]
	}
	if r >= 0x0600 && r <= 0x06FF {
		return arabicClass[r-0x0600]
	}
	return classSlow(r)
}

// classSlow is class from the Unicode tables.
func classSlow(r rune) uint8 {
	if r < utf8.RuneSelf {
		return asciiClass[r]
	}
	switch r {
	case 0x066B, 0x066C: // ٫ ٬
		return clsSep
	case 0x200C, 0x200D:
		return clsJoin
	case utf8.RuneError:
		return clsOther
	}
	switch {
	case unicode.IsDigit(r), unicode.IsNumber(r):
		return clsDigit
	case unicode.IsLetter(r), unicode.IsMark(r):
		// By block, not script: tatweel is Common and harakat Inherited.
		if r >= 0x0600 && r <= 0x06FF || r >= 0x0750 && r <= 0x077F || r >= 0x08A0 && r <= 0x08FF ||
			r >= 0xFB50 && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF {
			return clsArabic
		}
		return clsLetter
	}
	return clsOther
}

// startsWord reports whether r may begin a word: a letter or number, but
// not a mark or tatweel, which only extend one.
func startsWord(r rune, c uint8) bool {
	switch c {
	case clsDigit:
		return true
	case clsLetter, clsArabic:
		if r < utf8.RuneSelf || r >= 0x0621 && r <= 0x063A || r >= 0x0641 && r <= 0x064A {
			return true
		}
		return r != 0x0640 && !unicode.IsMark(r)
	}
	return false
}

// nextWord returns the byte range of the first word at or after i, or an
// empty range at len(s) when there is none.
func nextWord(s string, i int) (start, end int) {
	var prev uint8
	for i < len(s) {
		r, n := decode(s, i)
		c := class(r)
		if startsWord(r, c) {
			prev = c
			start = i
			i += n
			break
		}
		i += n
	}
	if i >= len(s) && prev == clsOther {
		return len(s), len(s)
	}
	for i < len(s) {
		r, n := decode(s, i)
		c := class(r)
		switch c {
		case clsOther:
			return start, i
		case clsSep, clsJoin:
			// Only between two runes that continue the word.
			r2, n2 := decode(s, i+n)
			c2 := class(r2)
			if c == clsSep && (prev != clsDigit || c2 != clsDigit) ||
				c == clsJoin && (prev == clsDigit || c2 != clsLetter && c2 != clsArabic) {
				return start, i
			}
			i += n + n2
			prev = c2
			continue
		case clsDigit:
			if prev == clsArabic {
				return start, i
			}
		case clsArabic:
			if prev == clsDigit {
				return start, i
			}
		}
		prev = c
		i += n
	}
	return start, i
}

// decode is utf8.DecodeRuneInString at byte i with an ASCII fast path; past
// the end it returns utf8.RuneError with width 0.
func decode(s string, i int) (rune, int) {
	if i >= len(s) {
		return utf8.RuneError, 0
	}
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	// Two-byte sequences cover Arabic; decode them inline.
	if c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
		return rune(c&0x1F)<<6 | rune(s[i+1]&0x3F), 2
	}
	return utf8.DecodeRuneInString(s[i:])
}

// isArabicWord reports whether w (normalised) starts with an Arabic letter.
func isArabicWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return r >= 0x0600 && r <= 0x06FF
}

// isASCIIWord reports whether w consists of ASCII lowercase letters only.
func isASCIIWord(w string) bool {
	return w != "" && strings.IndexFunc(w, func(r rune) bool { return r < 'a' || r > 'z' }) < 0
}

// Version names the analyzer's rules. An index records it, because terms
// produced under other rules would not match the ones it holds.
const Version = "arabic-light-v2"

// gramMarker starts every n-gram term of LexicalTerms. It can never occur
// in a word, so n-grams and stems stay apart in one index.
const gramMarker = "#"

// Lengths of the character n-grams of LexicalTerms.
const (
	minLexGram = 3
	maxLexGram = 4
)

// LexicalTerms returns the terms a lexical (BM25) index keeps for s: its
// Terms, then the character 3- and 4-grams of each non-stopword's
// normalised form framed by word boundaries ("_سوريا_" gives "#_سو",
// "#سور", ...; a word too short for an n-gram gives itself framed).
//
// The n-grams match what the light stemmer cannot: verb forms (تتركز and
// يتركز), words with clitics it leaves on, and spelling variants of
// names. Both kinds of term share one BM25 field: on ARCD this ranks
// as well as two fused fields, and it keeps the index one structure.
func LexicalTerms(s string) []string {
	out := make([]string, 0, len(s)/8+1)
	grams := make([]string, 0, len(s))
	add := func(terms []string) {
		if len(terms) > 0 {
			out = append(out, terms[0])
			grams = append(grams, terms[1:]...)
		}
	}
	var buf []byte
	for i := 0; ; {
		start, end := nextWord(s, i)
		if start == end {
			return append(out, grams...)
		}
		i = end
		var ok bool
		if buf, ok = appendFast(buf[:0], s[start:end]); ok {
			add(lexicalWord(buf))
			continue
		}
		// As in Terms: NFKC can make several words of one character.
		n := Normalize(s[start:end])
		for j := 0; ; {
			ws, we := nextWord(n, j)
			if ws == we {
				break
			}
			j = we
			add(lexicalWord([]byte(n[ws:we])))
		}
	}
}

// lexicalCache maps a normalised word to its LexicalTerms: its Term, then
// its n-grams; empty for a stopword. News vocabularies repeat heavily, so
// the terms of a word are built once and shared, not once per occurrence.
var lexicalCache = struct {
	sync.RWMutex
	words map[string][]string
}{words: make(map[string][]string)}

// lexicalCacheMax bounds the cache; past it, the cache starts afresh.
const lexicalCacheMax = 1 << 18

func lexicalWord(norm []byte) []string {
	lexicalCache.RLock()
	terms, ok := lexicalCache.words[string(norm)]
	lexicalCache.RUnlock()
	if ok {
		return terms
	}
	word := string(norm)
	terms = []string{}
	if term := termOf(word); term != "" {
		terms = append(terms, term)
		runes := []rune("_" + word + "_")
		for n := minLexGram; n <= maxLexGram; n++ {
			if len(runes) <= n {
				terms = append(terms, gramMarker+string(runes))
				continue
			}
			for i := 0; i+n <= len(runes); i++ {
				terms = append(terms, gramMarker+string(runes[i:i+n]))
			}
		}
	}
	lexicalCache.Lock()
	if len(lexicalCache.words) >= lexicalCacheMax {
		lexicalCache.words = make(map[string][]string)
	}
	lexicalCache.words[word] = terms
	lexicalCache.Unlock()
	return terms
}
