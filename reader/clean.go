package reader

import (
	"strings"
	"unicode"

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
	for i, r := range s {
		switch {
		case r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			newlines++
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
			b.WriteRune(r)
			started = true
			newlines = 0
			space = false
		}
	}
	// NFC goes last: removing a character between a letter and its mark
	// can make a new composition possible.
	return norm.NFC.String(b.String())
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
