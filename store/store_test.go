package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sanadhq/sanad"
)

var testConfig = Config{Embedder: "test", Model: "axis-v1", Dimensions: 4, ChunkSize: 100, ChunkOverlap: 0, Analyzer: "test"}

// put makes an article whose chunks are its lines, each with a unit vector
// along the axis given by the line's first byte, and terms its words.
func put(id string, lines ...string) Put {
	text := strings.Join(lines, "\n")
	p := Put{Article: sanad.Article{ID: id, Title: "title " + id, Source: id + ".txt", Date: "2024-01-02", Text: text, Hash: "h-" + text}}
	off := 0
	for i, l := range lines {
		p.Chunks = append(p.Chunks, sanad.Chunk{Index: i, Start: off, End: off + len(l)})
		off += len(l) + 1
		v := make([]float32, 4)
		v[int(l[0])%4] = 1
		p.Vectors = append(p.Vectors, v)
		p.Lexical = append(p.Lexical, l)
	}
	return p
}

func mustWriter(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenWriter(context.Background(), dir, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCommitSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("a", "alpha one", "beta two"), put("b", "gamma three")}, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 || r.Stats().Chunks != 3 {
		t.Fatalf("reopened: %d articles %d chunks, want 2 and 3", r.Len(), r.Stats().Chunks)
	}
	a, ok := r.Article("a")
	if !ok || a.Title != "title a" || a.Date != "2024-01-02" || a.Text != "alpha one\nbeta two" {
		t.Errorf("article a after reopen = %+v", a)
	}
	cfg, ok := r.Config()
	if !ok || cfg != testConfig {
		t.Errorf("config after reopen = %+v, want %+v", cfg, testConfig)
	}
	chunks, vecs := r.Chunks("a")
	if len(chunks) != 2 || chunks[1].Text != "beta two" || chunks[1].ID != "a#1" || len(vecs) != 2 || vecs[1][int('b')%4] != 1 {
		t.Errorf("chunks of a = %+v, vectors %v", chunks, vecs)
	}
}

