package indexer

import (
	"hash/fnv"
	"strings"
	"unicode/utf8"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/analysis"
	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/store"
)

// A line is site furniture («أخبار متعلقة», «جميع الحقوق محفوظة») when,
// normalised, it occurs in at least furnitureMinArticles articles and in at
// least furnitureMinShare of them. Both bounds matter: in a handful of
// articles three is already most of them, and in a large corpus a
// sentence quoted by three stories is content, not furniture. Lines longer
// than furnitureMaxRunes are never furniture: long repeated passages are
// syndicated text or boilerplate paragraphs worth keeping findable.
const (
	furnitureMinArticles = 3
	furnitureMinShare    = 0.02
	furnitureMaxRunes    = 200
)

// Furniture is the set of lines that recur across the articles of a
// corpus: navigation, related-links headings, copyright and share lines.
// They are left out of what represents a chunk to BM25 and the embedder,
// so that they neither match queries nor dilute a chunk's vector; the
// chunk text shown and cited is unchanged. A nil *Furniture is empty.
type Furniture struct {
	lines map[uint64]struct{}
}

// FurnitureCounter counts in how many articles each line occurs, to find
// the Furniture of a corpus.
type FurnitureCounter struct {
	counts   map[uint64]int32
	seen     map[uint64]bool // lines of the current article
	articles int
}

// NewFurnitureCounter returns an empty counter.
func NewFurnitureCounter() *FurnitureCounter {
	return &FurnitureCounter{counts: make(map[uint64]int32), seen: make(map[uint64]bool)}
}

// Add counts the lines of one article's text; a line repeated within one
// article counts once.
func (c *FurnitureCounter) Add(text string) {
	c.articles++
	clear(c.seen)
	for line := range strings.Lines(text) {
		if h, ok := lineKey(line); ok && !c.seen[h] {
			c.seen[h] = true
			c.counts[h]++
		}
	}
}

// Furniture returns the lines counted often enough to be furniture, and
// the lines known to be furniture before (see Furniture.Hashes).
func (c *FurnitureCounter) Furniture(known ...uint64) *Furniture {
	min := max(furnitureMinArticles, int(furnitureMinShare*float64(c.articles)+0.999))
	f := &Furniture{lines: make(map[uint64]struct{})}
	for h, n := range c.counts {
		if int(n) >= min {
			f.lines[h] = struct{}{}
		}
	}
	for _, h := range known {
		f.lines[h] = struct{}{}
	}
	return f
}

// Hashes returns the furniture lines' hashes, to be recorded and passed to
// a later FurnitureCounter.Furniture.
func (f *Furniture) Hashes() []uint64 {
	if f == nil {
		return nil
	}
	out := make([]uint64, 0, len(f.lines))
	for h := range f.lines {
		out = append(out, h)
	}
	return out
}

// Len is the number of distinct furniture lines.
func (f *Furniture) Len() int {
	if f == nil {
		return 0
	}
	return len(f.lines)
}

// lineKey hashes a line's normalised words, so that spacing, harakat,
// punctuation and letter variants do not hide a repeat. It reports false
// for lines that cannot be furniture: empty or too long.
func lineKey(line string) (uint64, bool) {
	line = strings.TrimSpace(line)
	if line == "" || utf8.RuneCountInString(line) > furnitureMaxRunes {
		return 0, false
	}
	// The hash is recorded in the index, so it must be the same in every
	// process: FNV, not maphash.
	h := fnv.New64a()
	words := 0
	for _, t := range analysis.Tokens(line) {
		h.Write([]byte(t.Norm))
		h.Write([]byte{' '})
		words++
	}
	return h.Sum64(), words > 0
}

// strip returns text without its furniture lines.
func (f *Furniture) strip(text string) string {
	if f.Len() == 0 {
		return text
	}
	var b strings.Builder
	kept := 0
	for line := range strings.Lines(text) {
		if h, ok := lineKey(line); ok {
			if _, furn := f.lines[h]; furn {
				continue
			}
		}
		b.WriteString(line)
		kept++
	}
	if kept == 0 {
		return ""
	}
	return b.String()
}

// Prepare is the package-level Prepare with f's lines left out of the
// terms.
func (f *Furniture) Prepare(a sanad.Article, opt chunk.Options) store.Put {
	spans := chunk.Split(a.Text, opt)
	p := store.Put{Article: a, Chunks: make([]sanad.Chunk, len(spans)), Lexical: make([]string, len(spans))}
	for i, sp := range spans {
		p.Chunks[i] = sanad.Chunk{ArticleID: a.ID, Index: i, Start: sp.Start, End: sp.End, Text: a.Text[sp.Start:sp.End]}
		p.Lexical[i] = f.embedText(a, p.Chunks[i])
	}
	return p
}

// embedText is what represents a chunk to the embedder and to BM25: its
// text without furniture, after the article's title. The title is part
// of what a chunk is about, for ranking; it is not part of the passage
// shown or cited.
func (f *Furniture) embedText(a sanad.Article, c sanad.Chunk) string {
	text := f.strip(c.Text)
	if a.Title == "" || c.Index > 0 && len(c.Text) > 0 && a.Title == c.Text {
		return text
	}
	return a.Title + "\n" + text
}
