package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// A corpus of everything that goes wrong in real folders: each bad input is
// reported by name (and line), the good ones are indexed, the exit status
// says that some inputs failed, and nothing crashes or hangs.
func TestBadInputsAreReportedAndTheRestIndexed(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := "عنوان الخبر الجيد\n\nأعلنت البلدية افتتاح حديقة عامة جديدة في وسط المدينة."
	write("good.txt", []byte(good))
	write("invalid-utf8.txt", []byte("عنوان\n\nنص \xff\xfe مكسور"))
	utf16le := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune("خبر بترميز UTF-16\n\nنص الخبر المرمز بترميز آخر.")) {
		utf16le = append(utf16le, byte(u), byte(u>>8))
	}
	write("utf16.txt", utf16le)
	write("image.txt", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 1, 2}, 100)...))
	write("program.txt", append([]byte("\x7fELF\x02\x01\x01"), bytes.Repeat([]byte{0}, 100)...))
	write("empty.txt", nil)
	write("blank.md", []byte(" \n\t\n  \n"))
	write("diacritics.txt", []byte(strings.Repeat("َُِّْ", 50)))
	write("long-line.txt", []byte("سطر طويل\n\n"+strings.Repeat("كلمة ", 200_000)))
	write("scripts.html", []byte("<html><head><title>صفحة ثقيلة</title><script>"+strings.Repeat("var x=1;", 500_000)+
		"</script></head><body><article><p>"+strings.Repeat("فقرة الخبر الرئيسية عن افتتاح المكتبة. ", 30)+"</p></article></body></html>"))
	write("nested.html", []byte("<html><body>"+strings.Repeat("<div>", 20_000)+"<p>نص عميق داخل عناصر متداخلة كثيرة.</p>"+strings.Repeat("</div>", 20_000)+"</body></html>"))
	write("feed.jsonl", []byte(`{"id":"r1","title":"سجل جيد","text":"نص السجل الأول عن الانتخابات البلدية."}
{"id":"r2","title":"سجل مكسور",
{"id":"r3","title":"بلا نص"}
{"id":"r4","text":42}
{"id":"r5","title":"سجل جيد آخر","text":"نص السجل الثاني عن مهرجان الشعر."}
`))
	big := filepath.Join(dir, "huge.txt")
	f, _ := os.Create(big)
	f.Truncate(200 << 20) // sparse: 200 MB on paper, nothing written
	f.Close()
	if err := os.Symlink(dir, filepath.Join(dir, "loop")); err != nil {
		t.Fatal(err)
	}
	write("locked.txt", []byte("عنوان\n\nنص"))
	os.Chmod(filepath.Join(dir, "locked.txt"), 0)

	db := t.TempDir()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"--db", db, "index", dir}, strings.NewReader(""), &stdout, &stderr)
	}()
	var code int
	select {
	case code = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("index of bad inputs hung")
	}
	out := stdout.String()
	if code != exitFailure {
		t.Errorf("exit %d, want %d (some inputs failed)", code, exitFailure)
	}
	for _, want := range []string{
		"invalid-utf8.txt", "nested.html", "image.txt", "program.txt", "empty.txt", "blank.md", "diacritics.txt", "huge.txt",
		"feed.jsonl:2", "feed.jsonl:3", "feed.jsonl:4",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no problem reported for %s:\n%s", want, out)
		}
	}
	if os.Geteuid() != 0 && !strings.Contains(out, "locked.txt") {
		t.Errorf("unreadable file not reported:\n%s", out)
	}
	list := mustSanad(t, "--db", db, "list")
	for _, want := range []string{"good.txt", "utf16.txt", "long-line.txt", "scripts.html", "r1", "r5"} {
		if !strings.Contains(list, want) {
			t.Errorf("%s was not indexed:\n%s", want, list)
		}
	}
	if strings.Contains(list, "loop/") {
		t.Errorf("the symlink loop was followed:\n%s", list)
	}
	hits := mustSanad(t, "--db", db, "search", "--json", "-k", "1", "افتتاح المكتبة")
	if strings.Contains(hits, "var x") || !strings.Contains(hits, "scripts.html") {
		t.Errorf("script text reached the index, or the page text did not:\n%.300s", hits)
	}
	if rep := mustSanad(t, "--db", db, "verify"); !strings.Contains(rep, "ok") {
		t.Errorf("verify: %s", rep)
	}
}
