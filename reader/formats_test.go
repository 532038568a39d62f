package reader

import (
	"strings"
	"testing"

	"github.com/sanadhq/sanad"
)

func TestTitleFrom(t *testing.T) {
	long := strings.Repeat("كلمة ", 40)
	tests := []struct {
		name, text, want string
	}{
		{"first line", "Headline\n\nBody text.", "Headline"},
		{"short line kept whole", "Short. Still short.", "Short. Still short."},
		{"first sentence of a long line", "The council approved the new budget on Monday. " + strings.Repeat("More words follow here. ", 10),
			"The council approved the new budget on Monday."},
		{"arabic question mark ends a sentence", "هل تنجح خطة المياه الجديدة في الصيف المقبل؟ " + long, "هل تنجح خطة المياه الجديدة في الصيف المقبل؟"},
		{"cut at a word", long, strings.TrimSpace(strings.Repeat("كلمة ", 20)) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := titleFrom(tt.text); got != tt.want {
				t.Errorf("titleFrom() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"2024-03-14", "2024-03-14"},
		{" 2024-03-14T23:30:00+03:00 ", "2024-03-14"},
		{"2024-03-14T23:30:00.123Z", "2024-03-14"},
		{"2024-03-14 08:00:00", "2024-03-14"},
		{"2024/03/14", "2024-03-14"},
		{"Thu, 14 Mar 2024 09:30:00 +0300", "2024-03-14"},
		{"March 14, 2024", "2024-03-14"},
		{"14 Mar 2024", "2024-03-14"},
		{"٢٠٢٤-٠٣-١٤", "2024-03-14"},
		{"14/03/2024", "14/03/2024"},
		{"الخميس 14 آذار", "الخميس 14 آذار"},
	}
	for _, tt := range tests {
		if got := normDate(tt.in); got != tt.want {
			t.Errorf("normDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHash(t *testing.T) {
	a := sanad.Article{ID: "a", Title: "T", Source: "s", Date: "2024-01-01", Text: "text"}
	h := hash(a)
	if len(h) != 64 {
		t.Fatalf("hash %q is not hex sha256", h)
	}
	b := a
	b.ID = "other"
	if hash(b) != h {
		t.Error("hash depends on ID")
	}
	for _, change := range []func(*sanad.Article){
		func(a *sanad.Article) { a.Title = "T2" },
		func(a *sanad.Article) { a.Source = "s2" },
		func(a *sanad.Article) { a.Date = "2024-01-02" },
		func(a *sanad.Article) { a.Text = "text2" },
		// The separators keep moved boundaries from colliding.
		func(a *sanad.Article) { a.Title, a.Source = "Ts", "" },
	} {
		c := a
		change(&c)
		if hash(c) == h {
			t.Errorf("hash unchanged for %+v", c)
		}
	}
}

func TestPlainMarkdown(t *testing.T) {
	in := "## Title with **bold** ##\nSub\n===\nSee [the report](https://x.org/r) and ![a map](m.png).\n```\n# not a heading\n```\n* * *\nEnd"
	want := "Title with bold\nSub\nSee the report and a map.\n# not a heading\nEnd"
	if got := plainMarkdown(in); got != want {
		t.Errorf("plainMarkdown() =\n%q\nwant\n%q", got, want)
	}
}

func TestParseHTMLDateFromMeta(t *testing.T) {
	page := `<html><head><title>T</title><meta name="pubdate" content="14 Mar 2024"></head><body><article><p>` +
		strings.Repeat("نص الخبر الطويل بما يكفي للاستخراج. ", 30) + `</p></article></body></html>`
	a, p := parseHTML([]byte(page))
	if p != nil {
		t.Fatal(p)
	}
	if a.Date != "2024-03-14" {
		t.Errorf("Date = %q", a.Date)
	}
}
