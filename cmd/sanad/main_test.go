package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/store"
)

var seeds = []string{
	"000_3adfa4c01c24ba1a.txt", "001_ef85649ef22ca4f1.txt", "002_cc0475db50e010b5.txt",
	"003_0070464269777607.txt", "004_6e9a7b7a5efe6263.txt",
}

// runSanad runs the command line in-process and returns its exit status and
// output streams.
func runSanad(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func mustSanad(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runSanad(t, args...)
	if code != 0 {
		t.Fatalf("sanad %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// copySeeds copies the seed articles into a fresh folder.
func copySeeds(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, s := range seeds {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", s))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, s), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type hitOut struct {
	Rank      int     `json:"rank"`
	Score     float64 `json:"score"`
	ArticleID string  `json:"article_id"`
	Title     string  `json:"title"`
	Source    string  `json:"source"`
	ChunkID   string  `json:"chunk_id"`
	Text      string  `json:"text"`
	Start     int     `json:"start"`
	End       int     `json:"end"`
}

func TestBuiltinIndexSearchRelated(t *testing.T) {
	corpus, db := copySeeds(t), t.TempDir()
	out := mustSanad(t, "--db", db, "index", corpus)
	if !strings.HasPrefix(out, "5 added, 0 updated, 0 unchanged") {
		t.Errorf("index summary: %q", out)
	}

	var hits []hitOut
	out = mustSanad(t, "--db", db, "search", "--json", "-k", "3", "معبر باب الهوى والمساعدات الإنسانية")
	if err := json.Unmarshal([]byte(out), &hits); err != nil {
		t.Fatalf("search --json: %v\n%s", err, out)
	}
	if len(hits) != 3 || hits[0].ArticleID != "002_cc0475db50e010b5.txt" || hits[0].Rank != 1 || hits[0].ChunkID == "" || hits[0].Source == "" || hits[0].Title == "" {
		t.Fatalf("search hits: %+v", hits)
	}
	text, _ := os.ReadFile(filepath.Join(corpus, hits[0].ArticleID))
	if !strings.Contains(string(text), hits[0].Text) || hits[0].End-hits[0].Start != len(hits[0].Text) {
		t.Errorf("hit text is not an exact passage of its article (bytes %d-%d)", hits[0].Start, hits[0].End)
	}

	out = mustSanad(t, "--db", db, "search", "الأسلحة الكيميائية")
	if !strings.Contains(out, "1. ") || !strings.Contains(out, "bytes ") {
		t.Errorf("human search output: %q", out)
	}

	var rel []struct {
		Rank      int    `json:"rank"`
		ArticleID string `json:"article_id"`
		Title     string `json:"title"`
		Source    string `json:"source"`
	}
	out = mustSanad(t, "--db", db, "related", "--json", "001_ef85649ef22ca4f1.txt")
	if err := json.Unmarshal([]byte(out), &rel); err != nil {
		t.Fatal(err)
	}
	if len(rel) != 4 {
		t.Errorf("related: %+v", rel)
	}
	for _, r := range rel {
		if r.ArticleID == "001_ef85649ef22ca4f1.txt" {
			t.Error("an article is related to itself")
		}
	}
	// The same article named by its path gives the same list.
	byPath := mustSanad(t, "--db", db, "related", "--json", filepath.Join(corpus, "001_ef85649ef22ca4f1.txt"))
	if byPath != out {
		t.Errorf("related by path differs from related by ID:\n%s\n%s", byPath, out)
	}

	out = mustSanad(t, "--db", db, "index", corpus)
	if !strings.HasPrefix(out, "0 added, 0 updated, 5 unchanged") {
		t.Errorf("re-index of unchanged files: %q", out)
	}
	out = mustSanad(t, "--db", db, "list")
	if strings.Count(out, "\n") != 5 {
		t.Errorf("list: %q", out)
	}
	out = mustSanad(t, "--db", db, "verify")
	if !strings.Contains(out, "ok") {
		t.Errorf("verify: %q", out)
	}
}

// embeddingServer speaks the OpenAI /v1/embeddings protocol as Ollama does,
// computing its vectors with the built-in embedder so that rankings are
// meaningful, and counts requests and inputs.
type embeddingServer struct {
	*httptest.Server
	delay    time.Duration // per request, set before use
	mu       sync.Mutex
	requests int
	inputs   int
}

func newEmbeddingServer(t *testing.T) *embeddingServer {
	s := &embeddingServer{}
	builtin := embed.NewBuiltin()
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if r.URL.Path != "/v1/embeddings" || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Input) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"message":"invalid input","type":"invalid_request_error","param":null,"code":null}}`))
			return
		}
		time.Sleep(s.delay)
		s.mu.Lock()
		s.requests++
		s.inputs += len(req.Input)
		s.mu.Unlock()
		vecs, _ := builtin.EmbedDocuments(r.Context(), req.Input)
		type item struct {
			Object    string    `json:"object"`
			Embedding []float32 `json:"embedding"`
			Index     int       `json:"index"`
		}
		data := make([]item, len(vecs))
		for i, v := range vecs {
			data[i] = item{"embedding", v, i}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model,
			"usage": map[string]int{"prompt_tokens": len(req.Input), "total_tokens": len(req.Input)}})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *embeddingServer) take() (requests, inputs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	requests, inputs = s.requests, s.inputs
	s.requests, s.inputs = 0, 0
	return requests, inputs
}

func TestOpenAIIncrementalReindexPruneAndMismatch(t *testing.T) {
	srv := newEmbeddingServer(t)
	corpus, db := copySeeds(t), t.TempDir()
	remote := []string{"--db", db, "--embedder", "openai", "--base-url", srv.URL + "/v1", "--embed-model", "test-embed"}
	args := func(a ...string) []string { return append(append([]string{}, remote...), a...) }

	mustSanad(t, args("index", "--batch-size", "8", corpus)...)
	requests, inputs := srv.take()
	var st struct {
		Chunks int `json:"chunks"`
	}
	json.Unmarshal([]byte(mustSanad(t, "--db", db, "stats", "--json")), &st)
	// Chunks are embedded per commit of up to 256, each split in requests
	// of 8: one partial request per commit at most.
	if inputs != st.Chunks || requests < (inputs+7)/8 || requests > (inputs+7)/8+inputs/256+1 {
		t.Errorf("embedded %d inputs in %d requests for %d chunks: not batched", inputs, requests, st.Chunks)
	}

	// Unchanged: zero embedding requests.
	out := mustSanad(t, args("index", corpus)...)
	if r, _ := srv.take(); r != 0 || !strings.Contains(out, "5 unchanged") {
		t.Errorf("unchanged re-index sent %d requests: %q", r, out)
	}

	// One file changed: only its chunks are embedded again.
	changed := filepath.Join(corpus, seeds[1])
	data, _ := os.ReadFile(changed)
	os.WriteFile(changed, append(data, []byte("\n\nوأضاف البيان أن المشاورات ستستمر الأسبوع المقبل في جنيف.\n")...), 0o644)
	out = mustSanad(t, args("index", corpus)...)
	_, inputs = srv.take()
	index, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	chunksOfChanged, _ := index.Chunks(seeds[1])
	var hits []hitOut
	json.Unmarshal([]byte(mustSanad(t, args("search", "--json", "المشاورات ستستمر الأسبوع المقبل في جنيف")...)), &hits)
	srv.take()
	if !strings.Contains(out, "1 updated") || !strings.Contains(out, "4 unchanged") || inputs == 0 || inputs != len(chunksOfChanged) {
		t.Errorf("after changing one file: %q; embedded %d inputs, the file has %d chunks", out, inputs, len(chunksOfChanged))
	}
	if len(hits) == 0 || hits[0].ArticleID != seeds[1] || !strings.Contains(hits[0].Text, "جنيف") {
		t.Errorf("the changed text is not searchable: %+v", hits)
	}

	// A file removed: --prune drops it.
	os.Remove(filepath.Join(corpus, seeds[4]))
	out = mustSanad(t, args("index", "--prune", corpus)...)
	if !strings.Contains(out, "1 removed") {
		t.Errorf("prune: %q", out)
	}
	if out := mustSanad(t, "--db", db, "list"); strings.Contains(out, seeds[4]) {
		t.Errorf("pruned article still listed: %q", out)
	}

	// Without flags, read commands follow the embedder that built the index;
	// another embedder is refused with advice instead of wrong results.
	code, _, errOut := runSanad(t, "--db", db, "--base-url", srv.URL+"/v1", "search", "سوريا")
	if code != 0 {
		t.Errorf("search with the index's own embedder: exit %d: %s", code, errOut)
	}
	code, _, errOut = runSanad(t, "--db", db, "--embedder", "builtin", "search", "سوريا")
	if code != 1 || !strings.Contains(errOut, `model "test-embed" (this command: "builtin-v1")`) || !strings.Contains(errOut, "--reindex") {
		t.Errorf("search with another embedder: exit %d: %s", code, errOut)
	}
	code, _, errOut = runSanad(t, "--db", db, "--embedder", "builtin", "index", corpus)
	if code != 1 || !strings.Contains(errOut, "--reindex") {
		t.Errorf("index with another embedder: exit %d: %s", code, errOut)
	}

	// A --reindex that fails leaves the old index whole: here the new
	// model is missing, as Ollama answers for a model never pulled.
	missing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"message":"model \"other-embed\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`))
	}))
	defer missing.Close()
	before := mustSanad(t, "--db", db, "list")
	code, _, errOut = runSanad(t, "--db", db, "--embedder", "openai", "--base-url", missing.URL+"/v1", "--embed-model", "other-embed", "index", "--reindex", corpus)
	if code != exitFailure || !strings.Contains(errOut, "as it was") {
		t.Errorf("failed --reindex: exit %d: %s", code, errOut)
	}
	if after := mustSanad(t, "--db", db, "list"); after != before {
		t.Errorf("a failed --reindex changed the index: %q, was %q", after, before)
	}
	if out := mustSanad(t, "--db", db, "stats"); !strings.Contains(out, "test-embed") {
		t.Errorf("stats after a failed --reindex: %q", out)
	}
	if _, err := os.Stat(filepath.Join(db, "rebuild")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed --reindex left its rebuild folder: %v", err)
	}
	mustSanad(t, "--db", db, "verify")

	mustSanad(t, "--db", db, "--embedder", "builtin", "index", "--reindex", corpus)
	if out := mustSanad(t, "--db", db, "stats"); !strings.Contains(out, "builtin builtin-v1") {
		t.Errorf("stats after --reindex: %q", out)
	}
	if after := mustSanad(t, "--db", db, "list"); after != before {
		t.Errorf("articles after --reindex: %q, want %q", after, before)
	}
	if _, err := os.Stat(filepath.Join(db, "rebuild")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the rebuild folder outlived --reindex: %v", err)
	}
	mustSanad(t, "--db", db, "verify")
}

