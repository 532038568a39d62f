package wire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// NewClient returns a go-openai client for the API root baseURL (such as
// http://localhost:11434/v1) whose exchanges Record can see, and the root
// without trailing slashes, from which callers name their endpoint.
func NewClient(baseURL, apiKey string, hc *http.Client) (*openai.Client, string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", fmt.Errorf("base URL %q is not an http(s) URL", baseURL)
	}
	if hc == nil {
		hc = &http.Client{}
	}
	base := strings.TrimRight(baseURL, "/")
	cfg := openai.DefaultConfig(apiKey)
	cfg.BaseURL = base
	cfg.HTTPClient = Doer{Client: hc}
	return openai.NewClientWithConfig(cfg), base, nil
}

// Retries reads a retry count as both clients' options give it: 0 for the
// default def, negative for none.
func Retries(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}

// Retry is how a client repeats requests that failed transiently.
type Retry struct {
	// Max is how many times a request is repeated after its first try.
	Max int
	// Base is the first retry's mean delay, doubled for each next one up
	// to Cap.
	Base, Cap time.Duration
	// What names the request in errors and logs, with the endpoint, for
	// example "embeddings http://localhost:11434/v1/embeddings".
	What string
}

// Do calls try until it succeeds, fails with an error that is not a
// *Transient, or has been repeated r.Max times. Between tries it waits for
// the server's Retry-After or else the backoff, and stops early when ctx
// is done.
func (r Retry) Do(ctx context.Context, try func() error) error {
	for attempt := 0; ; attempt++ {
		err := try()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", r.What, ctx.Err())
		}
		var te *Transient
		if !errors.As(err, &te) {
			return err
		}
		if attempt >= r.Max {
			if attempt == 0 {
				return te.Err
			}
			return fmt.Errorf("%w (gave up after %d attempts)", te.Err, attempt+1)
		}
		wait := te.RetryAfter
		if wait == 0 {
			wait = r.backoff(attempt)
		}
		slog.Debug("retrying", "request", r.What, "attempt", attempt+1, "wait", wait, "err", te.Err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w", r.What, ctx.Err())
		}
	}
}

// backoff doubles per attempt up to Cap, with jitter in [d/2, d) so that
// concurrent requests rejected together do not retry together.
func (r Retry) backoff(attempt int) time.Duration {
	d := r.Cap
	if attempt < 16 {
		d = min(r.Base<<attempt, r.Cap)
	}
	half := d / 2
	return half + rand.N(half+1)
}
