package embed

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is an httptest stand-in for Ollama's OpenAI-compatible
// /v1/embeddings route, answering as the real server does (see
// /work/shared/ollama-protocol.md), with knobs for delays and faults.
type fakeServer struct {
	*httptest.Server
	model string // the one model it has; others get Ollama's 404
	dims  int

	// delay, when set, holds request n (0-based, in arrival order) before
	// it is answered; the wait ends early if the client goes away.
	delay func(n int) time.Duration
	// faults[n], when set, answers request n instead of the normal handler.
	faults map[int]fault

	mu          sync.Mutex
	sizes       []int    // inputs per request, in arrival order
	inputs      []string // every input seen, in arrival order
	inFlight    int
	maxInFlight int
}

// fault answers a request in some broken way; body holds the parsed batch.
type fault func(w http.ResponseWriter, r *http.Request, input []string)

// newFakeServer starts a server with model "test-embed" and 8 dimensions.
func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{model: "test-embed", dims: 8, faults: map[int]fault{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/embeddings", f.handle)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) url() string { return f.URL + "/v1" }

func (f *fakeServer) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sizes)
}

// seen returns the inputs per request, every input, and the most requests
// that were in flight at once.
func (f *fakeServer) seen() (sizes []int, inputs []string, maxInFlight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sizes), slices.Clone(f.inputs), f.maxInFlight
}

func (f *fakeServer) setDims(d int) {
	f.mu.Lock()
	f.dims = d
	f.mu.Unlock()
}

func (f *fakeServer) handle(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model          *string         `json:"model"`
		Input          json.RawMessage `json:"input"`
		EncodingFormat string          `json:"encoding_format"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), "invalid_request_error")
		return
	}
	input, errMsg := parseInput(req.Input)
	f.mu.Lock()
	n := len(f.sizes)
	f.sizes = append(f.sizes, len(input))
	f.inputs = append(f.inputs, input...)
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	flt := f.faults[n]
	dims := f.dims
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()

	if f.delay != nil {
		select {
		case <-time.After(f.delay(n)):
		case <-r.Context().Done():
			return
		}
	}
	if flt != nil {
		flt(w, r, input)
		return
	}

	model := ""
	if req.Model != nil {
		model = *req.Model
	}
	switch {
	case model == "":
		writeError(w, http.StatusNotFound, "model '' not found", "not_found_error")
		return
	case !strings.EqualFold(model, f.model) && !strings.EqualFold(model, f.model+":latest"):
		writeError(w, http.StatusNotFound, fmt.Sprintf("model %q not found, try pulling it first", model), "not_found_error")
		return
	case errMsg != "":
		writeError(w, http.StatusBadRequest, errMsg, "invalid_request_error")
		return
	case req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64":
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid encoding format: %s", req.EncodingFormat), "invalid_request_error")
		return
	}
	data := make([]map[string]any, len(input))
	for i, text := range input {
		var emb any = fakeVector(text, dims)
		if req.EncodingFormat == "base64" {
			emb = encodeBase64(fakeVector(text, dims))
		}
		data[i] = map[string]any{"object": "embedding", "embedding": emb, "index": i}
	}
	writeList(w, model, data, input)
}

// parseInput accepts what Ollama accepts: a string or a list of strings.
func parseInput(raw json.RawMessage) ([]string, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "invalid input"
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, ""
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		if len(many) == 0 {
			return nil, "invalid input"
		}
		return many, ""
	}
	return nil, "invalid input type"
}

func writeList(w http.ResponseWriter, model string, data any, input []string) {
	tokens := 0
	for _, s := range input {
		tokens += len(strings.Fields(s)) + 1
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"object": "list",
		"data":   data,
		"model":  model,
		"usage":  map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}

func writeError(w http.ResponseWriter, status int, msg, typ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil},
	})
}

// fakeVector is a deterministic, deliberately not unit-length vector for
// text, so tests can tell which input a vector belongs to.
func fakeVector(text string, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		h := fnv.New32a()
		fmt.Fprintf(h, "%d:%s", i, text)
		v[i] = float32(h.Sum32()%1000)/100 - 5
	}
	return v
}

func encodeBase64(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Faults.

// statusFault answers with an Ollama-style JSON error and, when retryAfter
// is not empty, a Retry-After header.
func statusFault(status int, msg, retryAfter string) fault {
	return func(w http.ResponseWriter, _ *http.Request, _ []string) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		writeError(w, status, msg, "api_error")
	}
}

// rawFault answers with a fixed body, as a proxy in front of the server might.
func rawFault(status int, contentType, body string) fault {
	return func(w http.ResponseWriter, _ *http.Request, _ []string) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// blockFault never answers; it returns when the client gives up.
func blockFault(w http.ResponseWriter, r *http.Request, _ []string) {
	<-r.Context().Done()
}

// vectorsFault answers 200 with the vectors make returns for the batch.
func vectorsFault(make func(input []string) []map[string]any) fault {
	return func(w http.ResponseWriter, _ *http.Request, input []string) {
		writeList(w, "test-embed", make(input), input)
	}
}

// cutFault starts a 200 answer promising more body than it sends, then
// drops the connection, as a crashing server or a reset would.
func cutFault(w http.ResponseWriter, _ *http.Request, _ []string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	body := `{"object":"list","data":[{"object":"embedding","embedding":[0.1,`
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body)+100, body)
	_ = buf.Flush()
}
