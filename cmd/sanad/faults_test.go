package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sanadhq/sanad/store"
)

// fault writes one faulty answer instead of the server's.
type fault struct {
	name      string
	transient bool
	write     func(w http.ResponseWriter, r *http.Request, next http.Handler)
}

func hijack(w http.ResponseWriter, f func(net.Conn)) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	f(conn)
	conn.Close()
}

func apiError(status int, message string) func(http.ResponseWriter, *http.Request, http.Handler) {
	return func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":%q,"type":"api_error","param":null,"code":null}}`, message)
	}
}

// rewrite lets the real server answer, then alters its JSON body.
func rewrite(f func(body string) string) func(http.ResponseWriter, *http.Request, http.Handler) {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(f(rec.Body.String())))
	}
}

var transientFaults = []fault{
	{"429 with Retry-After", true, func(w http.ResponseWriter, r *http.Request, n http.Handler) {
		w.Header().Set("Retry-After", "0")
		apiError(429, "rate limited")(w, r, n)
	}},
	{"429 without Retry-After", true, apiError(429, "rate limited")},
	{"500", true, apiError(500, "internal error")},
	{"502 HTML page", true, func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
	}},
	{"503", true, apiError(503, "loading model")},
	{"connection reset", true, func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		hijack(w, func(c net.Conn) { c.(*net.TCPConn).SetLinger(0) })
	}},
	{"truncated JSON", true, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		hijack(w, func(c net.Conn) {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
			c.Write(body[:len(body)/2])
		})
	}},
	{"timeout", true, func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}},
}

var permanentFaults = []fault{
	{"wrong number of vectors", false, rewrite(func(b string) string {
		i := strings.Index(b, `},{"object"`)
		j := strings.LastIndex(b, `],"model"`)
		if i < 0 || j < 0 {
			return b
		}
		return b[:i+1] + b[j:]
	})},
	{"wrong dimensions", false, rewrite(func(b string) string { return strings.Replace(b, `"embedding":[`, `"embedding":[0.5,`, 1) })},
	{"infinite value", false, rewrite(func(b string) string { return strings.Replace(b, `"embedding":[`, `"embedding":[1e39,`, 1) })},
	{"HTML page with 200", false, func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>Please log in</body></html>"))
	}},
	{"404 model not found", false, apiError(404, `model "m" not found, try pulling it first`)},
}

// faultyProxy forwards to a healthy embedding server, replacing answers
// with faults as choose decides.
type faultyProxy struct {
	*httptest.Server
	mu       sync.Mutex
	injected map[string]int
}

func newFaultyProxy(t *testing.T, backend string, choose func(n int) *fault) *faultyProxy {
	target, _ := url.Parse(backend)
	next := httputil.NewSingleHostReverseProxy(target)
	p := &faultyProxy{injected: map[string]int{}}
	n := 0
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		n++
		f := choose(n)
		if f != nil {
			p.injected[f.name]++
		}
		p.mu.Unlock()
		if f == nil {
			next.ServeHTTP(w, r)
			return
		}
		f.write(w, r, next)
	}))
	t.Cleanup(p.Close)
	return p
}

// vectorsOf maps every chunk ID of an index to its vector.
func vectorsOf(t *testing.T, db string) map[string][]float32 {
	t.Helper()
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, a := range st.Articles() {
		chunks, vecs := st.Chunks(a.ID)
		for i, c := range chunks {
			out[c.ID] = vecs[i]
		}
	}
	return out
}

func TestTransientFaultsAreSurvived(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the fault-injection run")
	}
	srv := newEmbeddingServer(t)
	corpus := writeCorpus(t, 60)
	clean := t.TempDir()
	mustSanad(t, "--db", clean, "index", "--embedder", "openai", "--base-url", srv.URL+"/v1", "--embed-model", "m", corpus)
	want := vectorsOf(t, clean)

	// 30% of requests fail, taking each kind of fault in turn.
	rng := rand.New(rand.NewPCG(3, 4))
	next := 0
	proxy := newFaultyProxy(t, srv.URL, func(int) *fault {
		if rng.Float64() < 0.3 {
			next++
			return &transientFaults[next%len(transientFaults)]
		}
		return nil
	})
	db := t.TempDir()
	srv.take()
	out := mustSanad(t, "--db", db, "index", "--embedder", "openai", "--base-url", proxy.URL+"/v1", "--embed-model", "m",
		"--batch-size", "4", "--timeout", "300ms", corpus)
	if !strings.HasPrefix(out, "60 added") {
		t.Errorf("with 30%% faults: %q", out)
	}
	got := vectorsOf(t, db)
	if len(got) != len(want) {
		t.Fatalf("%d chunks indexed through faults, %d without", len(got), len(want))
	}
	for id, v := range want {
		if !slices.Equal(got[id], v) {
			t.Errorf("chunk %s has another vector than without faults", id)
		}
	}
	total := 0
	for _, n := range proxy.injected {
		total += n
	}
	for _, f := range transientFaults {
		if proxy.injected[f.name] == 0 {
			t.Errorf("fault %q was never injected", f.name)
		}
	}
	t.Logf("faults injected and survived: %d %v", total, proxy.injected)
}

func TestPermanentFaultsStopWithoutStoringBadVectors(t *testing.T) {
	srv := newEmbeddingServer(t)
	corpus := writeCorpus(t, 12)
	clean := t.TempDir()
	mustSanad(t, "--db", clean, "index", "--embedder", "openai", "--base-url", srv.URL+"/v1", "--embed-model", "m", corpus)
	want := vectorsOf(t, clean)

	for _, f := range permanentFaults {
		t.Run(f.name, func(t *testing.T) {
			// The first two requests succeed, so that something is committed
			// before the server turns bad.
			proxy := newFaultyProxy(t, srv.URL, func(n int) *fault {
				if n > 2 {
					return &f
				}
				return nil
			})
			db := t.TempDir()
			endpoint := proxy.URL + "/v1"
			code, _, errOut := runSanad(t, "--db", db, "index", "--embedder", "openai", "--base-url", endpoint, "--embed-model", "m",
				"--batch-size", "4", "--concurrency", "1", "--commit-chunks", "8", corpus)
			if code != exitFailure {
				t.Fatalf("exit %d, want %d: %s", code, exitFailure, errOut)
			}
			if !strings.Contains(errOut, endpoint) {
				t.Errorf("error does not name the endpoint %s: %s", endpoint, errOut)
			}
			got := vectorsOf(t, db)
			if len(got) == 0 || len(got) >= len(want) {
				t.Errorf("%d of %d chunks stored; want the ones committed before the fault", len(got), len(want))
			}
			for id, v := range got {
				if !slices.Equal(v, want[id]) {
					t.Errorf("chunk %s stored with a wrong vector", id)
				}
			}
			if rep, err := store.Verify(db); err != nil || len(rep.Problems) > 0 {
				t.Errorf("verify: %v %v", rep.Problems, err)
			}
			t.Logf("%s", strings.TrimSpace(errOut))
		})
	}
}