func TestExitStatuses(t *testing.T) {
	db := t.TempDir()
	if code, _, _ := runSanad(t, "--db", db, "search", "-k", "0", "x"); code != exitUsage {
		t.Errorf("-k 0: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runSanad(t, "--no-such-flag"); code != exitUsage {
		t.Errorf("unknown flag: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runSanad(t, "--db", db, "index"); code != exitUsage {
		t.Errorf("index without paths: exit %d, want %d", code, exitUsage)
	}
	if code, _, errOut := runSanad(t, "--db", db, "search", "x"); code != exitFailure || !strings.Contains(errOut, "empty") {
		t.Errorf("search of an empty index: exit %d: %s", code, errOut)
	}

	corpus := copySeeds(t)
	os.WriteFile(filepath.Join(corpus, "bad.txt"), []byte("عنوان\n\xff\xfe نص"), 0o644)
	code, out, _ := runSanad(t, "--db", db, "index", corpus)
	if code != exitFailure || !strings.Contains(out, "5 added") || !strings.Contains(out, "bad.txt") {
		t.Errorf("index with one bad file: exit %d: %q", code, out)
	}
	if code, _, errOut := runSanad(t, "--db", db, "rm", "nope"); code != exitFailure || !strings.Contains(errOut, `"nope"`) {
		t.Errorf("rm of an unknown ID: exit %d: %s", code, errOut)
	}
	// A bad --reindex is refused before it empties the index.
	if code, _, _ := runSanad(t, "--db", db, "index", "--reindex", "--embedder", "openai", corpus); code != exitUsage {
		t.Errorf("--reindex with an incomplete embedder: exit %d, want %d", code, exitUsage)
	}
	if out := mustSanad(t, "--db", db, "list"); strings.Count(out, "\n") != 5 {
		t.Errorf("a refused --reindex emptied the index: %q", out)
	}
	if out := mustSanad(t, "--db", db, "rm", seeds[0], seeds[0]); !strings.Contains(out, "removed 1 article") {
		t.Errorf("rm of one ID given twice: %q", out)
	}
	mustSanad(t, "--db", db, "verify")
	if out := mustSanad(t, "--db", db, "list"); strings.Contains(out, seeds[0]) {
		t.Errorf("removed article still listed")
	}
}

// A file that is not indexed can be compared with the index, and a query
// can come on stdin.
func TestRelatedToANewFileAndQueryOnStdin(t *testing.T) {
	corpus, db := copySeeds(t), t.TempDir()
	mustSanad(t, "--db", db, "index", corpus)
	fresh := filepath.Join(t.TempDir(), "new.txt")
	os.WriteFile(fresh, []byte("معبر باب الهوى\n\nمدد مجلس الأمن فتح معبر باب الهوى لإيصال المساعدات الإنسانية إلى شمال سوريا، في خطوة وصفتها واشنطن باختراق دبلوماسي مع روسيا.\n"), 0o644)
	var rel []struct {
		ArticleID string `json:"article_id"`
	}
	out := mustSanad(t, "--db", db, "related", "--json", "-k", "2", fresh)
	if err := json.Unmarshal([]byte(out), &rel); err != nil || len(rel) != 2 || rel[0].ArticleID != "002_cc0475db50e010b5.txt" {
		t.Errorf("related to a new file: %v %s", err, out)
	}

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--db", db, "search", "--json", "-k", "1"}, strings.NewReader("معبر باب الهوى\n"), &stdout, &stderr)
	var hits []hitOut
	if code != 0 || json.Unmarshal(stdout.Bytes(), &hits) != nil || len(hits) != 1 || hits[0].ArticleID != "002_cc0475db50e010b5.txt" {
		t.Errorf("search from stdin: exit %d %s %s", code, stdout.String(), stderr.String())
	}
}
