package answer

import (
	"github.com/sanadhq/sanad/internal/wire"

	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// DefaultOllamaURL is where a local Ollama server serves its
// OpenAI-compatible API.
const DefaultOllamaURL = "http://localhost:11434/v1"

// DefaultOllamaModel is the chat model of the Ollama preset. Qwen2.5 lists
// Arabic among the 29 languages it was trained for and follows
// instructions to cite and to decline well for its size; the 7B model
// (about 4.7 GB at Ollama's default 4-bit quantisation) runs on a laptop
// CPU with 8 GB of memory. Llama 3.1 8B does not list Arabic among its
// supported languages, Gemma 2 9B is weaker in Arabic and larger, and
// Aya Expanse 8B, strong in Arabic, is licensed for non-commercial use
// only.
const DefaultOllamaModel = "qwen2.5:7b"

// Defaults for ChatOptions fields left zero.
const (
	// DefaultTimeout allows for Ollama loading a model on its first
	// request, which takes tens of seconds on a CPU.
	DefaultTimeout    = 2 * time.Minute
	DefaultMaxRetries = 2
)

const (
	// maxBackoff caps the exponential backoff between retries.
	maxBackoff = 30 * time.Second
	// maxRetryAfter caps how long a server's Retry-After makes us wait.
	maxRetryAfter = 30 * time.Second
)

// ChatOptions configures NewChat.
type ChatOptions struct {
	// BaseURL is the API root, such as "http://localhost:11434/v1"; the
	// client posts to BaseURL + "/chat/completions".
	BaseURL string
	// APIKey is sent as a bearer token when not empty.
	APIKey string
	// Model is the chat model's name as the server knows it.
	Model string
	// Temperature is the sampling temperature; 0 asks for the most likely
	// answer.
	Temperature float32
	// Timeout bounds the wait for the server's answer and, when the answer
	// is streamed, for each next piece of it; default DefaultTimeout. A
	// long answer that keeps arriving is never cut.
	Timeout time.Duration
	// MaxRetries is how often a request is repeated after a transient
	// failure (429, 5xx, a broken connection) before any of the answer
	// arrived, default DefaultMaxRetries when 0; negative means never.
	MaxRetries int
	// HTTPClient replaces the default HTTP client (tests).
	HTTPClient *http.Client
}

// Chat generates answers through an OpenAI-compatible
// /v1/chat/completions endpoint, such as Ollama's, OpenAI's or a vLLM or
// llama.cpp server's.
type Chat struct {
	opt      ChatOptions
	endpoint string
	client   *openai.Client
	// retry repeats failed requests; tests shorten its Base.
	retry wire.Retry
}

// NewChat returns a client for the chat model opt names. BaseURL and Model
// are required.
func NewChat(opt ChatOptions) (*Chat, error) {
	if opt.Model == "" {
		return nil, errors.New("chat: no model")
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	opt.MaxRetries = wire.Retries(opt.MaxRetries, DefaultMaxRetries)
	client, base, err := wire.NewClient(opt.BaseURL, opt.APIKey, opt.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	endpoint := base + "/chat/completions"
	return &Chat{
		opt:      opt,
		endpoint: endpoint,
		client:   client,
		retry:    wire.Retry{Max: opt.MaxRetries, Base: time.Second, Cap: maxBackoff, What: "chat completions " + endpoint},
	}, nil
}

// Model is the name of the chat model.
func (c *Chat) Model() string { return c.opt.Model }

// Complete asks the model to answer p and returns its answer. With w not
// nil the answer is streamed: each piece is written to w as it arrives,
// and the text returned is all of them. A stream that ends before the
// model says it has finished is an error, since its answer is cut short.
//
// Errors name the endpoint and say what to do where that is clear: start
// Ollama, pull the model, check the key.
func (c *Chat) Complete(ctx context.Context, p Prompt, w io.Writer) (string, error) {
	temp := c.opt.Temperature
	if temp <= 0 {
		// go-openai omits a zero temperature, and servers then use their
		// own default (Ollama's is 0.8); the smallest positive value is
		// greedy decoding in effect.
		temp = math.SmallestNonzeroFloat32
	}
	req := openai.ChatCompletionRequest{
		Model: c.opt.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: p.System},
			{Role: openai.ChatMessageRoleUser, Content: p.User},
		},
		Temperature: temp,
	}
	var text string
	err := c.retry.Do(ctx, func() error {
		var wrote bool
		var err error
		text, wrote, err = c.once(ctx, req, w)
		var te *wire.Transient
		if wrote && errors.As(err, &te) {
			// What was written cannot be taken back, so no second try.
			return te.Err
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return text, nil
}

// errTimeout is the cause of a request cancelled by the idle timer.
var errTimeout = errors.New("timeout")

// once makes one request; wrote reports whether any of the answer was
// written to w, after which the request cannot be repeated.
func (c *Chat) once(ctx context.Context, req openai.ChatCompletionRequest, w io.Writer) (text string, wrote bool, err error) {
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(c.opt.Timeout, func() { cancel(errTimeout) })
	defer idle.Stop()
	rctx, x := wire.Record(rctx)
	fail := func(err error) error {
		if ctx.Err() == nil && errors.Is(context.Cause(rctx), errTimeout) {
			return fmt.Errorf("chat completions %s: model %s: no answer within %v", c.endpoint, c.opt.Model, c.opt.Timeout)
		}
		return c.classify(err, x)
	}

	if w == nil {
		res, err := c.client.CreateChatCompletion(rctx, req)
		if err != nil {
			return "", false, fail(err)
		}
		if len(res.Choices) == 0 {
			return "", false, fmt.Errorf("chat completions %s: model %s: the answer has no choices", c.endpoint, c.opt.Model)
		}
		text = res.Choices[0].Message.Content
		if strings.TrimSpace(text) == "" {
			return "", false, fmt.Errorf("chat completions %s: model %s: empty answer", c.endpoint, c.opt.Model)
		}
		return text, false, nil
	}

	stream, err := c.client.CreateChatCompletionStream(rctx, req)
	if err != nil {
		return "", false, fail(err)
	}
	defer stream.Close()
	var b strings.Builder
	finished := false
	for {
		res, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var apiErr *openai.APIError
			switch {
			case rctx.Err() == nil && !errors.As(err, &apiErr):
				err = fmt.Errorf("chat completions %s: model %s: the stream broke before the answer was finished: %w", c.endpoint, c.opt.Model, err)
			case b.Len() > 0 && ctx.Err() == nil && errors.Is(context.Cause(rctx), errTimeout):
				err = fmt.Errorf("chat completions %s: model %s: the answer stopped arriving for %v", c.endpoint, c.opt.Model, c.opt.Timeout)
			default:
				err = fail(err)
			}
			return b.String(), b.Len() > 0, err
		}
		idle.Reset(c.opt.Timeout)
		for _, ch := range res.Choices {
			if ch.Index != 0 {
				continue
			}
			if d := ch.Delta.Content; d != "" {
				b.WriteString(d)
				if _, err := io.WriteString(w, d); err != nil {
					return b.String(), true, err
				}
			}
			if ch.FinishReason != "" {
				finished = true
				if ch.FinishReason == openai.FinishReasonLength {
					slog.Warn("chat: the answer reached the model's length limit and is cut short", "model", c.opt.Model)
				}
			}
		}
	}
	if !finished {
		// go-openai reports a connection closed mid-stream as a plain end.
		return b.String(), b.Len() > 0, fmt.Errorf("chat completions %s: model %s: the stream ended before the answer was finished", c.endpoint, c.opt.Model)
	}
	if strings.TrimSpace(b.String()) == "" {
		return "", false, fmt.Errorf("chat completions %s: model %s: empty answer", c.endpoint, c.opt.Model)
	}
	return b.String(), true, nil
}

// classify turns a failed request into a clear error, marking the ones
// worth retrying as transient.
func (c *Chat) classify(err error, x *wire.Exchange) error {
	if status, msg, ok := wire.ServerError(err); ok {
		if status == 0 {
			// An error event inside a stream that had started well.
			return fmt.Errorf("chat completions %s: model %s: the server reported an error: %s", c.endpoint, c.opt.Model, msg)
		}
		return c.statusError(status, msg, x)
	}
	if x.Status == 0 {
		return wire.NoAnswer("chat completions "+c.endpoint, err, func(cause error) error {
			return fmt.Errorf("chat completions %s: cannot connect (for Ollama, start it with `ollama serve`): %w", c.endpoint, cause)
		})
	}
	return fmt.Errorf("chat completions %s: model %s: %w", c.endpoint, c.opt.Model, err)
}

// statusError describes an HTTP error status; 408, 429 and 5xx are
// transient.
func (c *Chat) statusError(status int, msg string, x *wire.Exchange) error {
	m := c.opt.Model
	if wire.Retryable(status) {
		return &wire.Transient{
			Err:        fmt.Errorf("chat completions %s: model %s: HTTP %d: %s", c.endpoint, m, status, msg),
			RetryAfter: wire.ParseRetryAfter(x.RetryAfter, time.Now(), maxRetryAfter),
		}
	}
	switch {
	case status == http.StatusNotFound && strings.Contains(msg, "not found"):
		return fmt.Errorf("chat completions %s: model %s not found on the server: run `ollama pull %s` (server said: %s)", c.endpoint, m, m, msg)
	case status == http.StatusNotFound:
		return fmt.Errorf("chat completions %s: model %s: HTTP 404: %s (is the model name right, and the base URL the API root, usually ending in /v1? With Ollama, run `ollama pull %s`)", c.endpoint, m, msg, m)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Errorf("chat completions %s: model %s: HTTP %d: %s (check the API key)", c.endpoint, m, status, msg)
	case strings.Contains(msg, "does not support chat"):
		return fmt.Errorf("chat completions %s: model %s cannot chat (is it an embedding model?): %s", c.endpoint, m, msg)
	}
	return fmt.Errorf("chat completions %s: model %s: HTTP %d: %s", c.endpoint, m, status, msg)
}
