package bench

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/philippgille/chromem-go"

	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/internal/synth"
	"github.com/sanadhq/sanad/search"
	"github.com/sanadhq/sanad/store"
)

const query = "ارتفاع أسعار النفط بعد قرار أوبك خفض الإنتاج"

// queryVector is the synthetic embedding of every query.
func queryVector() []float32 { return synth.Vector(rand.New(rand.NewPCG(seed+2, 0)), dims) }

// queryServer answers every embeddings request with queryVector.
func queryServer(b testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "model": "synthetic-768",
			"data": []map[string]any{{"object": "embedding", "index": 0, "embedding": queryVector()}}})
	}))
	b.Cleanup(srv.Close)
	return srv
}

func buildBinary(b testing.TB) string {
	bin := filepath.Join(b.TempDir(), "sanad")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/sanad").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// BenchmarkColdSearch runs `sanad search` in a fresh process on the large
// index, against chromem-go reloading its persistent DB and querying it.
// For sanad it also reports the process's peak RSS against the bytes of
// the vectors and texts it holds.
func BenchmarkColdSearch(b *testing.B) {
	b.Run("sanad", func(b *testing.B) {
		dir := sanadFixture(b)
		bin := buildBinary(b)
		srv := queryServer(b)
		var rss int64
		b.ResetTimer()
		for range b.N {
			cmd := exec.Command(bin, "--db", dir, "--embedder", "openai", "--base-url", srv.URL+"/v1", "--embed-model", "synthetic-768", "search", "-k", "10", "--json", query)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
			rss = max(rss, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss*1024)
		}
		b.StopTimer()
		st, err := store.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		stats := st.Stats()
		payload := float64(stats.Chunks)*dims*4 + float64(textBytes(st))
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(rss)/payload, "RSS/(vectors+text)")
	})
	b.Run("chromem", func(b *testing.B) {
		dir := chromemFixture(b)
		q := queryVector()
		b.ResetTimer()
		for range b.N {
			db, err := chromem.NewPersistentDB(dir, false)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.GetCollection("chunks", nil).QueryEmbedding(context.Background(), q, 10, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func textBytes(st *store.Store) int64 {
	var n int64
	for _, a := range st.Articles() {
		full, _ := st.Article(a.ID)
		n += int64(len(full.Text))
	}
	return n
}

// fixedEmbedder embeds every query as queryVector, so that warm queries
// measure ranking alone.
type fixedEmbedder struct{}

func (fixedEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = queryVector()
	}
	return out, nil
}
func (fixedEmbedder) EmbedQuery(context.Context, string) ([]float32, error) {
	return queryVector(), nil
}
func (fixedEmbedder) Info() embed.Info {
	return embed.Info{Kind: "openai", Model: "synthetic-768", Dimensions: dims}
}

// BenchmarkWarmQuery compares one top-10 query in a process that has the
// index open: sanad's vector search and its hybrid search against
// chromem-go's QueryEmbedding on the same vectors.
func BenchmarkWarmQuery(b *testing.B) {
	q := queryVector()
	b.Run("sanad-vector", func(b *testing.B) {
		st, err := store.Open(sanadFixture(b))
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if _, err := st.SearchVector(context.Background(), q, 10, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sanad-hybrid", func(b *testing.B) {
		st, err := store.Open(sanadFixture(b))
		if err != nil {
			b.Fatal(err)
		}
		s := search.Searcher{Store: st, Embedder: fixedEmbedder{}}
		b.ResetTimer()
		for range b.N {
			if _, err := s.Search(context.Background(), query, 10, search.Hybrid, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("chromem", func(b *testing.B) {
		db, err := chromem.NewPersistentDB(chromemFixture(b), false)
		if err != nil {
			b.Fatal(err)
		}
		col := db.GetCollection("chunks", nil)
		b.ResetTimer()
		for range b.N {
			if _, err := col.QueryEmbedding(context.Background(), q, 10, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIncrementalAdd adds 10 articles to the large index, with their
// vectors already computed: open for writing, commit, close. It reports the
// bytes the commit wrote against the size of the index.
func BenchmarkIncrementalAdd(b *testing.B) {
	dir := sanadFixture(b)
	puts := make([]store.Put, 10)
	ids := make([]string, 10)
	for i := range puts {
		puts[i] = put(size() + i)
		ids[i] = puts[i].Article.ID
	}
	var written int64
	var disk int64
	b.ResetTimer()
	for range b.N {
		st, err := store.OpenWriter(context.Background(), dir, false)
		if err != nil {
			b.Fatal(err)
		}
		n, err := st.Commit(benchConfig, puts, nil)
		if err != nil {
			b.Fatal(err)
		}
		written = n
		disk = st.Stats().DiskBytes
		st.Close()
		b.StopTimer()
		// Take them out again, so that every iteration adds to the same index.
		st, _ = store.OpenWriter(context.Background(), dir, false)
		st.Commit(benchConfig, nil, ids)
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(written), "bytes-written")
	b.ReportMetric(float64(disk), "index-bytes")
}

// countingEmbedder counts the calls that would reach a model server.
type countingEmbedder struct {
	embed.Embedder
	calls int
}

func (c *countingEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	c.calls++
	return c.Embedder.EmbedDocuments(ctx, texts)
}

// BenchmarkUnchangedReindex indexes 10,000 articles once, then measures
// indexing them again unchanged: no embedding call may be made.
func BenchmarkUnchangedReindex(b *testing.B) {
	files := corpusDir(b, 10_000)
	db := b.TempDir()
	st, err := store.OpenWriter(context.Background(), db, false)
	if err != nil {
		b.Fatal(err)
	}
	emb := &countingEmbedder{Embedder: embed.NewBuiltin()}
	if _, err := indexerRun(st, emb, files); err != nil {
		b.Fatal(err)
	}
	st.Close()
	b.ResetTimer()
	for range b.N {
		st, err := store.OpenWriter(context.Background(), db, false)
		if err != nil {
			b.Fatal(err)
		}
		emb.calls = 0
		sum, err := indexerRun(st, emb, files)
		st.Close()
		if err != nil || sum.Unchanged != 10_000 || emb.calls != 0 {
			b.Fatalf("%+v, %d embedding calls, %v", sum, emb.calls, err)
		}
	}
	b.ReportMetric(float64(emb.calls), "embed-calls")
}

// BenchmarkLexicalQuery is the BM25 half of a hybrid query on the large
// index.
func BenchmarkLexicalQuery(b *testing.B) {
	st, err := store.Open(sanadFixture(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		st.SearchLexical(query, 50, "")
	}
}
