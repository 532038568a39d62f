package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/analysis"
	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/indexer"
	"github.com/sanadhq/sanad/reader"
	"github.com/sanadhq/sanad/search"
	"github.com/sanadhq/sanad/store"
)

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// hitJSON is the flat shape of a search hit for scripts.
type hitJSON struct {
	Rank      int     `json:"rank"`
	Score     float64 `json:"score"`
	ArticleID string  `json:"article_id"`
	Title     string  `json:"title"`
	Source    string  `json:"source"`
	Date      string  `json:"date,omitempty"`
	ChunkID   string  `json:"chunk_id"`
	Text      string  `json:"text"`
	Start     int     `json:"start"`
	End       int     `json:"end"`
}

func flatHit(h sanad.Hit) hitJSON {
	return hitJSON{h.Rank, h.Score, h.Article.ID, h.Article.Title, h.Article.Source, h.Article.Date, h.Chunk.ID, h.Chunk.Text, h.Chunk.Start, h.Chunk.End}
}

func (a *app) printHits(query string, hits []sanad.Hit) error {
	if a.json {
		out := make([]hitJSON, len(hits))
		for i, h := range hits {
			out[i] = flatHit(h)
		}
		return a.printJSON(out)
	}
	if len(hits) == 0 {
		fmt.Fprintln(a.stdout, "no matching passages")
		return nil
	}
	hl := func(s string) string { return s }
	if a.color() {
		hl = highlighter(query)
	}
	for _, h := range hits {
		fmt.Fprintf(a.stdout, "%d. %s  [%.4f]\n   %s%s · %s · bytes %d-%d\n   %s\n\n",
			h.Rank, a.bold(h.Article.Title), h.Score, h.Article.Source, dateSuffix(h.Article.Date), h.Chunk.ID, h.Chunk.Start, h.Chunk.End, hl(oneLine(h.Chunk.Text)))
	}
	return nil
}

func dateSuffix(d string) string {
	if d == "" {
		return ""
	}
	return " · " + d
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// relatedJSON is the shape of a related article for scripts.
type relatedJSON struct {
	Rank      int         `json:"rank"`
	Score     float64     `json:"score"`
	ArticleID string      `json:"article_id"`
	Title     string      `json:"title"`
	Source    string      `json:"source"`
	Date      string      `json:"date,omitempty"`
	From      sanad.Chunk `json:"from"`
	To        sanad.Chunk `json:"to"`
}

func (a *app) printRelated(title string, rel []search.Relation) error {
	if a.json {
		out := make([]relatedJSON, len(rel))
		for i, r := range rel {
			out[i] = relatedJSON{r.Rank, r.Score, r.Article.ID, r.Article.Title, r.Article.Source, r.Article.Date, r.From, r.To}
		}
		return a.printJSON(out)
	}
	if len(rel) == 0 {
		fmt.Fprintln(a.stdout, "no related articles")
		return nil
	}
	fmt.Fprintf(a.stdout, "Related to: %s\n\n", title)
	for _, r := range rel {
		fmt.Fprintf(a.stdout, "%d. %s  [%.4f]\n   %s%s (%s)\n   this:  %s\n   that:  %s\n\n",
			r.Rank, a.bold(r.Article.Title), r.Score, r.Article.Source, dateSuffix(r.Article.Date), r.Article.ID,
			clip(oneLine(r.From.Text), 240), clip(oneLine(r.To.Text), 240))
	}
	return nil
}

// clip shortens s to at most n runes, on a word boundary where it can.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return cut + " …"
}

// color reports whether stdout gets ANSI styling.
func (a *app) color() bool {
	return os.Getenv("NO_COLOR") == "" && isTerminal(a.stdout)
}

func (a *app) bold(s string) string {
	if !a.color() {
		return s
	}
	return "\x1b[1m" + s + "\x1b[0m"
}

// highlighter marks the words of a text that share an analysed term with
// the query, so that أسلحة highlights الأسلحة and بالأسلحة alike.
func highlighter(query string) func(string) string {
	want := make(map[string]bool)
	for _, t := range analysis.Terms(query) {
		want[t] = true
	}
	return func(s string) string {
		var b strings.Builder
		last := 0
		for _, t := range analysis.Tokens(s) {
			if t.Term == "" || !want[t.Term] {
				continue
			}
			b.WriteString(s[last:t.Start])
			b.WriteString("\x1b[1;33m" + t.Text + "\x1b[0m")
			last = t.End
		}
		b.WriteString(s[last:])
		return b.String()
	}
}

// resolveArticle finds what `related` compares against: an indexed article
// by ID or by the path it was indexed from, or a file that is read, chunked
// and embedded now. It returns the ID to exclude from the results.
func (a *app) resolveArticle(cmd *cobra.Command, st *store.Store, emb embed.Embedder, arg string) (title, exclude string, chunks []sanad.Chunk, vectors [][]float32, err error) {
	if art, ok := st.Article(arg); ok {
		c, v := st.Chunks(arg)
		return art.Title, art.ID, c, v, nil
	}
	if _, statErr := os.Stat(arg); statErr != nil {
		return "", "", nil, nil, fmt.Errorf("related %s: %w (see 'sanad list' for IDs)", arg, errNotFound)
	}
	abs := absPath(arg)
	indexed := st.Articles()
	for _, art := range indexed {
		if absPath(art.Source) == abs {
			c, v := st.Chunks(art.ID)
			return art.Title, art.ID, c, v, nil
		}
	}
	arts, problems := reader.ReadFile(arg, "", reader.Options{})
	if len(problems) > 0 {
		return "", "", nil, nil, fmt.Errorf("related: %w", problems[0])
	}
	if len(arts) != 1 {
		return "", "", nil, nil, fmt.Errorf("related %s: the file holds %d articles; index it and name one by ID", arg, len(arts))
	}
	art := arts[0]
	cfg, _ := st.Config()
	puts := []store.Put{indexer.Prepare(art, chunk.Options{Size: cfg.ChunkSize, Overlap: cfg.ChunkOverlap})}
	if err := indexer.Embed(cmd.Context(), emb, puts); err != nil {
		return "", "", nil, nil, err
	}
	put := puts[0]
	for _, other := range indexed {
		if other.Hash == art.Hash {
			exclude = other.ID
		}
	}
	return art.Title, exclude, put.Chunks, put.Vectors, nil
}

// progress shows indexing progress on a terminal; elsewhere it does nothing.
type progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func (a *app) newProgress() *progress {
	if a.quiet || a.json || !isTerminal(a.stderr) {
		return &progress{}
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription("indexing"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("chunks"),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(),
	)
	return &progress{bar: bar}
}

func (p *progress) update(s indexer.Summary) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		return
	}
	p.bar.Describe(fmt.Sprintf("indexing: %d articles seen, %d added, %d updated", s.Seen, s.Added, s.Updated))
	p.bar.Set(s.Chunks)
}

func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Clear()
	}
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
	}
}
