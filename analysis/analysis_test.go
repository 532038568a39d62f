package analysis

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"hello", "hello"},
		{"Hello WORLD", "hello world"},
		{"Straße", "strasse"},    // full case folding
		{"ÉCOLE", "école"},       // composed after folding
		{"e\u0301cole", "école"}, // NFC
		{"أحمد إبراهيم آمن ٱلله", "احمد ابراهيم امن الله"},
		{"مستشفى", "مستشفي"},
		{"مدرسة", "مدرسه"},
		{"مسؤول", "مسوول"},
		{"رئيس", "رييس"},
		{"ء", "ء"},
		{"كَتَبَ الطّالِبُ", "كتب الطالب"},
		{"عارٍ", "عار"},
		{"الرحمٰن", "الرحمن"},
		{"جمـــيل", "جميل"},
		{"٢٠٢٤ و۱۴۰۳", "2024 و1403"},
		{"٣٫٥٪", "3.5%"},
		{"١٬٠٠٠", "1,000"},
		{"کتاب فارسی", "كتاب فارسي"},
		{"ﻻ ﻷ", "لا لا"},     // presentation forms
		{"ﷲ", "الله"},        // ligature
		{"ＡＢＣ１２３", "abc123"}, // full width
		{"\u200fمرحبا\u200e", "مرحبا"},
		{"«الكيماوي»", "«الكيماوي»"},
		{"ا\u0653", "ا"}, // decomposed madda
		{"ي\u0654", "ي"}, // decomposed hamza on yeh
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Normalize(Normalize(tt.in)); got != tt.want {
			t.Errorf("Normalize not idempotent on %q: %q", tt.in, got)
		}
	}
}

func TestNormalizeUnchangedNoAlloc(t *testing.T) {
	s := "already normalised text and كتاب"
	if n := testing.AllocsPerRun(100, func() { _ = Normalize(s) }); n != 0 {
		t.Errorf("Normalize of a normalised string allocates %v times", n)
	}
}

