package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentences returns the sentence spans of text, in order, non-overlapping
// and trimmed of surrounding whitespace.
//
// A sentence ends after . ! ? ؟ ۔ ؞ ؝ or … (or a run of them, such as
// "?!" or "..."), together with any closing quotes or brackets that follow
// (» ” " ' ) ]), provided the next character is whitespace, the end of the
// text, or an Arabic letter (Arabic news often omits the space after a
// full stop). A full stop does not end a sentence inside a number (3.5,
// 1.000.000), after a single letter (initials such as "A.", "U.S.", and
// Arabic abbreviations such as د. for doctor or م. for engineer or the
// Gregorian year), after a title or common abbreviation (Mr., Dr., etc.,
// Jan.), or when a lowercase Latin letter follows.
//
// Every line break also ends a sentence: news text is commonly one
// paragraph per line, and headlines, bylines and datelines carry no final
// punctuation at all, so a paragraph never runs into the next.
func Sentences(text string) []Span {
	var out []Span
	start, last := -1, 0 // current sentence start, and end of its last non-space rune
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if isLineBreak(r) || unicode.IsSpace(r) {
			if isLineBreak(r) && start >= 0 {
				out = append(out, Span{start, last})
				start = -1
			}
			i += n
			continue
		}
		if start < 0 {
			start = i
		}
		i += n
		last = i
		if !isTerminal(r) {
			continue
		}
		j := i
		for j < len(text) {
			r2, n2 := utf8.DecodeRuneInString(text[j:])
			if !isTerminal(r2) && !isCloser(r2) {
				break
			}
			j += n2
		}
		if endsSentence(text, start, i-n, j) {
			out = append(out, Span{start, j})
			start = -1
			i = j
		}
	}
	if start >= 0 {
		out = append(out, Span{start, last})
	}
	return out
}

// endsSentence decides whether the terminal punctuation at p, whose run of
// terminals and closers ends at j, ends the sentence that began at start.
func endsSentence(text string, start, p, j int) bool {
	if j == len(text) {
		return true
	}
	next, _ := utf8.DecodeRuneInString(text[j:])
	switch {
	case unicode.IsSpace(next):
	case isArabicLetter(next):
	default:
		return false
	}
	if text[p] != '.' || j > p+1 && text[p+1] == '.' {
		return true // ! ? ؟ … and "..." always end a sentence
	}
	// A lone full stop: look at the word before it and the one after.
	word := text[start:p]
	word = word[len(strings.TrimRightFunc(word, unicode.IsLetter)):]
	if word == "" {
		// "1. " opening a numbered item is not a sentence of its own.
		return strings.TrimLeftFunc(text[start:p], unicode.IsDigit) != ""
	}
	if utf8.RuneCountInString(word) == 1 {
		return false
	}
	w := strings.ToLower(word)
	if _, ok := titles[w]; ok {
		return false
	}
	after := strings.TrimLeftFunc(text[j:], unicode.IsSpace)
	a, _ := utf8.DecodeRuneInString(after)
	if unicode.IsLower(a) && a < 0x0250 {
		return false // "approx. five", "Apple Inc. said"
	}
	if _, ok := abbreviations[w]; ok && unicode.IsDigit(a) {
		return false // "Jan. 5", "No. 3"
	}
	return true
}

// titles precede a name, so a full stop after them never ends a sentence.
var titles = set(`mr mrs ms messrs dr prof sr jr st gen lt col maj capt cmdr sgt
	adm gov sen rep pres rev hon mt ft vs`)

// abbreviations end a sentence only when what follows looks like a new
// one (a capital letter, not a lowercase word or a number).
var abbreviations = set(`etc inc ltd co corp dept univ approx est no nos vol
	fig pp jan feb mar apr jun jul aug sep sept oct nov dec`)

func set(words string) map[string]struct{} {
	m := make(map[string]struct{})
	for _, w := range strings.Fields(words) {
		m[w] = struct{}{}
	}
	return m
}

// isTerminal reports whether r can end a sentence.
func isTerminal(r rune) bool {
	switch r {
	case '.', '!', '?', '؟', '۔', '؞', '؝', '…', '‼', '⁇', '⁈', '⁉', '。', '！', '？':
		return true
	}
	return false
}

// isCloser reports whether r closes a quotation or bracket, and so stays
// with the sentence it follows.
func isCloser(r rune) bool {
	switch r {
	case '»', '"', '\'', ')', ']', '}', '”', '’', '›', '」', '』', '）':
		return true
	}
	return false
}

// isLineBreak reports whether r ends a line.
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// isArabicLetter reports whether r is a letter of the Arabic block.
func isArabicLetter(r rune) bool {
	return r >= 0x0620 && r <= 0x064A || r >= 0x066E && r <= 0x06D3 || r >= 0x06FA && r <= 0x06FF
}