func TestReplaceDeleteAndCompact(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	for i := 0; i < 30; i++ {
		long := strings.Repeat("word ", 20000)
		if _, err := w.Commit(testConfig, []Put{put("a", fmt.Sprintf("a%d %s", i, long)), put("b", "b stays")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(testConfig, nil, []string{"b", "missing"}); err != nil {
		t.Fatal(err)
	}
	before := w.Stats()
	compacted, err := w.Compact()
	if err != nil || !compacted {
		t.Fatalf("Compact = %v, %v; want a compaction of a log of %d bytes", compacted, err, before.LogBytes)
	}
	after := w.Stats()
	if after.DiskBytes >= before.DiskBytes/10 || after.Segments != 1 || after.SnapshotBytes == 0 || after.LogChunks != 0 {
		t.Errorf("after compaction: %+v (before %+v)", after, before)
	}
	// Writing after a compaction appends to the new log; replacing an
	// article of the snapshot hides the snapshot's copy.
	if _, err := w.Commit(testConfig, []Put{put("c", "c new"), put("a", "a replaced")}, nil); err != nil {
		t.Fatal(err)
	}
	check := func(r *Store, when string) {
		t.Helper()
		a, _ := r.Article("a")
		if r.Len() != 2 || a.Text != "a replaced" {
			t.Errorf("%s: %d articles, a = %.10q", when, r.Len(), a.Text)
		}
		if _, ok := r.Article("b"); ok {
			t.Errorf("%s: deleted article b came back", when)
		}
		if hits := r.SearchLexical("a29", 5, ""); len(hits) != 0 {
			t.Errorf("%s: replaced text still searchable: %+v", when, hits)
		}
		if hits := r.SearchLexical("replaced", 5, ""); len(hits) != 1 || hits[0].Chunk.ID != "a#0" {
			t.Errorf("%s: new text not searchable: %+v", when, hits)
		}
		if st := r.Stats(); st.Chunks != 2 {
			t.Errorf("%s: %d chunks, want 2", when, st.Chunks)
		}
	}
	check(w, "writer")
	w.Close()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	check(r, "reopened")
	files, _ := filepath.Glob(filepath.Join(dir, "s*-*"))
	if len(files) != 2 {
		t.Errorf("files on disk after compaction: %v", files)
	}
}

func TestInterruptedWriteIsIgnoredAndCutOff(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("a", "alpha")}, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// A writer that died after appending but before the manifest named it.
	seg := filepath.Join(dir, "seg-000001.log")
	size := fileSize(t, seg)
	f, _ := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(encodePut(&entry{article: sanad.Article{ID: "ghost", Text: "x"}}, 4)[:20])
	f.Close()

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 1 {
		t.Errorf("articles = %d, want 1", r.Len())
	}
	rep, err := Verify(dir)
	if err != nil || len(rep.Problems) != 0 || len(rep.Notes) != 1 {
		t.Errorf("Verify = %+v, %v; want no problems and one note", rep, err)
	}
	w = mustWriter(t, dir)
	if got := fileSize(t, seg); got != size {
		t.Errorf("writer kept %d bytes, want the committed %d", got, size)
	}
	if _, err := w.Commit(testConfig, []Put{put("b", "beta")}, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if r, err := Open(dir); err != nil || r.Len() != 2 {
		t.Errorf("after writing past the cut: %v", err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func TestCorruptionIsAnErrorNotAPanic(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("a", "alpha one", "beta")}, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	seg := filepath.Join(dir, "seg-000001.log")
	data, _ := os.ReadFile(seg)
	data[len(data)-3] ^= 0xff
	os.WriteFile(seg, data, 0o644)

	_, err := Open(dir)
	if err == nil || !errors.Is(err, errCorrupt) || !strings.Contains(err.Error(), "checksum") || !strings.Contains(err.Error(), "seg-000001.log") {
		t.Errorf("Open of a corrupt index: %v", err)
	}
	rep, err := Verify(dir)
	if err != nil || len(rep.Problems) == 0 {
		t.Errorf("Verify found no problem: %+v %v", rep, err)
	}
}

func TestDecodeRejectsHugeCounts(t *testing.T) {
	e := &entry{article: sanad.Article{ID: "a", Text: "abc"}, spans: []span{{0, 3}}, lexical: []string{"abc"}, vectors: [][]float32{{1, 0, 0, 0}}}
	payload := encodePut(e, 4)[frameHeader:]
	// A huge varint inserted anywhere must give errCorrupt, never a panic
	// or an allocation of the size it claims.
	for off := 1; off < len(payload)-10; off++ {
		bad := append([]byte{}, payload[:off]...)
		bad = append(bad, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)
		bad = append(bad, payload[off:]...)
		if _, _, _, err := decodeRecord(bad); err != nil && !errors.Is(err, errCorrupt) {
			t.Fatalf("offset %d: error %v does not wrap errCorrupt", off, err)
		}
	}
}

func TestOneWriterAtATimeReadersSeeLastCommit(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("a", "alpha")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWriter(context.Background(), dir, false); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "--wait") {
		t.Errorf("second writer: %v, want ErrLocked mentioning --wait", err)
	}
	r, err := Open(dir)
	if err != nil || r.Len() != 1 {
		t.Fatalf("reader during write: %v", err)
	}
	if _, err := r.Commit(testConfig, []Put{put("b", "b")}, nil); err == nil {
		t.Error("a reader could commit")
	}
	w.Close()
	if w2, err := OpenWriter(context.Background(), dir, false); err != nil {
		t.Errorf("writer after the first closed: %v", err)
	} else {
		w2.Close()
	}
}

func TestConfigMismatchIsRefused(t *testing.T) {
	w := NewMemory()
	if _, err := w.Commit(testConfig, []Put{put("a", "alpha")}, nil); err != nil {
		t.Fatal(err)
	}
	other := testConfig
	other.Model = "another-model"
	_, err := w.Commit(other, []Put{put("b", "beta")}, nil)
	if err == nil || !strings.Contains(err.Error(), `model "axis-v1" (this command: "another-model")`) {
		t.Errorf("commit with another model: %v", err)
	}
	if w.Len() != 1 {
		t.Errorf("refused commit changed the index")
	}
}

func TestBadVectorsAreRefused(t *testing.T) {
	cases := map[string][]float32{
		"wrong dimensions": {1, 0, 0},
		"NaN":              {float32(math.NaN()), 0, 0, 0},
		"not unit length":  {1, 1, 0, 0},
		"zero":             {0, 0, 0, 0},
	}
	for name, v := range cases {
		w := NewMemory()
		if _, err := w.Commit(testConfig, []Put{put("a", "alpha")}, nil); err != nil {
			t.Fatal(err)
		}
		p := put("b", "beta")
		p.Vectors[0] = v
		if _, err := w.Commit(testConfig, []Put{p}, nil); err == nil {
			t.Errorf("%s: vector %v accepted", name, v)
		}
		if w.Len() != 1 {
			t.Errorf("%s: refused commit changed the index", name)
		}
	}
}

func TestSearchExcludesAnArticle(t *testing.T) {
	w := NewMemory()
	if _, err := w.Commit(testConfig, []Put{put("a", "alpha x", "apple x"), put("b", "avocado x"), put("c", "cherry")}, nil); err != nil {
		t.Fatal(err)
	}
	q := []float32{0, 0, 0, 0}
	q[int('a')%4] = 1
	hits, err := w.SearchVector(context.Background(), q, 2, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0].Article.ID != "b" || hits[0].Rank != 1 || hits[0].Chunk.Text != "avocado x" || hits[0].Score < 0.999 {
		t.Errorf("vector hits excluding a: %+v", hits)
	}
	for _, h := range hits {
		if h.Article.ID == "a" {
			t.Errorf("excluded article returned: %+v", h)
		}
	}
	lex := w.SearchLexical("x", 10, "b")
	if len(lex) != 2 || lex[0].Article.ID != "a" || lex[1].Article.ID != "a" {
		t.Errorf("lexical hits excluding b: %+v", lex)
	}
	if _, err := w.SearchVector(context.Background(), []float32{1, 0}, 2, ""); err == nil {
		t.Error("query of the wrong dimension accepted")
	}
}

// bigChurn makes the log mostly replaced records, so that Compact runs.
func bigChurn(t *testing.T, w *Store, rounds int) {
	t.Helper()
	for i := 0; i < rounds; i++ {
		long := strings.Repeat("word ", 20000)
		if _, err := w.Commit(testConfig, []Put{put("a", fmt.Sprintf("a%d %s", i, long)), put("b", "b stays")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := w.Compact(); err != nil || !ok {
		t.Fatalf("Compact = %v, %v", ok, err)
	}
}

// A reader keeps working on the snapshot it mapped while a writer compacts
// and removes it.
func TestReaderSurvivesCompaction(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	bigChurn(t, w, 30)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bigChurn(t, w, 30)
	if files, _ := filepath.Glob(filepath.Join(dir, "snap-*")); len(files) != 1 || filepath.Base(files[0]) == r.man.Snapshot {
		t.Fatalf("the reader's snapshot was not replaced: %v", files)
	}
	if hits := r.SearchLexical("stays", 5, ""); len(hits) != 1 || hits[0].Article.ID != "b" || hits[0].Chunk.Text != "b stays" {
		t.Errorf("reader after compaction: %+v", hits)
	}
	if a, ok := r.Article("a"); !ok || !strings.HasPrefix(a.Text, "a29 ") {
		t.Errorf("reader lost article a")
	}
}

// The remains of a compaction or manifest write cut off by a crash are
// ignored by readers, noted by Verify and removed by the next writer.
func TestStraysFromACrashAreRemoved(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("a", "alpha")}, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	strays := []string{"snap-000099.idx", "seg-000098.log", manifestName + ".tmp123"}
	for _, name := range strays {
		os.WriteFile(filepath.Join(dir, name), []byte("half written"), 0o644)
	}
	if r, err := Open(dir); err != nil || r.Len() != 1 {
		t.Fatalf("open with strays: %v", err)
	}
	if rep, _ := Verify(dir); len(rep.Problems) != 0 || len(rep.Notes) != 2 {
		t.Errorf("Verify with strays: %+v", rep)
	}
	mustWriter(t, dir).Close()
	for _, name := range strays {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s left after a writer opened the index", name)
		}
	}
}

// A commit whose manifest could not be replaced leaves the index as the
// last good commit left it; the writer refuses to go on until reopened.
func TestFailedCommitLeavesTheIndexReadable(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("a", "alpha one")}, nil); err != nil {
		t.Fatal(err)
	}
	man := filepath.Join(dir, manifestName)
	saved, _ := os.ReadFile(man)
	// A directory in the manifest's place makes the rename fail, as a full
	// disk or an I/O error would.
	os.Remove(man)
	os.Mkdir(man, 0o755)
	os.WriteFile(filepath.Join(man, "x"), nil, 0o644)
	if _, err := w.Commit(testConfig, []Put{put("b", "beta failed commit")}, nil); err == nil {
		t.Fatal("commit with an unwritable manifest succeeded")
	}
	os.RemoveAll(man)
	os.WriteFile(man, saved, 0o644)
	if _, err := w.Commit(testConfig, []Put{put("c", "gamma")}, nil); err == nil || !strings.Contains(err.Error(), "open the index again") {
		t.Errorf("commit after a failed one: %v", err)
	}
	w.Close()
	w = mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("c", "gamma")}, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	_, hasB := r.Article("b")
	_, hasC := r.Article("c")
	if r.Len() != 2 || hasB || !hasC {
		t.Errorf("after a failed commit: %d articles, b=%v c=%v; want a and c", r.Len(), hasB, hasC)
	}
}

func TestDuplicateDeletesCountOnce(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("a", "alpha one"), put("b", "beta")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(testConfig, nil, []string{"a", "a"}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if rep, err := Verify(dir); err != nil || len(rep.Problems) > 0 || rep.Articles != 1 {
		t.Errorf("Verify after deleting an ID twice: %+v %v", rep, err)
	}
}

// A compaction that fails during a commit does not fail the commit, which
// is durable; the log stays as it is.
func TestCompactionFailureKeepsTheCommit(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("first", "x")}, nil); err != nil {
		t.Fatal(err)
	}
	// The name the compaction will want is taken, so it fails.
	os.WriteFile(filepath.Join(dir, fmt.Sprintf("snap-%06d.idx", w.man.NextSegment)), nil, 0o644)
	var puts []Put
	for i := range compactChunks {
		puts = append(puts, put(fmt.Sprintf("a%04d", i), "alpha one"))
	}
	if _, err := w.Commit(testConfig, puts, nil); err != nil {
		t.Fatalf("commit that triggers a failing compaction: %v", err)
	}
	if _, err := w.Commit(testConfig, []Put{put("last", "y")}, nil); err != nil {
		t.Fatalf("commit after a failed compaction: %v", err)
	}
	w.Close()
	r, err := Open(dir)
	if err != nil || r.Len() != compactChunks+2 {
		t.Fatalf("reopen: %v, %d articles", err, r.Len())
	}
}

// Waiting for another writer ends when the context does.
func TestWaitingForTheLockCanBeCancelled(t *testing.T) {
	dir := t.TempDir()
	mustWriter(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := OpenWriter(ctx, dir, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting writer: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("cancelled wait took %v", time.Since(start))
	}
}

// Hits from the memory-mapped snapshot must own their strings: reading
// them after Close would otherwise touch unmapped memory.
func TestHitsOutliveClose(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("a", "alpha one", "beta two")}, nil); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	err := w.compact() // the index is too small for Compact to choose to
	w.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.snap == nil {
		t.Fatal("the index has no snapshot to test")
	}
	lexical := r.SearchLexical("beta", 1, "")
	vector, err := r.SearchVector(context.Background(), []float32{0, 0, 1, 0}, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	for _, hits := range [][]sanad.Hit{lexical, vector} {
		if len(hits) != 1 {
			t.Fatalf("hits = %+v, want one", hits)
		}
		h := hits[0]
		if h.Chunk.Text != "beta two" || h.Chunk.ID != "a#1" || h.Chunk.ArticleID != "a" || h.Article.ID != "a" ||
			h.Article.Title != "title a" || h.Article.Source != "a.txt" || h.Article.Text != "" {
			t.Errorf("hit after Close = %+v", h)
		}
	}
}

// A rebuild is invisible until Replace: readers, and a writer that stops
// half-way, see the old index; after Replace, only the new one is left.
func TestRebuildReplacesAtOnce(t *testing.T) {
	dir := t.TempDir()
	w := mustWriter(t, dir)
	if _, err := w.Commit(testConfig, []Put{put("old1", "alpha one"), put("old2", "beta two")}, nil); err != nil {
		t.Fatal(err)
	}
	oldFiles, _ := filepath.Glob(filepath.Join(dir, "seg-*"))

	// Abandoned: a later writer finds the old index and no staging folder.
	staged, err := w.Rebuild()
	if err != nil {
		t.Fatal(err)
	}
	newCfg := testConfig
	newCfg.Model = "axis-v2"
	if _, err := staged.Commit(newCfg, []Put{put("new1", "gamma three")}, nil); err != nil {
		t.Fatal(err)
	}
	staged.Close()
	if _, err := os.Stat(filepath.Join(dir, rebuildDir)); err == nil {
		t.Error("the abandoned rebuild's folder outlived its Close")
	}
	w.Close()
	w = mustWriter(t, dir)
	if w.Len() != 2 {
		t.Fatalf("after an abandoned rebuild: %d articles, want the old 2", w.Len())
	}

	// One a crash left is removed by the next writer.
	if err := os.MkdirAll(filepath.Join(dir, rebuildDir), 0o755); err != nil {
		t.Fatal(err)
	}
	w.Close()
	w = mustWriter(t, dir)
	if _, err := os.Stat(filepath.Join(dir, rebuildDir)); err == nil {
		t.Error("a crashed rebuild's folder is still there after a writer opened the index")
	}

	// Completed, with a compaction inside the rebuild so that a snapshot
	// moves too.
	staged, err = w.Rebuild()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staged.Commit(newCfg, []Put{put("new1", "gamma three"), put("new2", "delta four")}, nil); err != nil {
		t.Fatal(err)
	}
	staged.mu.Lock()
	err = staged.compact()
	staged.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staged.Commit(newCfg, []Put{put("new3", "alpha five")}, nil); err != nil {
		t.Fatal(err)
	}
	reader, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if reader.Len() != 2 || w.Len() != 2 {
		t.Fatalf("before Replace: reader %d, writer %d articles; want the old 2", reader.Len(), w.Len())
	}
	if err := w.Replace(staged); err != nil {
		t.Fatal(err)
	}
	if _, err := staged.Commit(newCfg, []Put{put("x", "x")}, nil); err == nil {
		t.Error("the staged index still takes commits after Replace")
	}
	staged.Close()
	// The writer goes on with the new index.
	if _, err := w.Commit(newCfg, []Put{put("new4", "beta six")}, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ids []string
	for _, a := range r.Articles() {
		ids = append(ids, a.ID)
	}
	if got := strings.Join(ids, " "); got != "new1 new2 new3 new4" {
		t.Errorf("articles after Replace: %s", got)
	}
	if cfg, _ := r.Config(); cfg.Model != "axis-v2" {
		t.Errorf("config after Replace: %+v", cfg)
	}
	if hits := r.SearchLexical("delta", 1, ""); len(hits) != 1 || hits[0].Chunk.Text != "delta four" {
		t.Errorf("search after Replace: %+v", hits)
	}
	for _, f := range oldFiles {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s of the old index is still there", filepath.Base(f))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, rebuildDir)); err == nil {
		t.Error("the rebuild folder is still there after Replace")
	}
	if rep, err := Verify(dir); err != nil || len(rep.Problems) > 0 || len(rep.Notes) > 0 {
		t.Errorf("verify after Replace: %+v, %v", rep, err)
	}
	// The reader opened before Replace still reads the old index.
	if reader.Len() != 2 {
		t.Errorf("the earlier reader sees %d articles", reader.Len())
	}
}
