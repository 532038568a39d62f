package reader

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sanadhq/sanad"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

const formats = "../testdata/formats"

// write creates dir/name with content, making parent folders.
func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// walk collects what Walk reports for paths.
func walk(t *testing.T, opt Options, paths ...string) ([]sanad.Article, []Problem) {
	t.Helper()
	var arts []sanad.Article
	var probs []Problem
	err := Walk(context.Background(), paths, opt, func(a sanad.Article) error {
		arts = append(arts, a)
		return nil
	}, func(p Problem) { probs = append(probs, p) })
	if err != nil {
		t.Fatal(err)
	}
	return arts, probs
}

func ids(arts []sanad.Article) []string {
	var out []string
	for _, a := range arts {
		out = append(out, a.ID)
	}
	return out
}

// readOne reads a file that must give exactly one article.
func readOne(t *testing.T, path string) sanad.Article {
	t.Helper()
	arts, probs := ReadFile(path, filepath.Dir(path), Options{})
	if len(probs) > 0 || len(arts) != 1 {
		t.Fatalf("ReadFile(%s) = %d articles, problems %v", path, len(arts), probs)
	}
	return arts[0]
}

// readProblem reads a file that must give exactly one problem.
func readProblem(t *testing.T, path string, opt Options) Problem {
	t.Helper()
	arts, probs := ReadFile(path, filepath.Dir(path), opt)
	if len(arts) != 0 || len(probs) != 1 {
		t.Fatalf("ReadFile(%s) = %d articles, problems %v; want one problem", path, len(arts), probs)
	}
	return probs[0]
}

func TestFixturesHaveNoProblems(t *testing.T) {
	arts, probs := walk(t, Options{}, formats)
	if len(probs) > 0 {
		t.Errorf("problems: %v", probs)
	}
	want := []string{"briefs-001", "briefs-002", "briefs-003", "desalination.html", "river-cleanup.md"}
	if got := ids(arts); !reflect.DeepEqual(got, want) {
		t.Errorf("IDs = %q, want %q", got, want)
	}
	for _, a := range arts {
		if a.Title == "" || a.Text == "" || a.Source == "" || len(a.Hash) != 64 {
			t.Errorf("incomplete article %+v", a)
		}
		if a.Text != Clean(a.Text) {
			t.Errorf("%s: Text is not clean", a.ID)
		}
	}
}

func TestHTML(t *testing.T) {
	a := readOne(t, filepath.Join(formats, "desalination.html"))
	if a.Title != "افتتاح أول محطة تحلية تعمل بالطاقة الشمسية في العقبة" {
		t.Errorf("Title = %q", a.Title)
	}
	if a.Date != "2024-03-14" {
		t.Errorf("Date = %q", a.Date)
	}
	if !strings.Contains(a.Text, "افتتحت وزارة المياه صباح الخميس") || !strings.Contains(a.Text, "وفق المعايير الدولية.") {
		t.Errorf("article body missing from Text:\n%s", a.Text)
	}
	// Menu, sidebar, footer, script and style must all stay out.
	for _, bad := range []string{"الرئيسية", "رياضة", "الأكثر قراءة", "ارتفاع أسعار الخضار", "جميع الحقوق محفوظة",
		"سياسة الخصوصية", "dataLayer", "console", "تتبع الزوار", "font-family", "track()", "<", ">"} {
		if strings.Contains(a.Text, bad) {
			t.Errorf("Text contains %q:\n%s", bad, a.Text)
		}
	}
	if paras := strings.Split(a.Text, "\n\n"); len(paras) < 5 {
		t.Errorf("want paragraphs separated by blank lines, got %d", len(paras))
	}
}

func TestHTMLDeclaredCharset(t *testing.T) {
	page := `<html><head><meta charset="windows-1256"><title>عنوان الخبر</title></head><body><article><p>` +
		strings.Repeat("هذا نص عربي مرمز بترميز ويندوز القديم. ", 20) + `</p></article></body></html>`
	enc, err := charmap.Windows1256.NewEncoder().String(page)
	if err != nil {
		t.Fatal(err)
	}
	a := readOne(t, write(t, t.TempDir(), "old.html", enc))
	if a.Title != "عنوان الخبر" || !strings.Contains(a.Text, "هذا نص عربي مرمز") {
		t.Errorf("got title %q text %q", a.Title, a.Text)
	}

	// Without a declaration the bytes are not guessed at.
	p := readProblem(t, write(t, t.TempDir(), "bad.html", "<p>ok</p>\n<p>\xff</p>"), Options{})
	if !errors.Is(p, ErrInvalidUTF8) || p.Line != 2 {
		t.Errorf("got %v", p)
	}
}

