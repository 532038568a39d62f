package answer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeChat is an httptest stand-in for Ollama's OpenAI-compatible
// /v1/chat/completions route, answering as the real server does (see
// /work/shared/ollama-protocol.md): a chat.completion object, or an SSE
// stream of chat.completion.chunk events in which every delta repeats the
// role, a last chunk with empty content and a finish_reason, then
// [DONE]; errors as {"error":{…}} JSON, also for streamed requests.
type fakeChat struct {
	*httptest.Server
	t     *testing.T
	model string // the one model it has; others get Ollama's 404

	// reply is the answer, in the pieces a stream sends.
	reply []string
	// fault, when set, answers request n (0-based) instead.
	fault func(n int, w http.ResponseWriter, r *http.Request) bool
	// ack, when set, is waited on after each streamed piece: the test
	// signals there once its writer has received the piece.
	ack chan struct{}

	mu       sync.Mutex
	requests []chatRequest
}

type chatRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Temperature *float64 `json:"temperature"`
}

func newFakeChat(t *testing.T, reply ...string) *fakeChat {
	t.Helper()
	f := &fakeChat{t: t, model: "test-chat", reply: reply}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", f.handle)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeChat) url() string { return f.URL + "/v1" }

// chat returns a client for the server with fast failure settings.
func (f *fakeChat) chat(t *testing.T, model string) *Chat {
	t.Helper()
	c, err := NewChat(ChatOptions{BaseURL: f.url(), Model: model, Timeout: 2 * time.Second, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fakeChat) seen() []chatRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]chatRequest(nil), f.requests...)
}

func apiError(w http.ResponseWriter, status int, msg, typ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}})
	w.Write(b)
}

func (f *fakeChat) handle(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, err.Error(), "invalid_request_error")
		return
	}
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	switch {
	case req.Model == "":
		apiError(w, http.StatusBadRequest, "model is required", "invalid_request_error")
		return
	case len(req.Messages) == 0:
		apiError(w, http.StatusBadRequest, "[] is too short - 'messages'", "invalid_request_error")
		return
	case !strings.EqualFold(req.Model, f.model):
		apiError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", req.Model), "not_found_error")
		return
	}
	if f.fault != nil && f.fault(n, w, r) {
		return
	}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
			"system_fingerprint": "fp_ollama",
			"choices":            []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": strings.Join(f.reply, "")}, "finish_reason": "stop"}},
			"usage":              map[string]int{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
		})
		return
	}
	f.stream(w, r, req.Model, f.reply, true)
}

// stream sends pieces as SSE events, then, when finish is set, the final
// chunk and [DONE].
func (f *fakeChat) stream(w http.ResponseWriter, r *http.Request, model string, pieces []string, finish bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	event := func(content string, reason any) {
		b, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": model,
			"system_fingerprint": "fp_ollama",
			"choices":            []any{map[string]any{"index": 0, "delta": map[string]any{"role": "assistant", "content": content}, "finish_reason": reason}},
		})
		fmt.Fprintf(w, "data: %s\n\n", b)
		fl.Flush()
	}
	for _, p := range pieces {
		event(p, nil)
		if f.ack != nil {
			select {
			case <-f.ack:
			case <-time.After(2 * time.Second):
				f.t.Errorf("the client did not pass on %q before asking for more: the answer is not streamed", p)
				return
			case <-r.Context().Done():
				return
			}
		}
	}
	if finish {
		event("", "stop")
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
	}
}

// cutStream sends pieces and then closes the connection without the final
// chunk or [DONE], as a crashing server or a dropped link does.
func (f *fakeChat) cutStream(w http.ResponseWriter, r *http.Request, pieces ...string) {
	f.stream(w, r, f.model, pieces, false)
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		f.t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}
