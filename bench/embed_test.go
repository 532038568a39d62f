package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/philippgille/chromem-go"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/indexer"
	"github.com/sanadhq/sanad/internal/synth"
	"github.com/sanadhq/sanad/store"
)

// embedServer is a loopback OpenAI-compatible embeddings server with a
// fixed cost model, counting requests and the time it spent busy.
type embedServer struct {
	*httptest.Server
	perRequest, perInput time.Duration
	serial               bool // one request at a time, like Ollama serving one model

	mu       sync.Mutex
	requests int
	busy     time.Duration
}

func newEmbedServer(b testing.TB, perRequest, perInput time.Duration, serial bool) *embedServer {
	s := &embedServer{perRequest: perRequest, perInput: perInput, serial: serial}
	var serve sync.Mutex
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string `json:"model"`
			Input any    `json:"input"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		inputs := 1
		if list, ok := req.Input.([]any); ok {
			inputs = len(list)
		}
		if s.serial {
			serve.Lock()
			defer serve.Unlock()
		}
		// Busy time runs from taking the request to having answered it.
		start := time.Now()
		time.Sleep(s.perRequest + time.Duration(inputs)*s.perInput)
		type item struct {
			Object    string    `json:"object"`
			Embedding []float32 `json:"embedding"`
			Index     int       `json:"index"`
		}
		data := make([]item, inputs)
		for i := range data {
			v := make([]float32, 64)
			v[i%64] = 1
			data[i] = item{"embedding", v, i}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model})
		s.mu.Lock()
		s.requests++
		s.busy += time.Since(start)
		s.mu.Unlock()
	}))
	b.Cleanup(s.Close)
	return s
}

func (s *embedServer) take() (int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, busy := s.requests, s.busy
	s.requests, s.busy = 0, 0
	return r, busy
}

// embedChunks is the number of chunks of the embedding benchmarks: 10,000
// unless SANAD_BENCH_EMBED_CHUNKS says otherwise.
func embedChunks() int {
	if n, err := strconv.Atoi(os.Getenv("SANAD_BENCH_EMBED_CHUNKS")); err == nil && n > 0 {
		return n
	}
	return 10_000
}

// corpusDir writes n one-chunk synthetic articles as text files, once.
func corpusDir(b testing.TB, n int) string {
	dir := filepath.Join(os.TempDir(), "sanad-bench", fmt.Sprintf("files-%d", n))
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	os.MkdirAll(dir, 0o755)
	for i := range n {
		a := synth.Article(seed, i, textChars)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%07d.txt", i)), []byte(a.Title+"\n\n"+a.Text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	os.WriteFile(done, nil, 0o644)
	return dir
}

// oneChunk keeps every synthetic article in a single chunk, so that the
// number of chunks is the number of articles on both sides.
var oneChunk = chunk.Options{Size: 4000, Overlap: 0}

// BenchmarkEmbedThroughput indexes embedChunks() chunks against a server
// that takes 20 ms per request whatever its size: sanad's batched client
// against chromem-go's AddDocuments with its OpenAI-compatible embedding
// function, both with 2 requests in flight.
func BenchmarkEmbedThroughput(b *testing.B) {
	n := embedChunks()
	dir := corpusDir(b, n)
	srv := newEmbedServer(b, 20*time.Millisecond, 0, false)
	b.Run("sanad", func(b *testing.B) {
		for range b.N {
			emb, err := embed.NewOpenAI(embed.Options{BaseURL: srv.URL + "/v1", Model: "m", BatchSize: 32, Concurrency: 2})
			if err != nil {
				b.Fatal(err)
			}
			sum, err := indexer.Run(context.Background(), store.NewMemory(), emb, []string{dir}, indexer.Options{Chunk: oneChunk})
			if err != nil || sum.Chunks != n {
				b.Fatalf("%+v %v", sum, err)
			}
		}
		requests, _ := srv.take()
		b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	})
	b.Run("chromem", func(b *testing.B) {
		docs := make([]chromem.Document, n)
		for i := range docs {
			a := synth.Article(seed, i, textChars)
			docs[i] = chromem.Document{ID: a.ID, Content: a.Title + "\n\n" + a.Text}
		}
		normalized := true
		f := chromem.NewEmbeddingFuncOpenAICompat(srv.URL+"/v1", "", "m", &normalized)
		b.ResetTimer()
		for range b.N {
			col, err := chromem.NewDB().CreateCollection("c", nil, f)
			if err != nil {
				b.Fatal(err)
			}
			if err := col.AddDocuments(context.Background(), docs, 2); err != nil {
				b.Fatal(err)
			}
		}
		requests, _ := srv.take()
		b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	})
}

// BenchmarkKeepServerBusy indexes embedChunks() chunks against a server
// that serves one request at a time at 5 ms + 1 ms per input, and reports
// the run's wall time over the server's busy time: 1.0 means reading,
// chunking and writing hid entirely behind embedding.
func BenchmarkKeepServerBusy(b *testing.B) {
	n := embedChunks()
	dir := corpusDir(b, n)
	srv := newEmbedServer(b, 5*time.Millisecond, time.Millisecond, true)
	var wall, busy time.Duration
	for range b.N {
		db := b.TempDir()
		st, err := store.OpenWriter(context.Background(), db, false)
		if err != nil {
			b.Fatal(err)
		}
		emb, _ := embed.NewOpenAI(embed.Options{BaseURL: srv.URL + "/v1", Model: "m"})
		srv.take()
		start := time.Now()
		sum, err := indexer.Run(context.Background(), st, emb, []string{dir}, indexer.Options{Chunk: oneChunk})
		wall += time.Since(start)
		_, served := srv.take()
		busy += served
		st.Close()
		if err != nil || sum.Chunks != n {
			b.Fatalf("%+v %v", sum, err)
		}
	}
	b.ReportMetric(wall.Seconds()/busy.Seconds(), "wall/busy")
}

func indexerRun(st *store.Store, emb embed.Embedder, dir string) (indexer.Summary, error) {
	return indexer.Run(context.Background(), st, emb, []string{dir}, indexer.Options{Chunk: oneChunk})
}

// BenchmarkBuiltinPipeline is indexing the built-in way, without reading
// files: chunking, analysis, the built-in embedder, BM25 and the vector
// collection, on synthetic Arabic news. Run it with -cpu 1 for the rate
// per core.
func BenchmarkBuiltinPipeline(b *testing.B) {
	arts := make([]sanad.Article, 200)
	var size int64
	for i := range arts {
		arts[i] = synth.Article(seed, i, textChars)
		size += int64(len(arts[i].Text))
	}
	emb := embed.NewBuiltin()
	cfg := indexer.Config(emb.Info(), chunk.DefaultOptions())
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		puts := make([]store.Put, len(arts))
		for i, a := range arts {
			puts[i] = indexer.Prepare(a, chunk.DefaultOptions())
		}
		if err := indexer.Embed(context.Background(), emb, puts); err != nil {
			b.Fatal(err)
		}
		if _, err := store.NewMemory().Commit(cfg, puts, nil); err != nil {
			b.Fatal(err)
		}
	}
}