func TestMarkdown(t *testing.T) {
	a := readOne(t, filepath.Join(formats, "river-cleanup.md"))
	if a.Title != "Volunteers pull two tonnes of plastic from the Jordan River banks" {
		t.Errorf("Title = %q", a.Title)
	}
	if a.Date != "2024-05-02" {
		t.Errorf("Date = %q", a.Date)
	}
	if !strings.HasPrefix(a.Text, a.Title+"\n\n") {
		t.Errorf("Text should start with the plain title line:\n%s", a.Text)
	}
	for _, bad := range []string{"#", "**", "https://", "date:", "---"} {
		if strings.Contains(a.Text, bad) {
			t.Errorf("Text contains markup %q", bad)
		}
	}

	dir := t.TempDir()
	fm := readOne(t, write(t, dir, "fm.md", "---\ntitle: \"From *front* matter\"\ndate: March 14, 2024\n---\n\nBody line.\n"))
	if fm.Title != "From *front* matter" || fm.Date != "2024-03-14" || fm.Text != "Body line." {
		t.Errorf("front matter: %+v", fm)
	}
	setext := readOne(t, write(t, dir, "setext.MD", "\n\nA **bold** title\n=====\n\nBody.\n"))
	if setext.Title != "A bold title" || setext.Text != "A bold title\n\nBody." {
		t.Errorf("setext: %+v", setext)
	}
}

func TestText(t *testing.T) {
	dir := t.TempDir()
	a := readOne(t, write(t, dir, "news.TXT", "\ufeff\r\n  عنوان الخبر  \r\n\r\n\r\n\r\nالفقرة الأولى.\r\nالفقرة الثانية.\r\n"))
	if a.Title != "عنوان الخبر" {
		t.Errorf("Title = %q", a.Title)
	}
	// The title line stays in Text: chunk offsets index Text, and many
	// plain files open with a paragraph rather than a headline.
	if want := "عنوان الخبر\n\nالفقرة الأولى.\nالفقرة الثانية."; a.Text != want {
		t.Errorf("Text = %q, want %q", a.Text, want)
	}
	if a.ID != "news.TXT" || a.Source != filepath.Join(dir, "news.TXT") || a.Date != "" {
		t.Errorf("got %+v", a)
	}
}

func TestJSONL(t *testing.T) {
	arts, probs := ReadFile("testdata/mixed.jsonl", "testdata", Options{})
	if got, want := ids(arts), []string{"m-1", "mixed.jsonl#3", "m-6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("IDs = %q, want %q", got, want)
	}
	var lines []int
	for _, p := range probs {
		lines = append(lines, p.Line)
		if p.Path != "testdata/mixed.jsonl" || !strings.HasPrefix(p.Error(), "testdata/mixed.jsonl:") {
			t.Errorf("problem %q does not name the file", p)
		}
	}
	if want := []int{2, 5, 6}; !reflect.DeepEqual(lines, want) {
		t.Errorf("problem lines = %v, want %v (%v)", lines, want, probs)
	}
	if len(arts) == 3 {
		if a := arts[0]; a.Title != "خبر أول" || a.Date != "2024-01-05" || a.Source != "testdata/mixed.jsonl" {
			t.Errorf("record 1: %+v", a)
		}
		if a := arts[2]; a.Source != "https://example.org/m6" || a.Title != "خبر سادس له رابط ومصدر." {
			t.Errorf("record 6: %+v", a)
		}
	}
}

