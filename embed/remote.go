package embed

import (
	"github.com/sanadhq/sanad/internal/wire"

	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// DefaultOllamaURL is where a local Ollama server serves its
// OpenAI-compatible API.
const DefaultOllamaURL = "http://localhost:11434/v1"

// DefaultOllamaModel is the model NewOllama uses when none is given. bge-m3
// is multilingual (trained on 100+ languages, Arabic among them), takes
// inputs of up to 8192 tokens so chunks are not cut short, and needs no
// query or passage prefixes. The usual alternatives fall short for Arabic
// news: nomic-embed-text is English-centric, and multilingual e5 models
// work well but only with "query: "/"passage: " prefixes and a 512-token
// context.
const DefaultOllamaModel = "bge-m3"

// Defaults for Options fields left zero.
const (
	DefaultBatchSize   = 32
	DefaultConcurrency = 2
	DefaultTimeout     = 60 * time.Second
	DefaultMaxRetries  = 5
)

const (
	// maxBackoff caps the exponential backoff between retries.
	maxBackoff = 30 * time.Second
	// maxRetryAfter caps how long a server's Retry-After can make us wait,
	// so a misconfigured proxy cannot stall indexing for hours.
	maxRetryAfter = 60 * time.Second
)

// Options configures NewOpenAI and NewOllama.
type Options struct {
	// BaseURL is the API root, such as "https://api.openai.com/v1"; the
	// client posts to BaseURL + "/embeddings".
	BaseURL string
	// APIKey is sent as a bearer token when not empty.
	APIKey string
	// Model is the embedding model's name as the server knows it.
	Model string
	// BatchSize is the number of inputs per request, default 32.
	BatchSize int
	// Concurrency is the number of requests in flight, default 2.
	Concurrency int
	// Timeout bounds each request, default 60s; a request that exceeds it
	// is retried.
	Timeout time.Duration
	// MaxRetries is how often a failed request is retried after transient
	// errors (429, 5xx, broken connections, timeouts), default 5 when 0;
	// negative means never.
	MaxRetries int
	// QueryPrefix is prepended to every query and DocPrefix to every
	// passage, for models trained with them (see DefaultPrefixes).
	QueryPrefix, DocPrefix string
	// Dimensions is the expected vector length; 0 learns it from the first
	// answer and then holds every later answer to it.
	Dimensions int
	// HTTPClient replaces the default HTTP client (tests).
	HTTPClient *http.Client
	// OnBatch, when set, is called with the number of inputs each finished
	// request completed, for progress reports. Calls are serialised.
	OnBatch func(done int)
}

// NewOpenAI returns an embedder for any server that speaks OpenAI's
// embeddings API. BaseURL and Model are required.
func NewOpenAI(opt Options) (Embedder, error) {
	if opt.BaseURL == "" {
		return nil, errors.New("openai embedder: no base URL")
	}
	if opt.Model == "" {
		return nil, errors.New("openai embedder: no model")
	}
	return newRemote("openai", opt)
}

// NewOllama returns an embedder for an Ollama server's OpenAI-compatible
// API. BaseURL defaults to DefaultOllamaURL, Model to DefaultOllamaModel and
// APIKey to "ollama" (Ollama ignores it, but some proxies in front of it
// insist on one).
func NewOllama(opt Options) (Embedder, error) {
	if opt.BaseURL == "" {
		opt.BaseURL = DefaultOllamaURL
	}
	if opt.Model == "" {
		opt.Model = DefaultOllamaModel
	}
	if opt.APIKey == "" {
		opt.APIKey = "ollama"
	}
	return newRemote("ollama", opt)
}

// remote embeds through an OpenAI-compatible /embeddings endpoint.
type remote struct {
	kind     string
	model    string
	baseURL  string
	endpoint string
	opt      Options
	client   *openai.Client
	// dims is the vector length every answer must have: Options.Dimensions
	// or, when that is 0, the length of the first vector seen.
	dims atomic.Int64
	// retry repeats failed batches; tests shorten its Base.
	retry      wire.Retry
	progressMu sync.Mutex
}

func newRemote(kind string, opt Options) (*remote, error) {
	if opt.Dimensions < 0 {
		return nil, fmt.Errorf("%s embedder: negative dimensions %d", kind, opt.Dimensions)
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = DefaultConcurrency
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	opt.MaxRetries = wire.Retries(opt.MaxRetries, DefaultMaxRetries)

	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{}
		// The default transport keeps only 2 idle connections per host;
		// with more requests in flight it would redial for every batch.
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			t = t.Clone()
			t.MaxIdleConnsPerHost = max(opt.Concurrency, t.MaxIdleConnsPerHost)
			hc.Transport = t
		}
	}
	client, base, err := wire.NewClient(opt.BaseURL, opt.APIKey, hc)
	if err != nil {
		return nil, fmt.Errorf("%s embedder: %w", kind, err)
	}
	r := &remote{
		kind:     kind,
		model:    opt.Model,
		baseURL:  base,
		endpoint: base + "/embeddings",
		opt:      opt,
		client:   client,
	}
	r.retry = wire.Retry{Max: opt.MaxRetries, Base: 500 * time.Millisecond, Cap: maxBackoff, What: "embeddings " + r.endpoint}
	r.dims.Store(int64(opt.Dimensions))
	return r, nil
}

