package reader

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", " a \r\n\r\n\r\n b ", "\ufeffمُحَمَّد\u200c\u200f", "e\u200b\u0301", "a\xffb\u2029\u0085c", "\u2000\u0301", "ا\u0654", "مَّ", "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q is not valid UTF-8", s, got)
		}
		if !norm.NFC.IsNormalString(got) {
			t.Fatalf("Clean(%q) = %q is not NFC", s, got)
		}
		if again := Clean(got); again != got {
			t.Fatalf("Clean not idempotent on %q: %q then %q", s, got, again)
		}
		if strings.Contains(got, "\n\n\n") || strings.TrimSpace(got) != got {
			t.Fatalf("Clean(%q) = %q left extra whitespace", s, got)
		}
	})
}

func FuzzReadJSONL(f *testing.F) {
	data, err := os.ReadFile("testdata/mixed.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, false)
	f.Add([]byte(`[{"text": "a"}, {"id": "x", "text": "b", "date": "2024-01-02"}]`), true)
	f.Add([]byte("{\n\"text\": \"c\"\n}"), true)
	f.Add([]byte("{\"text\": \"\xff\"}\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, array bool) {
		arts, probs := parseRecords(bytes.NewReader(data), "f.jsonl", "f.jsonl", array)
		lines := 1 + bytes.Count(data, []byte("\n"))
		for _, p := range probs {
			if p.Path != "f.jsonl" || p.Line < 0 || p.Line > lines || p.Err == nil {
				t.Fatalf("bad problem %#v", p)
			}
		}
		for _, a := range arts {
			validArticle(t, a)
		}
	})
}

func FuzzHTML(f *testing.F) {
	page, err := os.ReadFile(filepath.Join(formats, "desalination.html"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(page)
	f.Add([]byte("<p>short</p>"))
	f.Add([]byte(`<meta charset="windows-1256"><title>` + "\xc7\xe1" + `</title><p>` + "\xd3\xe1\xc7\xe3" + `</p>`))
	f.Add([]byte(`<html><head><meta property="article:published_time" content="٢٠٢٤-٠٣-١٤"></head><body><table><tr><td>a<td>b</table></body></html>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, p := parseHTML(data)
		if p != nil {
			if p.Err == nil {
				t.Fatalf("problem without error: %#v", p)
			}
			return
		}
		a.ID, a.Source = "f.html", "f.html"
		validArticle(t, a)
		if a.Text != Clean(a.Text) {
			t.Fatalf("Text not clean: %q", a.Text)
		}
	})
}