func TestJSONLRecordProblems(t *testing.T) {
	tests := []struct{ line, want string }{
		{`not json`, "want a JSON object"},
		{`{"text": "a",}`, "invalid JSON"},
		{`[1, 2]`, "want a JSON object"},
		{`null`, "want a JSON object"},
		{`{"title": "no text"}`, `missing or empty "text"`},
		{`{"text": 5}`, `field "text": want a string`},
		{`{"text": "ok", "date": ["x"]}`, `field "date": want a string`},
		{`{"text": "... ،،، ًٌٍ"}`, "no text"},
		{"{\"text\": \"bad \xff byte\"}", "invalid UTF-8 at byte 42"}, // offset in the file
	}
	for _, tt := range tests {
		content := "{\"text\": \"سطر سليم\"}\n" + tt.line + "\n"
		arts, probs := parseRecords(strings.NewReader(content), "f.jsonl", "f.jsonl", false)
		if len(arts) != 1 || len(probs) != 1 || probs[0].Line != 2 || !strings.Contains(probs[0].Error(), tt.want) {
			t.Errorf("%s: got %d articles, problems %v; want one problem on line 2 with %q", tt.line, len(arts), probs, tt.want)
		}
	}
}

func TestJSONLLongLine(t *testing.T) {
	text := strings.Repeat("كلمة ", 2<<20) // a 10 MiB line
	arts, probs := parseRecords(strings.NewReader(`{"text": "`+text+`"}`), "f.jsonl", "f.jsonl", false)
	if len(probs) > 0 || len(arts) != 1 || len(arts[0].Text) != len(text)-1 {
		t.Fatalf("got %d articles, problems %v", len(arts), probs)
	}
}

func TestJSON(t *testing.T) {
	dir := t.TempDir()
	array := "\n\n[\n  {\"id\": \"a\", \"text\": \"أول\"},\n  {\"id\": \"b\"},\n  {\"text\": \"ثالث\"}\n]\n"
	arts, probs := ReadFile(write(t, dir, "list.json", array), dir, Options{})
	if got, want := ids(arts), []string{"a", "list.json#6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("IDs = %q, want %q", got, want)
	}
	if len(probs) != 1 || probs[0].Line != 5 {
		t.Errorf("problems = %v, want one on line 5", probs)
	}

	for _, cut := range []string{"[\n{\"text\": \"a\"},\n", "[\n{\"text\": \"a\"}\n"} {
		arts, probs := ReadFile(write(t, dir, "cut.json", cut), dir, Options{})
		if len(arts) != 1 || len(probs) != 1 || !strings.Contains(probs[0].Error(), "invalid JSON array: unexpected EOF") {
			t.Errorf("cut array %q: %d articles, problems %v", cut, len(arts), probs)
		}
	}

	single := readOne(t, write(t, dir, "one.json", "{\n  \"title\": \"عنوان\",\n  \"text\": \"نص\"\n}\n"))
	if single.ID != "one.json#1" || single.Title != "عنوان" {
		t.Errorf("single object: %+v", single)
	}

	lines := readOne(t, write(t, dir, "lines.json", "{\"id\": \"x\", \"text\": \"نص\"}\n\n"))
	if lines.ID != "x" {
		t.Errorf("JSONL in .json: %+v", lines)
	}

	// A syntax error ends the array; what came before it is kept.
	arts, probs = ReadFile(write(t, dir, "broken.json", "[\n{\"text\": \"a\"},\n{\"text\": }\n]"), dir, Options{})
	if len(arts) != 1 || len(probs) != 1 || probs[0].Line != 3 {
		t.Errorf("broken array: %d articles, problems %v; want 1 and one problem on line 3", len(arts), probs)
	}
}

