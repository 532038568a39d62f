package store

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/sanadhq/sanad"
)

// chromem-go's own persistence loses documents at this scale (two IDs'
// 32-bit file names collide near 100,000); sanad's format must lose none.
func TestNoArticleLostAt120000(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 120,000-article round trip")
	}
	const n = 120_000
	dir := t.TempDir()
	w := mustWriter(t, dir)
	cfg := Config{Embedder: "test", Model: "m", Dimensions: 8, ChunkSize: 100, Analyzer: "a"}
	want := make(map[string]bool, n)
	const perCommit = 10_000
	for base := 0; base < n; base += perCommit {
		puts := make([]Put, 0, perCommit)
		for i := base; i < base+perCommit; i++ {
			id := fmt.Sprintf("news/%06d.txt", i)
			want[id] = true
			text := fmt.Sprintf("خبر رقم %d", i)
			v := make([]float32, 8)
			v[i%8] = float32(math.Sqrt(0.5))
			v[(i/8)%8] += float32(math.Sqrt(0.5))
			if err := normalizeForTest(v); err != nil {
				t.Fatal(err)
			}
			puts = append(puts, Put{
				Article: sanad.Article{ID: id, Title: id, Source: id, Text: text, Hash: id},
				Chunks:  []sanad.Chunk{{Start: 0, End: len(text)}},
				Lexical: []string{text},
				Vectors: [][]float32{v},
			})
		}
		if _, err := w.Commit(cfg, puts, nil); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := r.Articles()
	if len(got) != n {
		t.Fatalf("reopened index holds %d articles, want %d", len(got), n)
	}
	for _, a := range got {
		if !want[a.ID] {
			t.Fatalf("unexpected article %q", a.ID)
		}
		delete(want, a.ID)
	}
	if len(want) != 0 {
		t.Fatalf("%d articles lost", len(want))
	}
	if rep, err := Verify(dir); err != nil || len(rep.Problems) != 0 || rep.Articles != n {
		t.Errorf("Verify: %+v %v", rep.Problems, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) > 4 {
		t.Errorf("%d files for one index: %v", len(files), files[:4])
	}
}

func normalizeForTest(v []float32) error {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return fmt.Errorf("zero vector")
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(s))
	}
	return nil
}
