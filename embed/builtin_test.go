package embed

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func embedOne(t *testing.T, text string) []float32 {
	t.Helper()
	v, err := NewBuiltin().EmbedQuery(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBuiltinUnitLengthAndDeterministic(t *testing.T) {
	e := NewBuiltin()
	if info := e.Info(); info != (Info{Kind: "builtin", Model: "builtin-v1", Dimensions: BuiltinDimensions}) {
		t.Errorf("Info() = %+v", info)
	}
	in := []string{"أعلنت وزارة الصحة اليوم عن حملة تطعيم جديدة", "The ministry announced a new campaign", "", "في من على", "!!!", strings.Repeat("ب", 500)}
	docs, err := e.EmbedDocuments(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range in {
		v := docs[i]
		if len(v) != BuiltinDimensions {
			t.Fatalf("%q: %d dimensions", text, len(v))
		}
		if n := math.Sqrt(dot(v, v)); math.Abs(n-1) > 1e-6 {
			t.Errorf("%q: length %v, want 1", text, n)
		}
		if q := embedOne(t, text); !slices.Equal(q, v) {
			t.Errorf("%q: EmbedQuery differs from EmbedDocuments", text)
		}
	}
}

func TestBuiltinTextWithoutFeatures(t *testing.T) {
	empty := embedOne(t, "")
	if !slices.Equal(empty, embedOne(t, "في من على ...")) {
		t.Error("texts without features embed differently")
	}
	if s := dot(empty, embedOne(t, "المعلمون في المدرسة")); s != 0 {
		t.Errorf("a featureless text scores %v against a real one, want 0", s)
	}
}

func TestBuiltinRelatedScoresHigher(t *testing.T) {
	cases := []struct{ a, related, unrelated string }{
		{"المعلمون في المدرسة", "معلم مدرسة", "ارتفعت أسعار النفط في الأسواق العالمية"},
		{"الانتخابات البرلمانية", "انتخاب البرلمان", "مباراة كرة القدم"},
		{"وزير الخارجية يلتقي نظيره", "التقى وزراء الخارجية", "هطول أمطار غزيرة على العاصمة"},
		{"teachers at the school", "school teacher", "oil prices rose"},
	}
	for _, c := range cases {
		a := embedOne(t, c.a)
		rel, unrel := dot(a, embedOne(t, c.related)), dot(a, embedOne(t, c.unrelated))
		t.Logf("%q: related %.3f, unrelated %.3f", c.a, rel, unrel)
		if rel <= unrel || rel < 0.2 {
			t.Errorf("%q: related %q scores %.3f, unrelated %q %.3f", c.a, c.related, rel, c.unrelated, unrel)
		}
	}
}

func TestBuiltinCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewBuiltin().EmbedDocuments(ctx, []string{"نص"}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestAppendGrams(t *testing.T) {
	// "<ab>" has two 3-grams and one 4-gram; a word over maxGramRunes
	// yields the n-grams of its first maxGramRunes runes only.
	if n := len(appendGrams(nil, "ab")); n != 3 {
		t.Errorf(`"ab": %d n-grams, want 3`, n)
	}
	long := strings.Repeat("ك", maxGramRunes)
	if a, b := appendGrams(nil, long), appendGrams(nil, long+"ككك"); !slices.Equal(a, b) {
		t.Error("a long word's n-grams change with runes past the limit")
	}
}

func BenchmarkBuiltin(b *testing.B) {
	files, _ := filepath.Glob("../testdata/*.txt")
	if len(files) == 0 {
		b.Skip("no seed articles in ../testdata")
	}
	var texts []string
	size := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		texts = append(texts, string(data))
		size += len(data)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range texts {
			embedLexical(t)
		}
	}
}
