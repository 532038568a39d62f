// Package chunk splits article text into sentences and packs whole
// sentences into passages small enough to embed, with exact byte offsets
// so that every passage, and every citation into it, can be found again in
// the original text.
//
// It knows Arabic punctuation (؟ ، ؛ ۔) and quotation marks (« »), does
// not break inside numbers (3.5, 1.000.000) or after abbreviations (Dr.,
// U.S., د.), and never cuts inside a UTF-8 sequence.
package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a half-open byte range [Start, End) of a text.
type Span struct{ Start, End int }

// Options controls Split.
type Options struct {
	// Size is the chunk budget in characters (runes). Size <= 0 means the
	// default.
	Size int
	// Overlap is how many characters of whole sentences from the end of a
	// chunk are repeated at the start of the next, so that a fact spanning
	// a chunk boundary is still found whole. It is clamped to [0, Size/2].
	Overlap int
}

// DefaultOptions returns Size 1000 and Overlap 200.
//
// 1000 characters of Arabic come to roughly 250–500 tokens in multilingual
// tokenizers (about 2–4 characters per token), which stays under the
// 512-token input limit of common embedding models. That margin matters:
// Ollama silently truncates longer input, so the end of an over-long
// chunk would be missing from its vector without any error. The overlap
// of about a fifth keeps one or two sentences of context across chunk
// boundaries.
func DefaultOptions() Options {
	return Options{Size: 1000, Overlap: 200}
}

// Split cuts text into chunks of whole sentences, each at most opt.Size
// runes, in order. Consecutive chunks share whole sentences totalling at
// most opt.Overlap runes. A sentence longer than Size is split at its last
// clause break (، ؛ , ;) that fits, else at its last space that fits, else
// hard at a rune boundary (never between a letter and its combining
// marks, when that can be helped). Every span is trimmed of surrounding
// whitespace, and together the spans cover every non-space character of
// text.
func Split(text string, opt Options) []Span {
	size, overlap := opt.Size, opt.Overlap
	if size <= 0 {
		size = DefaultOptions().Size
	}
	overlap = min(max(overlap, 0), size/2)

	var units []Span
	for _, s := range Sentences(text) {
		units = splitLong(text, s, size, units)
	}
	if len(units) == 0 {
		return nil
	}

	// Rune offsets of each unit's start and end, for O(1) chunk lengths.
	rs := make([]int, len(units))
	re := make([]int, len(units))
	pos, n := 0, 0
	for i, u := range units {
		n += utf8.RuneCountInString(text[pos:u.Start])
		rs[i] = n
		n += utf8.RuneCountInString(text[u.Start:u.End])
		re[i] = n
		pos = u.End
	}

	var out []Span
	for i := 0; i < len(units); {
		j := i + 1
		for j < len(units) && re[j]-rs[i] <= size {
			j++
		}
		out = append(out, Span{units[i].Start, units[j-1].End})
		if j == len(units) {
			break
		}
		// Step back over whole sentences for the overlap, but never to i
		// itself (so every chunk ends further on than the last) and never
		// so far that unit j no longer fits.
		k := j
		for k-1 > i && re[j-1]-rs[k-1] <= overlap && re[j]-rs[k-1] <= size {
			k--
		}
		i = k
	}
	return out
}

// splitLong appends s to dst, cut into pieces of at most size runes.
func splitLong(text string, s Span, size int, dst []Span) []Span {
	start := s.Start
	for start < s.End {
		lim, count := start, 0
		lastClause, lastSpace := -1, -1
		var prev rune
		for lim < s.End && count < size {
			r, n := utf8.DecodeRuneInString(text[lim:s.End])
			switch {
			case unicode.IsSpace(r):
				if lim > start {
					lastSpace = lim
				}
			case isClauseBreak(r):
				// A comma between digits is a thousands separator.
				next, _ := utf8.DecodeRuneInString(text[lim+n : s.End])
				if !(unicode.IsDigit(prev) && unicode.IsDigit(next)) {
					lastClause = lim + n
				}
			}
			prev = r
			lim += n
			count++
		}
		if lim == s.End {
			return append(dst, Span{start, s.End})
		}
		// The rune at lim does not fit; a space there is as good a cut as
		// one inside the budget.
		if r, _ := utf8.DecodeRuneInString(text[lim:s.End]); unicode.IsSpace(r) {
			lastSpace = lim
		}
		cut := lastClause
		if cut < 0 {
			cut = lastSpace
		}
		if cut < 0 {
			cut = hardCut(text, start, lim)
		}
		dst = append(dst, Span{start, trimRight(text, start, cut)})
		start = skipSpace(text, cut, s.End)
	}
	return dst
}

// hardCut returns lim moved back so that it does not separate a base
// character from the combining marks (harakat, accents) that follow it,
// unless the whole range [start, lim) is marks.
func hardCut(text string, start, lim int) int {
	for cut := lim; cut > start; {
		r, _ := utf8.DecodeRuneInString(text[cut:])
		if !unicode.Is(unicode.Mn, r) {
			return cut
		}
		_, n := utf8.DecodeLastRuneInString(text[start:cut])
		cut -= n
	}
	return lim
}

// trimRight returns end moved back over whitespace, but not before start.
func trimRight(text string, start, end int) int {
	return start + len(strings.TrimRightFunc(text[start:end], unicode.IsSpace))
}

// skipSpace returns i moved forward over whitespace, but not past end.
func skipSpace(text string, i, end int) int {
	return end - len(strings.TrimLeftFunc(text[i:end], unicode.IsSpace))
}

// isClauseBreak reports whether r separates clauses within a sentence.
func isClauseBreak(r rune) bool {
	switch r {
	case '،', '؛', ',', ';', '、', '，', '；':
		return true
	}
	return false
}