func (r *remote) Info() Info {
	return Info{
		Kind:        r.kind,
		Model:       r.model,
		Dimensions:  int(r.dims.Load()),
		QueryPrefix: r.opt.QueryPrefix,
		DocPrefix:   r.opt.DocPrefix,
	}
}

func (r *remote) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	vecs, err := r.embed(ctx, []string{r.opt.QueryPrefix + text}, nil)
	if err != nil {
		return nil, err
	}
	return vecs[0], nil
}

func (r *remote) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	inputs := texts
	if r.opt.DocPrefix != "" {
		inputs = make([]string, len(texts))
		for i, t := range texts {
			inputs[i] = r.opt.DocPrefix + t
		}
	}
	return r.embed(ctx, inputs, r.opt.OnBatch)
}

// embed sends inputs in batches, at most Concurrency at a time, and places
// each batch's vectors by position. The first failure cancels the rest.
func (r *remote) embed(ctx context.Context, inputs []string, onBatch func(int)) ([][]float32, error) {
	out := make([][]float32, len(inputs))
	if len(inputs) == 0 {
		return out, nil
	}
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
		sem      = make(chan struct{}, r.opt.Concurrency)
	)
dispatch:
	for start := 0; start < len(inputs); start += r.opt.BatchSize {
		// select picks at random among ready cases: check first so that a
		// cancelled context never starts another request.
		if gctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-gctx.Done():
			break dispatch
		}
		end := min(start+r.opt.BatchSize, len(inputs))
		wg.Go(func() {
			defer func() { <-sem }()
			vecs, err := r.embedBatch(gctx, inputs[start:end])
			if err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
				cancel()
				return
			}
			copy(out[start:end], vecs)
			if onBatch != nil {
				r.progressMu.Lock()
				onBatch(end - start)
				r.progressMu.Unlock()
			}
		})
	}
	wg.Wait()
	// A cancelled caller gets its own cancellation back, not whichever
	// request noticed it first.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embeddings %s: %w", r.endpoint, err)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// embedBatch sends one batch, retrying transient failures with capped
// exponential backoff and jitter, or after the server's Retry-After.
func (r *remote) embedBatch(ctx context.Context, batch []string) ([][]float32, error) {
	var vecs [][]float32
	err := r.retry.Do(ctx, func() error {
		var err error
		vecs, err = r.send(ctx, batch)
		return err
	})
	return vecs, err
}

// send makes one request and checks its answer.
func (r *remote) send(ctx context.Context, batch []string) ([][]float32, error) {
	reqCtx, cancel := context.WithTimeout(ctx, r.opt.Timeout)
	defer cancel()
	reqCtx, x := wire.Record(reqCtx)
	res, err := r.client.CreateEmbeddings(reqCtx, openai.EmbeddingRequestStrings{
		Input:          batch,
		Model:          openai.EmbeddingModel(r.model),
		EncodingFormat: openai.EmbeddingEncodingFormatFloat,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
			return nil, &wire.Transient{Err: fmt.Errorf("embeddings %s: no answer within %v", r.endpoint, r.opt.Timeout)}
		}
		return nil, r.classify(err, x)
	}
	return r.check(res, len(batch))
}

