package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// newTestRemote builds an embedder of kind "openai" or "ollama" against
// srv with fast backoff, so retry tests take milliseconds.
func newTestRemote(t *testing.T, kind string, opt Options) *remote {
	t.Helper()
	if opt.Model == "" {
		opt.Model = "test-embed"
	}
	var (
		e   Embedder
		err error
	)
	if kind == "ollama" {
		e, err = NewOllama(opt)
	} else {
		e, err = NewOpenAI(opt)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := e.(*remote)
	r.retry.Base = time.Millisecond
	return r
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("نص رقم %d", i)
	}
	return out
}

// wantVectors checks that got holds, in order, the normalised fake vectors
// of inputs.
func wantVectors(t *testing.T, got [][]float32, inputs []string, dims int) {
	t.Helper()
	if len(got) != len(inputs) {
		t.Fatalf("got %d vectors for %d inputs", len(got), len(inputs))
	}
	for i, in := range inputs {
		want := fakeVector(in, dims)
		if err := Normalize(want); err != nil {
			t.Fatal(err)
		}
		for j := range want {
			if math.Abs(float64(got[i][j]-want[j])) > 1e-6 {
				t.Fatalf("vector %d is not the one for %q: got %v, want %v", i, in, got[i], want)
			}
		}
	}
}

