package bm25

import (
	"math"
	"testing"
)

// The corpus and expected scores below are computed by hand from the BM25
// formula with k1=1.2, b=0.75 and Lucene's idf.
func TestSearchMatchesHandComputedScores(t *testing.T) {
	ix := New(DefaultParams())
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
	wantA := idf2*tfPart(1, 3) + idf1*tfPart(1, 3)
	wantB := idf2 * tfPart(1, 2)

	got := ix.Search([]string{"سوريا", "كيماوي"}, 10)
	if len(got) != 2 {
		t.Fatalf("got %d results, want 2: %+v", len(got), got)
	}
	if got[0].ID != "a" || got[1].ID != "b" {
		t.Fatalf("order = %s, %s; want a, b", got[0].ID, got[1].ID)
	}
	if math.Abs(got[0].Score-wantA) > 1e-9 || math.Abs(got[1].Score-wantB) > 1e-9 {
		t.Errorf("scores = %v, %v; want %v, %v", got[0].Score, got[1].Score, wantA, wantB)
	}

	// Term frequency saturates: two occurrences of لبنان in a 4-term document.
	idfL := math.Log(1 + 2.5/1.5)
	wantC := idfL * tfPart(2, 4)
	c := ix.Search([]string{"لبنان"}, 1)
	if len(c) != 1 || c[0].ID != "c" || math.Abs(c[0].Score-wantC) > 1e-9 {
		t.Errorf("لبنان: got %+v, want c with %v", c, wantC)
	}
}

func TestRemoveAndReplaceUpdateStatistics(t *testing.T) {
	ix := New(DefaultParams())
	ix.Add("a", []string{"x", "y"})
	ix.Add("b", []string{"x"})
	ix.Remove("a")
	if ix.Len() != 1 {
		t.Fatalf("Len = %d after remove, want 1", ix.Len())
	}
	if got := ix.Search([]string{"y"}, 5); len(got) != 0 {
		t.Errorf("removed document still found: %+v", got)
	}
	fresh := New(DefaultParams())
	fresh.Add("b", []string{"x"})
	if a, b := ix.Search([]string{"x"}, 1)[0].Score, fresh.Search([]string{"x"}, 1)[0].Score; a != b {
		t.Errorf("score after remove = %v, want %v as in an index that never had the document", a, b)
	}

	ix.Add("b", []string{"z"})
	if got := ix.Search([]string{"x"}, 5); len(got) != 0 {
		t.Errorf("replaced document still matches its old terms: %+v", got)
	}
	if ix.Len() != 1 {
		t.Errorf("Len = %d after replace, want 1", ix.Len())
	}
}

func TestCompactionKeepsResults(t *testing.T) {
	ix := New(DefaultParams())
	for i := 0; i < 3000; i++ {
		ix.Add(string(rune('a'+i%26))+string(rune(0x600+i)), []string{"common", string(rune(0x600 + i))})
	}
	for i := 0; i < 2500; i++ {
		ix.Remove(string(rune('a'+i%26)) + string(rune(0x600+i)))
	}
	if len(ix.docs) >= 3000 {
		t.Fatalf("removed documents were never compacted: %d slots for %d live", len(ix.docs), ix.live)
	}
	got := ix.Search([]string{string(rune(0x600 + 2999))}, 3)
	if len(got) != 1 || got[0].ID != string(rune('a'+2999%26))+string(rune(0x600+2999)) {
		t.Errorf("after compaction: %+v", got)
	}
	if n := len(ix.Search([]string{"common"}, 10000)); n != 500 {
		t.Errorf("common term matches %d documents, want 500", n)
	}
}

func TestSearchTopKIsStable(t *testing.T) {
	ix := New(DefaultParams())
	for _, id := range []string{"d", "b", "c", "a"} {
		ix.Add(id, []string{"t"})
	}
	got := ix.Search([]string{"t"}, 3)
	if len(got) != 3 || got[0].ID != "a" || got[1].ID != "b" || got[2].ID != "c" {
		t.Errorf("ties not broken by ID: %+v", got)
	}
	if got := ix.Search([]string{"missing"}, 3); len(got) != 0 {
		t.Errorf("unknown term matched: %+v", got)
	}
}
