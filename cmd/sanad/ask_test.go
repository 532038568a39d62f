package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// askIndex indexes the seed articles and the prompt-injection article
// with the builtin embedder and returns the --db directory.
func askIndex(t *testing.T) string {
	t.Helper()
	corpus, db := copySeeds(t), t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "injection", "polio-campaign.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(corpus, "polio-campaign.txt"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	mustSanad(t, "--db", db, "index", corpus)
	return db
}

type askOut struct {
	Question  string `json:"question"`
	Answer    string `json:"answer"`
	Mode      string `json:"mode"`
	Model     string `json:"model"`
	Citations []struct {
		N         int    `json:"n"`
		ArticleID string `json:"article_id"`
		Title     string `json:"title"`
		Source    string `json:"source"`
		ChunkID   string `json:"chunk_id"`
		Start     int    `json:"start"`
		End       int    `json:"end"`
		Quote     string `json:"quote"`
	} `json:"citations"`
	InvalidCitations []string `json:"invalid_citations"`
	Unsupported      []string `json:"unsupported"`
	Retrieved        []struct {
		N       int    `json:"n"`
		ChunkID string `json:"chunk_id"`
		Quote   string `json:"quote"`
	} `json:"retrieved"`
}

func decodeAsk(t *testing.T, out string) askOut {
	t.Helper()
	var a askOut
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("ask --json: %v\n%s", err, out)
	}
	return a
}

func TestAskExtractiveJSON(t *testing.T) {
	db := askIndex(t)
	q := "من يرأس الحكومة الانتقالية المؤقتة التي شكلتها المعارضة السورية؟"
	// The question comes on stdin, as for search.
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--db", db, "ask", "--json"}, strings.NewReader(q+"\n"), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	a := decodeAsk(t, out.String())
	if a.Question != q || a.Mode != "extractive" || a.Model != "" || !strings.Contains(a.Answer, "برئاسة محمد البشير") || !strings.HasSuffix(a.Answer, "[1]") {
		t.Errorf("answer: %+v", a)
	}
	if len(a.Citations) != 1 || a.Citations[0].ArticleID != "003_0070464269777607.txt" || a.Citations[0].Title == "" ||
		a.Citations[0].End-a.Citations[0].Start != len(a.Citations[0].Quote) || !strings.Contains(a.Citations[0].Quote, "محمد البشير") {
		t.Errorf("citations: %+v", a.Citations)
	}
	if len(a.Retrieved) == 0 || a.Retrieved[0].N != 1 || a.InvalidCitations == nil || a.Unsupported == nil {
		t.Errorf("retrieved %+v, invalid %v, unsupported %v", a.Retrieved, a.InvalidCitations, a.Unsupported)
	}
}

// chatServer is a minimal OpenAI-compatible chat endpoint, answering as
// Ollama does, streamed or not, with one model.
type chatServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []map[string]any
}

func newChatServer(t *testing.T, reply ...string) *chatServer {
	s := &chatServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		json.NewDecoder(r.Body).Decode(&req)
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch req["model"] {
		case "test-chat":
		case "embedder":
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"message":"\"embedder\" does not support chat","type":"invalid_request_error","param":null,"code":null}}`))
			return
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"error":{"message":"model '%s' not found","type":"not_found_error","param":null,"code":null}}`, req["model"])
			return
		}
		chunk := func(content string, reason any) []byte {
			b, _ := json.Marshal(map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": req["model"],
				"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"role": "assistant", "content": content}, "finish_reason": reason}}})
			return b
		}
		if req["stream"] != true {
			json.NewEncoder(w).Encode(map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": req["model"],
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": strings.Join(reply, "")}, "finish_reason": "stop"}},
				"usage":   map[string]int{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, p := range reply {
			fmt.Fprintf(w, "data: %s\n\n", chunk(p, nil))
			w.(http.Flusher).Flush()
		}
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", chunk("", "stop"))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestAskGenerative(t *testing.T) {
	db := askIndex(t)
	srv := newChatServer(t, "استخدم نظام الأسد الأسلحة الكيميائية ضد المدنيين السوريين ", "في عام 2013 [1][9].")
	q := "متى استخدم نظام الأسد الأسلحة الكيميائية ضد المدنيين؟"
	chat := []string{"--db", db, "ask", "--chat-model", "test-chat", "--chat-base-url", srv.URL + "/v1"}

	a := decodeAsk(t, mustSanad(t, append(chat, "--json", q)...))
	if a.Mode != "generative" || a.Model != "test-chat" || a.Answer != "استخدم نظام الأسد الأسلحة الكيميائية ضد المدنيين السوريين في عام 2013 [1]." {
		t.Errorf("answer: %+v", a)
	}
	if len(a.InvalidCitations) != 1 || a.InvalidCitations[0] != "[9]" || len(a.Citations) != 1 || a.Citations[0].ArticleID != "000_3adfa4c01c24ba1a.txt" {
		t.Errorf("invalid %v, citations %+v", a.InvalidCitations, a.Citations)
	}
	srv.mu.Lock()
	req := srv.requests[0]
	srv.mu.Unlock()
	msgs, _ := req["messages"].([]any)
	if req["stream"] == true || len(msgs) != 2 || !strings.Contains(fmt.Sprint(msgs[1]), `<source n="1">`) {
		t.Errorf("request: %v", req)
	}

	// On a terminal the answer streams, then verification and the sources.
	out := mustSanad(t, append(chat, q)...)
	for _, want := range []string{"في عام 2013 [1][9].\n", "removed [9]", "Sources:", "[1] ", "000_3adfa4c01c24ba1a.txt#", "bytes "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// A failing server: the extractive answer, said on stderr, or an error.
	code, out, errOut := runSanad(t, "--db", db, "ask", "--chat-model", "embedder", "--chat-base-url", srv.URL+"/v1", "--json", q)
	if code != 0 || decodeAsk(t, out).Mode != "extractive" || !strings.Contains(errOut, "cannot chat") || !strings.Contains(errOut, "extractive answer instead") {
		t.Errorf("fallback: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runSanad(t, "--db", db, "ask", "--chat-model", "nope", "--chat-base-url", srv.URL+"/v1", "--no-fallback", q)
	if code != 1 || !strings.Contains(errOut, "ollama pull nope") {
		t.Errorf("--no-fallback with a missing model: exit %d: %s", code, errOut)
	}
	// --extractive wins over a configured model.
	if a := decodeAsk(t, mustSanad(t, append(chat, "--extractive", "--json", q)...)); a.Mode != "extractive" {
		t.Errorf("--extractive: mode %q", a.Mode)
	}
}

func TestAskUsage(t *testing.T) {
	db := askIndex(t)
	for _, args := range [][]string{
		{"--llm", "llamafile", "سؤال"},
		{"--chat-model", "m", "سؤال"},
		{"-k", "0", "سؤال"},
		{"--mode", "fuzzy", "سؤال"},
		{},
	} {
		if code, _, errOut := runSanad(t, append([]string{"--db", db, "ask"}, args...)...); code != 2 {
			t.Errorf("ask %q: exit %d, want 2: %s", args, code, errOut)
		}
	}
}