func TestBatchingSizesAndOrder(t *testing.T) {
	srv := newFakeServer(t)
	var mu sync.Mutex
	done := 0
	e := newTestRemote(t, "openai", Options{
		BaseURL: srv.url(), BatchSize: 4, Concurrency: 1,
		OnBatch: func(n int) { mu.Lock(); done += n; mu.Unlock() },
	})
	in := texts(10)
	got, err := e.EmbedDocuments(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if sizes, _, _ := srv.seen(); !slices.Equal(sizes, []int{4, 4, 2}) {
		t.Errorf("request sizes %v, want [4 4 2]", sizes)
	}
	if done != 10 {
		t.Errorf("OnBatch reported %d inputs done, want 10", done)
	}
	wantVectors(t, got, in, srv.dims)
	if d := e.Info().Dimensions; d != srv.dims {
		t.Errorf("Info().Dimensions = %d after first call, want %d", d, srv.dims)
	}
}

func TestOrderKeptWhenBatchesFinishOutOfOrder(t *testing.T) {
	srv := newFakeServer(t)
	// Earlier requests take longer, so answers arrive last-first.
	srv.delay = func(n int) time.Duration { return time.Duration(3-min(n, 3)) * 30 * time.Millisecond }
	e := newTestRemote(t, "openai", Options{BaseURL: srv.url(), BatchSize: 4, Concurrency: 3})
	in := texts(10)
	got, err := e.EmbedDocuments(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if srv.requests() != 3 {
		t.Errorf("%d requests, want 3", srv.requests())
	}
	wantVectors(t, got, in, srv.dims)
}

func TestConcurrencyBound(t *testing.T) {
	srv := newFakeServer(t)
	srv.delay = func(int) time.Duration { return 20 * time.Millisecond }
	e := newTestRemote(t, "openai", Options{BaseURL: srv.url(), BatchSize: 2, Concurrency: 3})
	in := texts(24)
	got, err := e.EmbedDocuments(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	wantVectors(t, got, in, srv.dims)
	_, _, inFlight := srv.seen()
	if inFlight > 3 {
		t.Errorf("%d requests in flight, limit 3", inFlight)
	}
	if inFlight < 2 {
		t.Errorf("at most %d request in flight: requests were not concurrent", inFlight)
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	srv := newFakeServer(t)
	srv.faults[0] = statusFault(http.StatusTooManyRequests, "slow down", "1")
	e := newTestRemote(t, "openai", Options{BaseURL: srv.url()})
	start := time.Now()
	if _, err := e.EmbedQuery(context.Background(), "سؤال"); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 950*time.Millisecond {
		t.Errorf("retried after %v, Retry-After asked for 1s", waited)
	}
	if srv.requests() != 2 {
		t.Errorf("%d requests, want 2", srv.requests())
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	for name, flt := range map[string]fault{
		"500":           statusFault(http.StatusInternalServerError, "boom", ""),
		"502 html page": rawFault(http.StatusBadGateway, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
		"cut":           cutFault,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFakeServer(t)
			srv.faults[0] = flt
			srv.faults[1] = flt
			e := newTestRemote(t, "openai", Options{BaseURL: srv.url()})
			in := texts(3)
			got, err := e.EmbedDocuments(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			wantVectors(t, got, in, srv.dims)
			if srv.requests() != 3 {
				t.Errorf("%d requests, want 3", srv.requests())
			}
		})
	}
}

func TestGivesUpAfterMaxRetries(t *testing.T) {
	srv := newFakeServer(t)
	for i := range 3 {
		srv.faults[i] = statusFault(http.StatusServiceUnavailable, "overloaded", "")
	}
	e := newTestRemote(t, "openai", Options{BaseURL: srv.url(), MaxRetries: 2})
	_, err := e.EmbedQuery(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "overloaded") || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("error %v, want the server's message and the attempt count", err)
	}
	if srv.requests() != 3 {
		t.Errorf("%d requests, want 3", srv.requests())
	}
}

func TestPermanentErrorsAreNotRetried(t *testing.T) {
	cases := []struct {
		name  string
		kind  string
		model string
		fault fault
		want  []string
	}{
		{"400", "openai", "", statusFault(http.StatusBadRequest, "invalid input", ""), []string{"invalid input", "HTTP 400"}},
		{"401", "openai", "", statusFault(http.StatusUnauthorized, "bad key", ""), []string{"bad key", "API key"}},
		{"openai unknown model", "openai", "nope", nil, []string{`model "nope" not found`, "HTTP 404"}},
		{"ollama unknown model", "ollama", "nope", nil, []string{"model nope not found on the server: run `ollama pull nope`"}},
		{"html 200", "openai", "", rawFault(http.StatusOK, "text/html", "<html><title>Portal</title></html>"), []string{"<html><title>Portal"}},
		{"truncated json", "openai", "", rawFault(http.StatusOK, "application/json", `{"object":"list","data":[{"embedding":[0.1,`), []string{`{"object":"list","data":[{"embedding":[0.1,`}},
		{"huge value", "openai", "", vectorsFault(func(in []string) []map[string]any {
			return []map[string]any{{"object": "embedding", "index": 0, "embedding": []float64{1e39, 1}}}
		}), []string{"1e+39"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newFakeServer(t)
			if c.fault != nil {
				srv.faults[0] = c.fault
			}
			e := newTestRemote(t, c.kind, Options{BaseURL: srv.url(), Model: c.model})
			_, err := e.EmbedQuery(context.Background(), "x")
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range append(c.want, srv.url()+"/embeddings") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if srv.requests() != 1 {
				t.Errorf("%d requests, want 1 (no retries)", srv.requests())
			}
		})
	}
}

func TestRejectsBadAnswers(t *testing.T) {
	vec := func(i int, v ...float64) map[string]any {
		return map[string]any{"object": "embedding", "index": i, "embedding": v}
	}
	cases := []struct {
		name string
		data func(in []string) []map[string]any
		want string
	}{
		{"too few", func(in []string) []map[string]any { return []map[string]any{vec(0, 1), vec(1, 1), vec(2, 1)} },
			"server returned 3 vectors for 4 inputs"},
		{"index out of range", func(in []string) []map[string]any {
			return []map[string]any{vec(0, 1), vec(1, 1), vec(2, 1), vec(4, 1)}
		},
			"index 4"},
		{"duplicate index", func(in []string) []map[string]any {
			return []map[string]any{vec(0, 1), vec(1, 1), vec(1, 1), vec(2, 1)}
		},
			"index 1 twice"},
		{"mixed dimensions", func(in []string) []map[string]any {
			return []map[string]any{vec(0, 1, 0), vec(1, 1), vec(2, 1), vec(3, 1)}
		},
			"got 1, expected 2"},
		{"zero vector", func(in []string) []map[string]any {
			return []map[string]any{vec(0, 1, 0), vec(1, 0, 0), vec(2, 1, 0), vec(3, 1, 0)}
		},
			"all zeros"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newFakeServer(t)
			srv.faults[0] = vectorsFault(c.data)
			e := newTestRemote(t, "openai", Options{BaseURL: srv.url()})
			_, err := e.EmbedDocuments(context.Background(), texts(4))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), srv.url()) {
				t.Fatalf("error %v, want one naming the endpoint and containing %q", err, c.want)
			}
			if srv.requests() != 1 {
				t.Errorf("%d requests, want 1 (no retries)", srv.requests())
			}
		})
	}
}

func TestDimensionsHeldAcrossBatchesAndCalls(t *testing.T) {
	srv := newFakeServer(t)
	e := newTestRemote(t, "openai", Options{BaseURL: srv.url(), BatchSize: 2, Concurrency: 1})
	if _, err := e.EmbedDocuments(context.Background(), texts(2)); err != nil {
		t.Fatal(err)
	}
	srv.setDims(9)
	_, err := e.EmbedDocuments(context.Background(), texts(2))
	if !errors.Is(err, ErrDimensions) || !strings.Contains(err.Error(), "got 9, expected 8") {
		t.Fatalf("error %v, want ErrDimensions naming 9 and 8", err)
	}

	e = newTestRemote(t, "openai", Options{BaseURL: srv.url(), Dimensions: 1024})
	if _, err := e.EmbedQuery(context.Background(), "x"); !errors.Is(err, ErrDimensions) || !strings.Contains(err.Error(), "got 9, expected 1024") {
		t.Fatalf("error %v, want ErrDimensions naming 9 and 1024", err)
	}
}

func TestCancellationStopsPromptly(t *testing.T) {
	srv := newFakeServer(t)
	for i := range 10 {
		srv.faults[i] = blockFault
	}
	e := newTestRemote(t, "openai", Options{BaseURL: srv.url(), BatchSize: 1, Concurrency: 2})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := e.EmbedDocuments(ctx, texts(10))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("returned %v after cancellation", d)
	}
	if n := srv.requests(); n > 2 {
		t.Errorf("%d requests started, want no more than the 2 in flight", n)
	}
}