// classify turns a failed request into a clear error, marking the ones
// worth retrying as transient.
func (r *remote) classify(err error, x *wire.Exchange) error {
	if status, msg, ok := wire.ServerError(err); ok {
		return r.statusError(status, msg, x)
	}
	if x.Status == 0 {
		return wire.NoAnswer("embeddings "+r.endpoint, err, func(cause error) error {
			if r.kind == "ollama" {
				return fmt.Errorf("cannot reach Ollama at %s: start it with `ollama serve`: %w", r.baseURL, cause)
			}
			return fmt.Errorf("embeddings %s: cannot connect: %w", r.endpoint, cause)
		})
	}
	if x.ReadErr != nil {
		// The connection broke while the answer was arriving.
		return &wire.Transient{Err: fmt.Errorf("embeddings %s: reading answer: %w", r.endpoint, x.ReadErr)}
	}
	if x.Status >= 500 {
		return &wire.Transient{Err: fmt.Errorf("embeddings %s: HTTP %d with an undecodable answer %s", r.endpoint, x.Status, wire.Quote(x.Head))}
	}
	return fmt.Errorf("embeddings %s: HTTP %d with an answer that is not the expected JSON (%v): %s", r.endpoint, x.Status, err, wire.Quote(x.Head))
}

// statusError describes an HTTP error status; 408, 429 and 5xx are
// transient, others permanent since resending the same batch cannot help.
func (r *remote) statusError(status int, msg string, x *wire.Exchange) error {
	if wire.Retryable(status) {
		return &wire.Transient{
			Err:        fmt.Errorf("embeddings %s: HTTP %d: %s", r.endpoint, status, msg),
			RetryAfter: wire.ParseRetryAfter(x.RetryAfter, time.Now(), maxRetryAfter),
		}
	}
	switch {
	case status == http.StatusNotFound && r.kind == "ollama" && strings.Contains(msg, "not found") && strings.Contains(msg, "model"):
		return fmt.Errorf("embeddings %s: model %s not found on the server: run `ollama pull %s` (server said: %s)", r.endpoint, r.model, r.model, msg)
	case status == http.StatusNotFound:
		return fmt.Errorf("embeddings %s: model %s: HTTP 404: %s (is the model name right, and the base URL the API root, usually ending in /v1?)", r.endpoint, r.model, msg)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Errorf("embeddings %s: model %s: HTTP %d: %s (check the API key)", r.endpoint, r.model, status, msg)
	}
	return fmt.Errorf("embeddings %s: model %s: HTTP %d: %s", r.endpoint, r.model, status, msg)
}

// check validates an answer and returns its vectors, normalised, in input
// order.
func (r *remote) check(res openai.EmbeddingResponse, n int) ([][]float32, error) {
	if len(res.Data) != n {
		return nil, fmt.Errorf("embeddings %s: server returned %d vectors for %d inputs", r.endpoint, len(res.Data), n)
	}
	out := make([][]float32, n)
	for _, d := range res.Data {
		switch {
		case d.Index < 0 || d.Index >= n:
			return nil, fmt.Errorf("embeddings %s: server returned vector index %d for %d inputs", r.endpoint, d.Index, n)
		case out[d.Index] != nil:
			return nil, fmt.Errorf("embeddings %s: server returned vector index %d twice", r.endpoint, d.Index)
		case len(d.Embedding) == 0:
			return nil, fmt.Errorf("embeddings %s: server returned an empty vector for input %d", r.endpoint, d.Index)
		}
		if err := r.checkDims(len(d.Embedding)); err != nil {
			return nil, err
		}
		if err := Normalize(d.Embedding); err != nil {
			return nil, fmt.Errorf("embeddings %s: vector for input %d: %w", r.endpoint, d.Index, err)
		}
		out[d.Index] = d.Embedding
	}
	return out, nil
}

func (r *remote) checkDims(got int) error {
	want := r.dims.Load()
	source := "as set in the options"
	if r.opt.Dimensions == 0 {
		if want == 0 && r.dims.CompareAndSwap(0, int64(got)) {
			return nil
		}
		want = r.dims.Load()
		source = "as in the server's first answer"
	}
	if int64(got) != want {
		return fmt.Errorf("embeddings %s: model %s: %w: got %d, expected %d %s", r.endpoint, r.model, ErrDimensions, got, want, source)
	}
	return nil
}
