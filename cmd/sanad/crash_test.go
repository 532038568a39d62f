package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sanadhq/sanad/store"
)

// buildSanad compiles the real binary once for the tests that kill it.
func buildSanad(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sanad")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// writeCorpus writes n articles of a few paragraphs each.
func writeCorpus(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	words := strings.Fields("الحكومة أعلنت اليوم خطة جديدة لدعم المزارعين في المناطق الريفية وقال الوزير إن المشروع يشمل بناء سدود ومحطات ضخ وتوزيع بذور محسنة على الأسر الفقيرة وأكد مسؤولون أن التمويل يأتي من صندوق التنمية الوطني")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "خبر رقم %d عن التنمية\n\n", i)
		for p := range 3 {
			for s := range 5 {
				for range 12 {
					b.WriteString(words[rng.IntN(len(words))] + " ")
				}
				fmt.Fprintf(&b, "في الفقرة %d الجملة %d.", p, s)
			}
			b.WriteString("\n\n")
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("a%04d.txt", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var committedLine = regexp.MustCompile(`msg=committed added=(\d+) updated=(\d+) chunks=(\d+)`)

// lastCommitted reads the stderr of an index run and returns the number of
// articles it reported as committed.
func lastCommitted(stderr string) int {
	n := 0
	for _, m := range committedLine.FindAllStringSubmatch(stderr, -1) {
		a, _ := strconv.Atoi(m[1])
		u, _ := strconv.Atoi(m[2])
		n = max(n, a+u)
	}
	return n
}

// An index run killed with SIGKILL at any moment leaves an index that opens,
// verifies, and holds every article reported as committed; the next run
// finishes the job without embedding committed articles again.
func TestKilledIndexRunsLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the kill test")
	}
	bin := buildSanad(t)
	srv := newEmbeddingServer(t)
	srv.delay = 2 * time.Millisecond
	const articles = 300
	corpus := writeCorpus(t, articles)
	rng := rand.New(rand.NewPCG(7, 8))

	kills, completed := 0, 0
	db := t.TempDir()
	for kills < 50 {
		before := countArticles(t, db)
		cmd := exec.Command(bin, "--db", db, "-v", "index", "--embedder", "openai", "--base-url", srv.URL+"/v1",
			"--embed-model", "m", "--batch-size", "8", "--commit-chunks", "16", corpus)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("index run failed: %v\n%s", err, stderr.String())
			}
			completed++
			if countArticles(t, db) != articles {
				t.Fatalf("a complete run left %d articles, want %d", countArticles(t, db), articles)
			}
			db = t.TempDir() // start over, so that the next kills land mid-run
			continue
		case <-time.After(time.Duration(rng.IntN(250)) * time.Millisecond):
		}
		cmd.Process.Kill()
		<-done
		kills++

		reported := lastCommitted(stderr.String())
		st, err := store.Open(db)
		if err != nil {
			t.Fatalf("kill %d: the index does not open: %v", kills, err)
		}
		if got := st.Len(); got < before+reported {
			t.Fatalf("kill %d: index holds %d articles; %d were there and the run reported %d committed", kills, got, before, reported)
		}
		if _, err := os.Stat(filepath.Join(db, "manifest.json")); err == nil {
			rep, err := store.Verify(db)
			if err != nil || len(rep.Problems) > 0 {
				t.Fatalf("kill %d: verify: %v %v", kills, rep.Problems, err)
			}
		}
	}

	// Finish the job: only chunks not yet committed are embedded.
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	committedChunks := st.Stats().Chunks
	srv.take()
	code, out, errOut := runSanad(t, "--db", db, "index", "--embedder", "openai", "--base-url", srv.URL+"/v1", "--embed-model", "m", corpus)
	if code != 0 {
		t.Fatalf("final run: exit %d: %s", code, errOut)
	}
	_, inputs := srv.take()
	st, _ = store.Open(db)
	total := st.Stats().Chunks
	if st.Len() != articles || inputs != total-committedChunks {
		t.Errorf("final run: %d articles; embedded %d chunks, want %d (total %d, %d committed before): %s", st.Len(), inputs, total-committedChunks, total, committedChunks, out)
	}
	t.Logf("%d kills survived, %d runs completed between them; final run embedded %d of %d chunks", kills, completed, inputs, total)
}

func countArticles(t *testing.T, db string) int {
	t.Helper()
	st, err := store.Open(db)
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	return st.Len()
}

// Ctrl-C stops an index run at a commit and says how far it got.
func TestInterruptStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the interrupt test")
	}
	bin := buildSanad(t)
	srv := newEmbeddingServer(t)
	srv.delay = 5 * time.Millisecond
	corpus, db := writeCorpus(t, 200), t.TempDir()
	cmd := exec.Command(bin, "--db", db, "-v", "index", "--embedder", "openai", "--base-url", srv.URL+"/v1",
		"--embed-model", "m", "--batch-size", "8", "--commit-chunks", "16", corpus)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "msg=committed") {
			cmd.Process.Signal(syscall.SIGINT)
			break
		}
	}
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitFailure {
		t.Fatalf("exit %d (%v) after Ctrl-C, want %d\n%s", code, err, exitFailure, log.String())
	}
	if !strings.Contains(log.String(), "stopped after committing") || !strings.Contains(log.String(), "interrupted") {
		t.Errorf("stderr does not say how far it got:\n%s", log.String())
	}
	n := countArticles(t, db)
	if n < lastCommitted(log.String()) || n == 200 {
		t.Errorf("after Ctrl-C: %d articles, %d reported committed", n, lastCommitted(log.String()))
	}
	if rep, err := store.Verify(db); err != nil || len(rep.Problems) > 0 {
		t.Errorf("verify after Ctrl-C: %v %v", rep.Problems, err)
	}
}