func TestIDs(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.txt", "A")
	write(t, dir, "sub/deeper/b.md", "# B")
	write(t, dir, "sub/c.jsonl", `{"text": "C"}`)

	arts, probs := walk(t, Options{}, dir)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if got, want := ids(arts), []string{"a.txt", "sub/c.jsonl#1", "sub/deeper/b.md"}; !reflect.DeepEqual(got, want) {
		t.Errorf("folder IDs = %q, want %q", got, want)
	}
	// The same file keeps its ID however it is named.
	for _, arg := range []string{filepath.Join(dir, "a.txt"), filepath.Join(dir, "*.txt"), filepath.Join(dir, "?.txt")} {
		arts, _ := walk(t, Options{}, arg)
		if got := ids(arts); !reflect.DeepEqual(got, []string{"a.txt"}) {
			t.Errorf("%s: IDs = %q", arg, got)
		}
	}
	arts, _ = walk(t, Options{}, filepath.Join(dir, "sub", "*", "*.md"))
	if got := ids(arts); !reflect.DeepEqual(got, []string{"deeper/b.md"}) {
		t.Errorf("glob IDs = %q, want relative to the glob's folder", got)
	}
	arts, _ = walk(t, Options{}, filepath.Join(dir, "s*"))
	if got := ids(arts); !reflect.DeepEqual(got, []string{"sub/c.jsonl#1", "sub/deeper/b.md"}) {
		t.Errorf("glob matching a folder: IDs = %q", got)
	}
	if got := fileID("/x/y/z.txt", ""); got != "z.txt" {
		t.Errorf("fileID without root = %q", got)
	}
	if got := fileID("/x/y/z.txt", "/other"); got != "z.txt" {
		t.Errorf("fileID outside root = %q", got)
	}
}

func TestWalkOrderAndSkips(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.txt", "a/z.txt", "a.txt", "c/a.md", "A.txt", "notes.docx", ".hidden.txt", ".git/x.txt", "img.PNG"} {
		write(t, dir, name, "نص "+name)
	}
	first, probs := walk(t, Options{}, dir)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	want := []string{"A.txt", "a/z.txt", "a.txt", "b.txt", "c/a.md"}
	if got := ids(first); !reflect.DeepEqual(got, want) {
		t.Errorf("IDs = %q, want %q", got, want)
	}
	again, _ := walk(t, Options{}, dir)
	if !reflect.DeepEqual(first, again) {
		t.Error("two walks differ")
	}
	// A hidden file named in a pattern that asks for it is read.
	arts, _ := walk(t, Options{}, filepath.Join(dir, ".h*"))
	if got := ids(arts); !reflect.DeepEqual(got, []string{".hidden.txt"}) {
		t.Errorf("explicit hidden glob: %q", got)
	}
	// Overlapping arguments read each file once.
	arts, _ = walk(t, Options{}, filepath.Join(dir, "b.txt"), dir)
	if len(arts) != len(want) {
		t.Errorf("overlapping arguments gave %d articles, want %d", len(arts), len(want))
	}
}

func TestWalkArgumentProblems(t *testing.T) {
	dir := t.TempDir()
	docx := write(t, dir, "notes.docx", "text")
	missing := filepath.Join(dir, "missing.txt")
	noMatch := filepath.Join(dir, "*.html")
	badPattern := filepath.Join(dir, "[")
	_, probs := walk(t, Options{}, docx, missing, noMatch, badPattern)
	if len(probs) != 4 {
		t.Fatalf("problems = %v", probs)
	}
	if !errors.Is(probs[0], ErrUnsupported) || probs[0].Path != docx {
		t.Errorf("unknown extension: %v", probs[0])
	}
	if !errors.Is(probs[1], os.ErrNotExist) || probs[1].Error() != missing+": no such file or directory" {
		t.Errorf("missing: %v", probs[1])
	}
	if !errors.Is(probs[2], ErrNoMatch) || probs[2].Path != noMatch {
		t.Errorf("no match: %v", probs[2])
	}
	if !errors.Is(probs[3], filepath.ErrBadPattern) {
		t.Errorf("bad pattern: %v", probs[3])
	}
}