func TestTokens(t *testing.T) {
	type tok struct{ Text, Norm, Term string }
	tests := []struct {
		in   string
		want []tok
	}{
		{"", nil},
		{"  ,. « »", nil},
		{"Hello, World!", []tok{{"Hello", "hello", "hello"}, {"World", "world", "world"}}},
		{"قال «الرئيس» إن", []tok{{"قال", "قال", "قال"}, {"الرئيس", "الرييس", "رييس"}, {"إن", "ان", ""}}},
		{"كَتَبَ الطّالِبُ", []tok{{"كَتَبَ", "كتب", "كتب"}, {"الطّالِبُ", "الطالب", "طالب"}}},
		{"جمـــيل", []tok{{"جمـــيل", "جميل", "جميل"}}},
		{"غربي ـ روسي", []tok{{"غربي", "غربي", "غرب"}, {"روسي", "روسي", "روس"}}},
		{"3.5 2,000 1.000.000 ٣٫٥ 3.", []tok{{"3.5", "3.5", "3.5"}, {"2,000", "2,000", "2,000"}, {"1.000.000", "1.000.000", "1.000.000"}, {"٣٫٥", "3.5", "3.5"}, {"3", "3", "3"}}},
		{"الـ48 لـ2013", []tok{{"الـ", "ال", "ال"}, {"48", "48", "48"}, {"لـ", "ل", "ل"}, {"2013", "2013", "2013"}}},
		{"G7 COVID-19", []tok{{"G7", "g7", "g7"}, {"COVID", "covid", "covid"}, {"19", "19", "19"}}},
		{"U.S. e.g.", []tok{{"U", "u", "u"}, {"S", "s", ""}, {"e", "e", "e"}, {"g", "g", "g"}}},
		{"می\u200cخواهم", []tok{{"می\u200cخواهم", "ميخواهم", "ميخوا"}}}, // Persian gets Arabic rules
		{"word\u200c", []tok{{"word", "word", "word"}}},
		{"x\xffy", []tok{{"x", "x", "x"}, {"y", "y", "y"}}},
	}
	for _, tt := range tests {
		var got []tok
		for _, k := range Tokens(tt.in) {
			if tt.in[k.Start:k.End] != k.Text {
				t.Errorf("Tokens(%q): %q at [%d:%d] is %q", tt.in, k.Text, k.Start, k.End, tt.in[k.Start:k.End])
			}
			got = append(got, tok{k.Text, k.Norm, k.Term})
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokens(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"والمعلمون", "معلم"},
		{"بالكتاب", "كتاب"},
		{"المدرسة", "مدرس"},
		{"كتابها", "كتاب"},
		{"مدرستها", "مدرس"},
		{"كتابهم", "كتاب"},
		{"مدارسنا", "مدارس"},
		{"المعلمات", "معلم"},
		{"معلماتها", "معلم"},
		{"المسلمين", "مسلم"},
		{"الدولتين", "دول"},
		{"الدولة", "دول"},
		{"السورية", "سور"},
		{"السوري", "سور"},
		{"سوريا", "سور"},
		{"وسوريا", "سور"},
		{"روسيا", "روس"},
		{"الروسية", "روس"},
		{"بريطانيا", "بريطان"},
		{"دنيا", "دنيا"}, // too short to lose its ا
		{"العربي", "عرب"},
		{"العرب", "عرب"},
		{"الحكومة", "حكوم"},
		{"حكومتها", "حكوم"},
		{"فالمدرسة", "مدرس"},
		{"كالبحر", "بحر"},
		{"للموقع", "موقع"},
		{"وللمرة", "مر"[:0] + "مره"},
		{"وقال", "قال"},
		{"وأعلنت", "اعلنت"},
		{"فأكد", "اكد"},
		{"الانتخابات", "انتخاب"},
		{"مسؤولون", "مسوول"},
		{"مسؤول", "مسوول"},
		{"الفلسطينيين", "فلسطين"},
		{"فلسطين", "فلسطين"},
		{"والفلسطينية", "فلسطين"},
		{"البحرين", "بحرين"},
		{"بوتين", "بوتين"},
		{"الاسلحة", "اسلح"},
		{"الكيميائية", "كيميا"},
		{"الكيميائي", "كيميا"},
		// Letters that look like affixes but belong to the word.
		{"وزير", "وزير"},
		{"ووزير", "وزير"},
		{"وزارة", "وزار"},
		{"وقت", "وقت"},
		{"فريق", "فريق"},
		{"لبنان", "لبنان"},
		{"ايران", "ايران"},
		{"اعلان", "اعلان"},
		{"بيان", "بيان"},
		{"القانون", "قانون"},
		{"الله", "الله"},
		// Too short to strip.
		{"اب", "اب"},
		{"هم", "هم"},
		{"له", "له"},
		{"متهم", "متهم"},
		{"بيت", "بيت"},
		{"وطن", "وطن"},
		{"الام", "الام"},
		{"فيه", "فيه"},
		// English and others.
		{"policies", "policy"},
		{"cars", "car"},
		{"boxes", "boxe"},
		{"gas", "gas"},
		{"news", "news"},
		{"class", "class"},
		{"3.5", "3.5"},
		{"москва", "москва"},
	}
	for _, tt := range tests {
		if got := Stem(Normalize(tt.in)); got != tt.want {
			t.Errorf("Stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStemRulesAreNormalised(t *testing.T) {
	lists := [][]string{articles, pronounSuffix, pluralSuffix, conjunctions}
	for _, m := range []map[string]struct{}{protectedStems, rootInitialExact, singularS} {
		var l []string
		for w := range m {
			l = append(l, w)
		}
		lists = append(lists, l)
	}
	for _, l := range lists {
		for _, w := range l {
			if Normalize(w) != w {
				t.Errorf("rule %q is not normalised (%q); it could never match", w, Normalize(w))
			}
		}
	}
}

func TestLexicalTerms(t *testing.T) {
	got := LexicalTerms("في سوريا")
	want := []string{"سور", "#_سو", "#سور", "#وري", "#ريا", "#يا_", "#_سور", "#سوري", "#وريا", "#ريا_"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LexicalTerms = %q, want %q", got, want)
	}
	// A word shorter than an n-gram gives itself, framed.
	if got := LexicalTerms("G7"); !reflect.DeepEqual(got, []string{"g7", "#_g7", "#g7_", "#_g7_"}) {
		t.Errorf("LexicalTerms(G7) = %q", got)
	}
	if got := LexicalTerms("في من"); len(got) != 0 {
		t.Errorf("stopwords gave terms %q", got)
	}
	// Spellings the stemmer keeps apart still share n-grams.
	shared := 0
	a := LexicalTerms("تتركز")
	for _, g := range LexicalTerms("يتركز") {
		if strings.HasPrefix(g, gramMarker) && slices.Contains(a, g) {
			shared++
		}
	}
	if shared == 0 {
		t.Error("تتركز and يتركز share no n-gram")
	}
}

func TestIsStopword(t *testing.T) {
	for _, w := range []string{"في", "من", "إلى", "على", "أن", "إنّ", "هذه", "التي", "الذي", "وفي", "عليه", "كان", "the", "of", "and", "is"} {
		if !IsStopword(Normalize(w)) {
			t.Errorf("IsStopword(%q) = false", w)
		}
	}
	for _, w := range []string{"قال", "أكد", "أمس", "اليوم", "وزير", "سوريا", "US", "May", "kill", "news", ""} {
		if IsStopword(Normalize(w)) {
			t.Errorf("IsStopword(%q) = true", w)
		}
	}
	if n := len(stopwords); n < 250 {
		t.Errorf("only %d stopwords", n)
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"وقال الرئيس إن المعلمين في المدرسة", []string{"قال", "رييس", "معلم", "مدرس"}},
		{"The policies of the U.S. in 2024", []string{"policy", "u", "2024"}},
		{"المدرسة والمدرسة المدرسه", []string{"مدرس", "مدرس", "مدرس"}},
		{"صلى الله عليه ﷺ", []string{"صلي", "الله", "صلي", "الله", "سلم"}},
		{"ﻻ ﻷ كتاب", []string{"كتاب"}},
	}
	for _, tt := range tests {
		got := Terms(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Terms(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// Terms is the fast path of Tokens' Term; they must agree, except
		// where NFKC turns one character into several words (ﷺ).
		slow := []string{}
		split := false
		for _, k := range Tokens(tt.in) {
			split = split || strings.ContainsRune(k.Norm, ' ')
			if k.Term != "" {
				slow = append(slow, k.Term)
			}
		}
		if !split && !reflect.DeepEqual(got, slow) {
			t.Errorf("Terms(%q) = %q but Tokens terms are %q", tt.in, got, slow)
		}
	}
}

func seeds(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Skip("no seed articles")
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func TestSeedArticles(t *testing.T) {
	for _, text := range seeds(t) {
		toks := Tokens(text)
		if len(toks) < 100 {
			t.Fatalf("only %d tokens", len(toks))
		}
		var terms []string
		for _, k := range toks {
			checkToken(t, text, k)
			if k.Term != "" {
				terms = append(terms, k.Term)
			}
		}
		if got := Terms(text); !reflect.DeepEqual(got, terms) {
			t.Errorf("Terms and Tokens disagree on a seed article")
		}
	}
}

func checkToken(t testing.TB, s string, k Token) {
	t.Helper()
	if k.Start < 0 || k.Start >= k.End || k.End > len(s) {
		t.Fatalf("token %q has bad offsets [%d:%d] in %q", k.Text, k.Start, k.End, s)
	}
	if s[k.Start:k.End] != k.Text {
		t.Fatalf("token %q != input[%d:%d] = %q", k.Text, k.Start, k.End, s[k.Start:k.End])
	}
	if !utf8.ValidString(k.Text) || !utf8.ValidString(k.Norm) || !utf8.ValidString(k.Term) {
		t.Fatalf("token %q: invalid UTF-8 in %q %q", k.Text, k.Norm, k.Term)
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{"", "Hello, World!", "قال «الرئيس» إن 3.5 و2,000", "كَتَبَ الطّالِبُ جمـــيل", "الـ48 می\u200cخواهم ﻻ ﷺ", "a\xffb\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		end := 0
		for _, k := range Tokens(s) {
			checkToken(t, s, k)
			if k.Start < end {
				t.Fatalf("token %q at %d overlaps the previous one ending at %d", k.Text, k.Start, end)
			}
			end = k.End
		}
		for _, term := range Terms(s) {
			if term == "" || !utf8.ValidString(term) {
				t.Fatalf("bad term %q", term)
			}
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "Straße", "أحمد إبراهيم", "ﻻ ﷲ", "e\u0640\u0301", "ا\u0640\u0653", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if utf8.ValidString(s) && !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q is not valid UTF-8", s, n)
		}
		if n2 := Normalize(n); n2 != n {
			t.Fatalf("Normalize not idempotent on %q: %q then %q", s, n, n2)
		}
	})
}

func BenchmarkTerms(b *testing.B) {
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		for _, s := range seeds(b) {
			sb.WriteString(s)
			sb.WriteByte('\n')
		}
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Terms(text)
	}
}

func BenchmarkNormalize(b *testing.B) {
	text := strings.Join(seeds(b), "\n")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Normalize(text)
	}
}

func BenchmarkLexicalTerms(b *testing.B) {
	files, _ := filepath.Glob("../testdata/*.txt")
	var text strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		text.Write(data)
	}
	s := text.String()
	b.SetBytes(int64(len(s)))
	for range b.N {
		LexicalTerms(s)
	}
}