func TestRequestTimeoutIsRetried(t *testing.T) {
	srv := newFakeServer(t)
	srv.faults[0] = blockFault
	e := newTestRemote(t, "openai", Options{BaseURL: srv.url(), Timeout: 100 * time.Millisecond})
	got, err := e.EmbedQuery(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	wantVectors(t, [][]float32{got}, []string{"x"}, srv.dims)
	if srv.requests() != 2 {
		t.Errorf("%d requests, want 2", srv.requests())
	}
}

func TestPrefixesReachServer(t *testing.T) {
	srv := newFakeServer(t)
	e := newTestRemote(t, "ollama", Options{BaseURL: srv.url(), QueryPrefix: "query: ", DocPrefix: "passage: "})
	if _, err := e.EmbedQuery(context.Background(), "من فاز؟"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.EmbedDocuments(context.Background(), []string{"فاز الفريق"}); err != nil {
		t.Fatal(err)
	}
	if _, inputs, _ := srv.seen(); !slices.Equal(inputs, []string{"query: من فاز؟", "passage: فاز الفريق"}) {
		t.Errorf("server saw %q", inputs)
	}
	if info := e.Info(); info.QueryPrefix != "query: " || info.DocPrefix != "passage: " || info.Kind != "ollama" {
		t.Errorf("Info() = %+v", info)
	}
}

func TestOllamaNotRunning(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	e := newTestRemote(t, "ollama", Options{BaseURL: "http://" + addr + "/v1"})
	start := time.Now()
	_, err = e.EmbedQuery(context.Background(), "x")
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "cannot reach Ollama at http://"+addr+"/v1: start it with `ollama serve`") {
		t.Fatalf("error %v, want a hint to run `ollama serve`", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v to report a refused connection", d)
	}
}

func TestNoInputsNoRequest(t *testing.T) {
	srv := newFakeServer(t)
	e := newTestRemote(t, "openai", Options{BaseURL: srv.url()})
	got, err := e.EmbedDocuments(context.Background(), nil)
	if err != nil || len(got) != 0 || srv.requests() != 0 {
		t.Fatalf("got %v, %v after %d requests; want nothing", got, err, srv.requests())
	}
}

func TestConstructorsValidate(t *testing.T) {
	for _, opt := range []Options{{Model: "m"}, {BaseURL: "http://x/v1"}, {BaseURL: "localhost:1", Model: "m"}, {BaseURL: "http://x", Model: "m", Dimensions: -1}} {
		if _, err := NewOpenAI(opt); err == nil {
			t.Errorf("NewOpenAI(%+v) accepted", opt)
		}
	}
	e, err := NewOllama(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := e.(*remote)
	if r.baseURL != "http://localhost:11434/v1" || r.model != DefaultOllamaModel || r.opt.APIKey != "ollama" ||
		r.opt.BatchSize != 32 || r.opt.Concurrency != 2 || r.opt.Timeout != time.Minute || r.opt.MaxRetries != 5 {
		t.Errorf("defaults not applied: %+v", r.opt)
	}
	if info := e.Info(); info != (Info{Kind: "ollama", Model: "bge-m3"}) {
		t.Errorf("Info() = %+v before any call", info)
	}
}

func TestNormalize(t *testing.T) {
	v := []float32{3, 4}
	if err := Normalize(v); err != nil || v[0] != 0.6 || v[1] != 0.8 {
		t.Errorf("Normalize([3 4]) = %v, %v", v, err)
	}
	for _, bad := range [][]float32{{0, 0}, {}, {float32(math.NaN()), 1}, {float32(math.Inf(1)), 1}} {
		if err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%v) accepted", bad)
		}
	}
}

func TestDefaultPrefixes(t *testing.T) {
	for model, want := range map[string]string{
		"nomic-embed-text:latest":              "search_query: ",
		"jeffh/intfloat-multilingual-e5-large": "query: ",
		"bge-m3":                               "",
	} {
		if q, _, _ := DefaultPrefixes(model); q != want {
			t.Errorf("DefaultPrefixes(%q) query prefix %q, want %q", model, q, want)
		}
	}
}

func TestPermanentErrorStopsOtherBatches(t *testing.T) {
	srv := newFakeServer(t)
	srv.faults[0] = statusFault(http.StatusBadRequest, "invalid input", "")
	srv.delay = func(n int) time.Duration { return time.Duration(min(n, 1)) * 5 * time.Second }
	e := newTestRemote(t, "openai", Options{BaseURL: srv.url(), BatchSize: 1, Concurrency: 2})
	start := time.Now()
	_, err := e.EmbedDocuments(context.Background(), texts(10))
	if err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "invalid input") {
		t.Fatalf("error %v, want the server's 400", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v: the batch in flight was not cancelled", d)
	}
	if n := srv.requests(); n > 2 {
		t.Errorf("%d requests, want no more than 2", n)
	}
}
