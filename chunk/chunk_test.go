package chunk

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func texts(text string, spans []Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, text[s.Start:s.End])
	}
	return out
}

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"blank", " \n\t ", nil},
		{"english", "  One sentence. Another one!  And a third?", []string{"One sentence.", "Another one!", "And a third?"}},
		{"arabic", "قال الوزير إن الوضع مستقر. هل انتهت الأزمة؟ لا!", []string{"قال الوزير إن الوضع مستقر.", "هل انتهت الأزمة؟", "لا!"}},
		{"numbers", "Growth was 3.5 percent, or 1.000.000 units. Next.", []string{"Growth was 3.5 percent, or 1.000.000 units.", "Next."}},
		{"arabic numbers", "بلغ النمو 3.5 في المئة و1.000 وحدة. ثم توقف.", []string{"بلغ النمو 3.5 في المئة و1.000 وحدة.", "ثم توقف."}},
		{"english abbreviations", "Mr. Smith met Dr. Jones in the U.S. on Jan. 5 at 3 p.m. and left. Then etc. The end.",
			[]string{"Mr. Smith met Dr. Jones in the U.S. on Jan. 5 at 3 p.m. and left.", "Then etc.", "The end."}},
		{"lowercase after abbreviation", "Apple Inc. said so, e.g. here. Done.", []string{"Apple Inc. said so, e.g. here.", "Done."}},
		{"initials", "The author J. R. R. Tolkien wrote it. Yes.", []string{"The author J. R. R. Tolkien wrote it.", "Yes."}},
		{"arabic abbreviations", "قال د. محمد علي إن م. أحمد وصل. وانتهى الاجتماع.", []string{"قال د. محمد علي إن م. أحمد وصل.", "وانتهى الاجتماع."}},
		{"arabic abbreviation without space", "التقى د.محمد بالوزير. ثم غادر.", []string{"التقى د.محمد بالوزير.", "ثم غادر."}},
		{"no space after stop in arabic", "انتهى الاجتماع.وقال الوزير كلمته.", []string{"انتهى الاجتماع.", "وقال الوزير كلمته."}},
		{"guillemets", "قال: «لن نتراجع.» ثم غادر. وصف الأمر بأنه «خطير»، وأضاف.", []string{"قال: «لن نتراجع.»", "ثم غادر.", "وصف الأمر بأنه «خطير»، وأضاف."}},
		{"quotes", `He said "we won't stop." Then (he left.) OK.`, []string{`He said "we won't stop."`, "Then (he left.)", "OK."}},
		{"runs", "Really?! Yes... Wait… هل؟! نعم", []string{"Really?!", "Yes...", "Wait…", "هل؟!", "نعم"}},
		{"paragraphs", "عنوان بلا نقطة\nالفقرة الأولى. جملة ثانية\n\nفقرة أخرى", []string{"عنوان بلا نقطة", "الفقرة الأولى.", "جملة ثانية", "فقرة أخرى"}},
		{"crlf", "First line\r\nSecond line", []string{"First line", "Second line"}},
		{"urdu and arabic stops", "پہلا جملہ۔ دوسرا؞ ثالث؝ رابع", []string{"پہلا جملہ۔", "دوسرا؞", "ثالث؝", "رابع"}},
		{"numbered item", "1. First item\nIn 2013. It ended.", []string{"1. First item", "In 2013.", "It ended."}},
		{"domain", "Visit example.com today. Bye.", []string{"Visit example.com today.", "Bye."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := Sentences(tt.in)
			checkSpans(t, tt.in, spans)
			if got := texts(tt.in, spans); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sentences(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// checkSpans checks the invariants every span list must meet: within
// bounds, non-empty, trimmed, on rune boundaries, with increasing starts.
func checkSpans(t testing.TB, text string, spans []Span) {
	t.Helper()
	prev := -1
	for _, s := range spans {
		if s.Start < 0 || s.End > len(text) || s.Start >= s.End {
			t.Fatalf("bad span %v in text of %d bytes", s, len(text))
		}
		if s.Start <= prev {
			t.Fatalf("span %v does not start after the previous start %d", s, prev)
		}
		prev = s.Start
		c := text[s.Start:s.End]
		if strings.TrimSpace(c) != c {
			t.Fatalf("span %v = %q is not trimmed", s, c)
		}
		if utf8.ValidString(text) && (!utf8.RuneStart(text[s.Start]) || s.End < len(text) && !utf8.RuneStart(text[s.End])) {
			t.Fatalf("span %v cuts a UTF-8 sequence", s)
		}
	}
}

// checkCover checks that every non-space rune of text is in some span.
func checkCover(t testing.TB, text string, spans []Span) {
	t.Helper()
	covered := make([]bool, len(text))
	for _, s := range spans {
		for i := s.Start; i < s.End; i++ {
			covered[i] = true
		}
	}
	for i, r := range text {
		if !covered[i] && !unicode.IsSpace(r) {
			t.Fatalf("rune %q at %d is in no chunk", r, i)
		}
	}
}

func checkSize(t testing.TB, text string, spans []Span, size int) {
	t.Helper()
	for _, s := range spans {
		if n := utf8.RuneCountInString(text[s.Start:s.End]); n > size {
			t.Fatalf("chunk %v has %d runes, more than %d", s, n, size)
		}
	}
}

func TestSplitPacksWholeSentences(t *testing.T) {
	text := "One two. Three four. Five six. Seven eight."
	got := texts(text, Split(text, Options{Size: 20}))
	want := []string{"One two. Three four.", "Five six.", "Seven eight."}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSplitOverlap(t *testing.T) {
	text := "جملة أولى. جملة ثانية. جملة ثالثة. جملة رابعة. جملة خامسة."
	spans := Split(text, Options{Size: 35, Overlap: 12})
	checkSpans(t, text, spans)
	checkCover(t, text, spans)
	checkSize(t, text, spans, 35)
	got := texts(text, spans)
	want := []string{"جملة أولى. جملة ثانية. جملة ثالثة.", "جملة ثالثة. جملة رابعة. جملة خامسة."}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// No overlap: chunks are disjoint.
	spans = Split(text, Options{Size: 35})
	for i := 1; i < len(spans); i++ {
		if spans[i].Start < spans[i-1].End {
			t.Errorf("chunks %v and %v overlap with Overlap 0", spans[i-1], spans[i])
		}
	}
}

func TestSplitOverlapNoLoop(t *testing.T) {
	text := strings.Repeat("Short one. ", 50)
	for _, o := range []Options{{Size: 11, Overlap: 11}, {Size: 11, Overlap: 100}, {Size: 30, Overlap: 30}, {Size: 1, Overlap: 5}} {
		spans := Split(text, o)
		checkSpans(t, text, spans)
		checkCover(t, text, spans)
		checkSize(t, text, spans, o.Size)
		for i := 1; i < len(spans); i++ {
			if spans[i].End <= spans[i-1].End {
				t.Fatalf("%+v: chunk %v does not end after %v", o, spans[i], spans[i-1])
			}
		}
	}
}

func TestSplitLongSentence(t *testing.T) {
	tests := []struct {
		name string
		in   string
		size int
		want []string
	}{
		{"arabic comma before space", "قال الوزير في بيان رسمي، إن الحكومة ستواصل العمل مع الشركاء", 30,
			[]string{"قال الوزير في بيان رسمي،", "إن الحكومة ستواصل العمل مع", "الشركاء"}},
		{"semicolon", "أولا تحسين الاقتصاد؛ ثانيا دعم التعليم؛ ثالثا الصحة", 25,
			[]string{"أولا تحسين الاقتصاد؛", "ثانيا دعم التعليم؛", "ثالثا الصحة"}},
		{"english comma", "The minister said, in a long statement today, that nothing changed", 30,
			[]string{"The minister said,", "in a long statement today,", "that nothing changed"}},
		{"no comma inside numbers", "They paid 2,000,000 dollars for the old house", 20,
			[]string{"They paid 2,000,000", "dollars for the old", "house"}},
		{"hard", strings.Repeat("ب", 25), 10,
			[]string{strings.Repeat("ب", 10), strings.Repeat("ب", 10), strings.Repeat("ب", 5)}},
		{"hard keeps harakat", "كَتَبَكَتَبَ", 5, []string{"كَتَ", "بَكَ", "تَبَ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := Split(tt.in, Options{Size: tt.size})
			checkSpans(t, tt.in, spans)
			checkCover(t, tt.in, spans)
			checkSize(t, tt.in, spans, tt.size)
			if got := texts(tt.in, spans); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSplitOptions(t *testing.T) {
	if o := DefaultOptions(); o.Size != 1000 || o.Overlap != 200 {
		t.Errorf("DefaultOptions() = %+v", o)
	}
	text := strings.Repeat("كلمة ", 600)
	def := Split(text, DefaultOptions())
	if got := Split(text, Options{Size: 0, Overlap: 200}); !reflect.DeepEqual(got, def) {
		t.Errorf("Size 0 does not use the default size")
	}
	if got := Split(text, Options{Size: -5, Overlap: -3}); len(got) == 0 {
		t.Errorf("negative options give no chunks")
	}
	if got := Split("", DefaultOptions()); got != nil {
		t.Errorf("Split of empty text = %v", got)
	}
}

func TestSplitSeedArticles(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.txt")
	if len(files) == 0 {
		t.Skip("no seed articles")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, o := range []Options{DefaultOptions(), {Size: 300, Overlap: 60}} {
			spans := Split(text, o)
			checkSpans(t, text, spans)
			checkCover(t, text, spans)
			checkSize(t, text, spans, o.Size)
			for _, s := range spans {
				// No chunk starts or ends in the middle of a word.
				before, _ := utf8.DecodeLastRuneInString(text[:s.Start])
				first, _ := utf8.DecodeRuneInString(text[s.Start:])
				last, _ := utf8.DecodeLastRuneInString(text[:s.End])
				after, _ := utf8.DecodeRuneInString(text[s.End:])
				if s.Start > 0 && isWord(before) && isWord(first) || s.End < len(text) && isWord(last) && isWord(after) {
					t.Errorf("%s: chunk %v cuts a word: %q", f, s, text[s.Start:s.End])
				}
			}
		}
		for _, s := range Sentences(text) {
			if n := utf8.RuneCountInString(text[s.Start:s.End]); n > 1000 {
				t.Errorf("%s: sentence of %d runes; a break was missed?", f, n)
			}
		}
	}
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }

func FuzzSplit(f *testing.F) {
	f.Add("One two. Three four. Five six.", 10, 3)
	f.Add("قال د. محمد، إن النمو 3.5 في المئة؟ «نعم».\n\nفقرة", 7, 2)
	f.Add(strings.Repeat("ب", 40)+" كَتَبَ", 3, 9)
	f.Add("a\xff\xfe. b", 1, 0)
	f.Fuzz(func(t *testing.T, text string, size, overlap int) {
		size = size%200 + 1
		if size <= 0 {
			size += 200
		}
		spans := Split(text, Options{Size: size, Overlap: overlap})
		checkSpans(t, text, spans)
		checkCover(t, text, spans)
		checkSize(t, text, spans, size)
		checkSpans(t, text, Sentences(text))
	})
}
