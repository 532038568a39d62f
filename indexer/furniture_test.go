package indexer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/reader"
	"github.com/sanadhq/sanad/store"
)

// furnitureCorpus writes n news articles with distinct bodies, each framed
// by the same site furniture, written slightly differently each time (harakat,
// spacing), as real dumps do. Two of them also share a quoted sentence,
// which is content: two articles are too few for it to be furniture.
func furnitureCorpus(t *testing.T, n int) string {
	t.Helper()
	topics := []string{
		"افتتحت وزارة الزراعة محطة لتحلية المياه في الساحل الجنوبي",
		"فاز المنتخب الوطني لكرة اليد ببطولة آسيا للشباب",
		"ارتفعت أسعار القمح في الأسواق العالمية بعد موجة الجفاف",
		"أطلقت الجامعة برنامجا لتعليم البرمجة لطلاب المدارس",
		"اكتشف علماء الآثار مقبرة رومانية قرب الميناء القديم",
		"أعلنت شركة الطيران خطا جديدا بين العاصمة والجزر",
	}
	dir := t.TempDir()
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "خبر %d\n\n", i)
		b.WriteString("الرئيسية  |  أخبار  |  اقتصاد\n\n")
		b.WriteString(topics[i%len(topics)] + " وقال المسؤولون إن المشروع يخدم آلاف السكان.\n\n")
		if i < 2 {
			b.WriteString("وقال الخبير إن الأسعار لن تعود كما كانت قبل سنوات.\n\n")
		}
		if i%2 == 0 {
			b.WriteString("أخبارٌ متعلقة\n\n")
		} else {
			b.WriteString("أخبار متعلقة\n\n")
		}
		b.WriteString("جميع الحقوق محفوظة © 2024\n")
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.txt", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFurnitureIsLeftOutOfTermsAndVectors(t *testing.T) {
	dir := furnitureCorpus(t, 6)
	st := store.NewMemory()
	if _, err := Run(context.Background(), st, embed.NewBuiltin(), []string{dir}, Options{Chunk: chunk.DefaultOptions()}); err != nil {
		t.Fatal(err)
	}
	if st.Len() != 6 {
		t.Fatalf("indexed %d articles, want 6", st.Len())
	}
	// What represents each chunk to BM25 and the embedder has no furniture.
	c := NewFurnitureCounter()
	var arts []sanad.Article
	reader.Walk(context.Background(), []string{dir}, reader.Options{}, func(a sanad.Article) error {
		c.Add(a.Text)
		arts = append(arts, a)
		return nil
	}, nil)
	f := c.Furniture()
	for _, a := range arts {
		p := f.Prepare(a, chunk.DefaultOptions())
		for i, lex := range p.Lexical {
			for _, furniture := range []string{"الحقوق", "متعلقة", "الرئيسية"} {
				if strings.Contains(lex, furniture) {
					t.Errorf("%s chunk %d: lexical text keeps furniture %q: %q", a.ID, i, furniture, lex)
				}
			}
		}
	}
	// Content shared by only two articles is kept, and the chunk text shown
	// and cited still holds the furniture.
	if hits := st.SearchLexical("سنوات", 10, ""); len(hits) != 2 {
		t.Errorf("a sentence in two articles: %d hits, want 2", len(hits))
	}
	chunks, _ := st.Chunks("00.txt")
	if len(chunks) == 0 || !strings.Contains(chunks[len(chunks)-1].Text, "جميع الحقوق محفوظة") {
		t.Errorf("chunk text lost its furniture: %+v", chunks)
	}
}

func TestFurnitureNeedsEnoughArticles(t *testing.T) {
	texts := func(n int, shared string) *FurnitureCounter {
		c := NewFurnitureCounter()
		for i := range n {
			c.Add(fmt.Sprintf("نص فريد رقم %d\n%s\n", i, shared))
		}
		return c
	}
	tests := []struct {
		name     string
		counter  *FurnitureCounter
		stripped bool
	}{
		{"two articles", texts(2, "أخبار متعلقة"), false},
		{"three articles", texts(3, "أخبار متعلقة"), true},
		// 3 of 300 is 1%: under the 2% share, so a quote, not furniture.
		{"three of three hundred", func() *FurnitureCounter {
			c := texts(3, "أخبار متعلقة")
			for i := range 297 {
				c.Add(fmt.Sprintf("نص آخر %d", i))
			}
			return c
		}(), false},
		{"too long", texts(5, strings.Repeat("جملة طويلة ", 40)), false},
	}
	for _, tt := range tests {
		f := tt.counter.Furniture()
		if got := f.Len() > 0; got != tt.stripped {
			t.Errorf("%s: furniture found %v, want %v", tt.name, got, tt.stripped)
		}
	}
	// Harakat and spacing do not hide a repeat.
	f := texts(3, "أخبار متعلقة").Furniture()
	if got := f.strip("نص\nأخبارٌ  مُتعلّقة\nنص آخر"); got != "نص\nنص آخر" {
		t.Errorf("strip = %q", got)
	}
	if got := (*Furniture)(nil).strip("a\nb"); got != "a\nb" {
		t.Errorf("nil furniture changed the text: %q", got)
	}
}

// Furniture found by one run is recorded with the index, so that a later
// run of a single article leaves it out too.
func TestFurnitureIsRememberedAcrossRuns(t *testing.T) {
	dir := furnitureCorpus(t, 6)
	st := store.NewMemory()
	if _, err := Run(context.Background(), st, embed.NewBuiltin(), []string{dir}, Options{Chunk: chunk.DefaultOptions()}); err != nil {
		t.Fatal(err)
	}
	if len(st.Furniture()) == 0 {
		t.Fatal("no furniture recorded")
	}
	one := filepath.Join(t.TempDir(), "late.txt")
	os.WriteFile(one, []byte("خبر متأخر\n\nأعلنت البلدية عن مهرجان للزهور في الربيع.\n\nجميع الحقوق محفوظة © 2024\n"), 0o644)
	c := NewFurnitureCounter()
	arts, _ := reader.ReadFile(one, "", reader.Options{})
	c.Add(arts[0].Text)
	p := c.Furniture(st.Furniture()...).Prepare(arts[0], chunk.DefaultOptions())
	if strings.Contains(p.Lexical[0], "الحقوق") || !strings.Contains(p.Chunks[0].Text, "الحقوق") {
		t.Errorf("a known furniture line in a lone article: lexical %q", p.Lexical[0])
	}
	if _, err := Run(context.Background(), st, embed.NewBuiltin(), []string{one}, Options{Chunk: chunk.DefaultOptions()}); err != nil {
		t.Fatal(err)
	}
	if hits := st.SearchLexical("الحقوق محفوظة", 1, ""); len(hits) > 0 && hits[0].Article.ID == "late.txt" {
		t.Errorf("the lone article's furniture line is searchable")
	}
}
