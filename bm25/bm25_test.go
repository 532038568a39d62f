package bm25

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// score is BM25 over an Index, as package store computes it.
func score(ix *Index, query []string) map[string]float64 {
	avg := float64(ix.TotalLen()) / float64(ix.Len())
	p := DefaultParams()
	out := map[string]float64{}
	for _, t := range query {
		idf := IDF(ix.Len(), ix.DF(t))
		ix.Postings(t, func(id string, tf, docLen int) {
			out[id] += p.Score(idf, tf, docLen, avg)
		})
	}
	return out
}

// The corpus and expected scores below are computed by hand from the BM25
// formula with k1=1.2, b=0.75 and Lucene's idf.
func TestScoresMatchHandComputedValues(t *testing.T) {
	ix := New()
	ix.Add("a", []string{"سوريا", "كيماوي", "اسد"})
	ix.Add("b", []string{"سوريا", "روسيا"})
	ix.Add("c", []string{"لبنان", "حكومه", "لبنان", "وزير"})

	// N=3, avgdl=3. idf(سوريا)=ln(1+(3-2+0.5)/(2+0.5))=ln(1.6);
	// idf(كيماوي)=ln(1+2.5/1.5)=ln(8/3).
	idf2 := math.Log(1.6)
	idf1 := math.Log(1 + 2.5/1.5)
	tfPart := func(tf, dl float64) float64 {
		norm := 1.2 * (1 - 0.75 + 0.75*dl/3)
		return tf * 2.2 / (tf + norm)
	}
	want := map[string]float64{"a": idf2*tfPart(1, 3) + idf1*tfPart(1, 3), "b": idf2 * tfPart(1, 2)}
	got := score(ix, []string{"سوريا", "كيماوي"})
	if len(got) != 2 || math.Abs(got["a"]-want["a"]) > 1e-9 || math.Abs(got["b"]-want["b"]) > 1e-9 {
		t.Errorf("scores = %v, want %v", got, want)
	}
	// Term frequency saturates: two occurrences of لبنان in a 4-term document.
	if c := score(ix, []string{"لبنان"})["c"]; math.Abs(c-idf1*tfPart(2, 4)) > 1e-9 {
		t.Errorf("لبنان in c: %v, want %v", c, idf1*tfPart(2, 4))
	}
}

func TestRemoveAndReplaceUpdateStatistics(t *testing.T) {
	ix := New()
	ix.Add("a", []string{"x", "y"})
	ix.Add("b", []string{"x"})
	ix.Remove("a")
	if ix.Len() != 1 || ix.TotalLen() != 1 || ix.DF("x") != 1 || ix.DF("y") != 0 {
		t.Fatalf("after remove: %d docs, %d terms, df(x)=%d df(y)=%d", ix.Len(), ix.TotalLen(), ix.DF("x"), ix.DF("y"))
	}
	if got := score(ix, []string{"y"}); len(got) != 0 {
		t.Errorf("removed document still scored: %v", got)
	}
	fresh := New()
	fresh.Add("b", []string{"x"})
	if a, b := score(ix, []string{"x"})["b"], score(fresh, []string{"x"})["b"]; a != b {
		t.Errorf("score after remove = %v, want %v as in an index that never had the document", a, b)
	}
	ix.Add("b", []string{"z"})
	if got := score(ix, []string{"x"}); len(got) != 0 || ix.Len() != 1 {
		t.Errorf("replaced document still matches its old terms: %v", got)
	}
	if n, ok := ix.DocLen("b"); !ok || n != 1 {
		t.Errorf("DocLen(b) = %d, %v", n, ok)
	}
	if terms := ix.Terms(); !slices.Equal(terms, []string{"z"}) {
		t.Errorf("Terms = %v, want only the live one", terms)
	}
}

func TestCompactionKeepsStatistics(t *testing.T) {
	ix := New()
	id := func(i int) string { return fmt.Sprintf("d%d", i) }
	for i := range 3000 {
		ix.Add(id(i), []string{"common", id(i)})
	}
	for i := range 2500 {
		ix.Remove(id(i))
	}
	if len(ix.docs) >= 3000 {
		t.Fatalf("removed documents were never compacted: %d slots for %d live", len(ix.docs), ix.Len())
	}
	if ix.DF("common") != 500 || len(score(ix, []string{"common"})) != 500 {
		t.Errorf("common term: df %d, %d scored, want 500", ix.DF("common"), len(score(ix, []string{"common"})))
	}
	if got := score(ix, []string{id(2999)}); len(got) != 1 || got[id(2999)] == 0 {
		t.Errorf("a live document after compaction: %v", got)
	}
}

func TestIDFIsNeverNegative(t *testing.T) {
	for _, df := range []int{0, 1, 50, 99, 100} {
		if idf := IDF(100, df); idf <= 0 || math.IsNaN(idf) {
			t.Errorf("IDF(100, %d) = %v", df, idf)
		}
	}
	if IDF(100, 1) <= IDF(100, 50) {
		t.Error("a rarer term does not weigh more")
	}
}