func TestWalkStops(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.txt", "a")
	write(t, dir, "b.txt", "b")
	stop := errors.New("stop")
	n := 0
	err := Walk(context.Background(), []string{dir}, Options{}, func(sanad.Article) error {
		n++
		return stop
	}, nil)
	if err != stop || n != 1 {
		t.Errorf("err = %v after %d articles, want stop after 1", err, n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Walk(ctx, []string{dir}, Options{}, func(sanad.Article) error {
		t.Error("article after cancel")
		return nil
	}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestInvalidUTF8(t *testing.T) {
	path := write(t, t.TempDir(), "bad.txt", "سطر أول\nسطر \xd8 ثان\n")
	p := readProblem(t, path, Options{})
	if !errors.Is(p, ErrInvalidUTF8) || p.Path != path || p.Line != 2 || !strings.Contains(p.Error(), "byte 21") {
		t.Errorf("got %v", p)
	}
}

func TestUTF16(t *testing.T) {
	text := "عنوان\n\nنص الخبر."
	for _, order := range []unicode.Endianness{unicode.LittleEndian, unicode.BigEndian} {
		enc, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().String(text)
		if err != nil {
			t.Fatal(err)
		}
		a := readOne(t, write(t, t.TempDir(), "u16.txt", enc))
		if a.Title != "عنوان" || a.Text != text {
			t.Errorf("endianness %v: %+v", order, a)
		}
	}
}

func TestBinaryEmptyNoText(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		want          error
	}{
		{"png.txt", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ErrBinary},
		{"elf.txt", "\x7fELF\x02\x01\x01", ErrBinary},
		{"nul.md", "text\x00more", ErrBinary},
		{"empty.txt", "", ErrEmpty},
		{"spaces.txt", " \n\t\r\n\ufeff\u00a0 ", ErrEmpty},
		{"empty.jsonl", "\n\n", ErrEmpty},
		{"empty.html", "  \n", ErrEmpty},
		{"marks.txt", "ً ٌ ٍ ... ، ؟ !", ErrNoText},
		{"noarticle.html", "<html><body><script>var x = 1;</script></body></html>", ErrNoText},
	}
	for _, tt := range tests {
		p := readProblem(t, write(t, dir, tt.name, tt.content), Options{})
		if !errors.Is(p, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, p, tt.want)
		}
	}
}

func TestTooLarge(t *testing.T) {
	path := write(t, t.TempDir(), "big.txt", strings.Repeat("word ", 100))
	p := readProblem(t, path, Options{MaxFileSize: 100})
	if !errors.Is(p, ErrTooLarge) {
		t.Errorf("got %v", p)
	}
	readOne(t, path) // the default limit is far larger
}

func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "real/a.txt", "a")
	links := map[string]string{
		"real/loop":   "..",                           // back up to the root
		"real/self":   ".",                            // into itself
		"alias":       "real",                         // a second name for a folder
		"link.txt":    filepath.Join("real", "a.txt"), // a second name for a file
		"dangling.md": "nowhere.md",
		"cycle1.txt":  "cycle2.txt",
		"cycle2.txt":  "cycle1.txt",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
	}
	arts, probs := walk(t, Options{}, dir)
	if len(arts) != 1 || arts[0].ID != "alias/a.txt" {
		t.Errorf("IDs = %q, want the file once, under the first name found", ids(arts))
	}
	// The dangling link and the two cycle members, each reported once.
	if len(probs) != 3 {
		t.Errorf("problems = %v", probs)
	}
}

func TestUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, which can read any file")
	}
	dir := t.TempDir()
	path := write(t, dir, "secret.txt", "text")
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked")
	write(t, locked, "x.txt", "x")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(locked, 0o755)
	write(t, dir, "ok.txt", "ok")
	arts, probs := walk(t, Options{}, dir)
	if got := ids(arts); !reflect.DeepEqual(got, []string{"ok.txt"}) {
		t.Errorf("IDs = %q", got)
	}
	if len(probs) != 2 || !errors.Is(probs[0], os.ErrPermission) || !errors.Is(probs[1], os.ErrPermission) {
		t.Errorf("problems = %v", probs)
	}
}

func TestProblemError(t *testing.T) {
	if got := (Problem{Path: "a.jsonl", Line: 3, Err: ErrEmpty}).Error(); got != "a.jsonl:3: empty" {
		t.Errorf("with line: %q", got)
	}
	if got := (Problem{Path: "a.txt", Err: ErrBinary}).Error(); got != "a.txt: binary file" {
		t.Errorf("without line: %q", got)
	}
}

// validArticle fails the test unless a is fit to index.
func validArticle(t *testing.T, a sanad.Article) {
	t.Helper()
	for _, s := range []string{a.ID, a.Title, a.Source, a.Date, a.Text} {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 in %+v", a)
		}
	}
	if a.ID == "" || a.Text == "" || a.Title == "" || bytes.ContainsAny([]byte(a.Title), "\n") {
		t.Fatalf("incomplete article %+v", a)
	}
}
