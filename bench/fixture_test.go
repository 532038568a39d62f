package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/philippgille/chromem-go"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/analysis"
	"github.com/sanadhq/sanad/internal/synth"
	"github.com/sanadhq/sanad/store"
)

// The synthetic corpus of the performance issue: chunks of about 1,200
// characters of Arabic with 768-dimension vectors, one chunk per article.
const (
	seed      = 20261122
	dims      = 768
	textChars = 1200
)

// size is the number of chunks in the large fixtures: 100,000 unless
// SANAD_BENCH_CHUNKS says otherwise (for a quick run).
func size() int {
	if n, err := strconv.Atoi(os.Getenv("SANAD_BENCH_CHUNKS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

var benchConfig = store.Config{Embedder: "openai", Model: "synthetic-768", Dimensions: dims, ChunkSize: 2000, ChunkOverlap: 0, Analyzer: analysis.Version}

// cacheDir keeps fixtures between runs: building them takes longer than
// the benchmarks.
func cacheDir(b testing.TB, name string) string {
	dir := filepath.Join(os.TempDir(), "sanad-bench", fmt.Sprintf("%s-%d-%s", name, size(), analysis.Version))
	return dir
}

// vectorOf is the synthetic vector of chunk i.
func vectorOf(i int) []float32 {
	return synth.Vector(rand.New(rand.NewPCG(seed+1, uint64(i))), dims)
}

func put(i int) store.Put {
	a := synth.Article(seed, i, textChars)
	return store.Put{
		Article: a,
		Chunks:  []sanad.Chunk{{ArticleID: a.ID, Start: 0, End: len(a.Text), Text: a.Text}},
		Lexical: []string{a.Title + "\n" + a.Text},
		Vectors: [][]float32{vectorOf(i)},
	}
}

// sanadFixture returns a sanad index of size() chunks, building it once.
func sanadFixture(b testing.TB) string {
	dir := cacheDir(b, "sanad")
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	st, err := store.OpenWriter(context.Background(), dir, false)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	n := size()
	for base := 0; base < n; base += 5000 {
		puts := make([]store.Put, 0, 5000)
		for i := base; i < min(base+5000, n); i++ {
			puts = append(puts, put(i))
		}
		if _, err := st.Commit(benchConfig, puts, nil); err != nil {
			b.Fatal(err)
		}
	}
	// An index run ends with a compaction; so does the fixture.
	if _, err := st.Compact(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// chromemFixture returns a chromem-go persistent DB of the same chunks,
// built the way its README shows.
func chromemFixture(b testing.TB) string {
	dir := cacheDir(b, "chromem")
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	db, err := chromem.NewPersistentDB(dir, false)
	if err != nil {
		b.Fatal(err)
	}
	col, err := db.CreateCollection("chunks", nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	n := size()
	for base := 0; base < n; base += 5000 {
		docs := make([]chromem.Document, 0, 5000)
		for i := base; i < min(base+5000, n); i++ {
			a := synth.Article(seed, i, textChars)
			docs = append(docs, chromem.Document{ID: a.ID + "#0", Metadata: map[string]string{"article": a.ID}, Embedding: vectorOf(i), Content: a.Text})
		}
		if err := col.AddDocuments(context.Background(), docs, 4); err != nil {
			b.Fatal(err)
		}
	}
	os.WriteFile(done, nil, 0o644)
	return dir
}
