// Package wire holds what sanad's two clients of OpenAI-compatible servers,
// for embeddings and for chat, share: the go-openai client they are built
// on, a record of each HTTP exchange that go-openai's errors do not
// expose, the error that marks a failure worth retrying and the retry loop
// with its backoff, Retry-After parsing, and the quoting of unexpected
// answers.
package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	openai "github.com/sashabaranov/go-openai"
)

// QuoteBytes is how much of an unexpected answer an error quotes.
const QuoteBytes = 200

// Exchange is what one request got back. go-openai hides the HTTP exchange
// behind its errors: an error status loses the response headers
// (Retry-After) and an undecodable 200 loses the body.
type Exchange struct {
	Status     int    // 0 when no response arrived
	RetryAfter string // the Retry-After header, as sent
	Head       []byte // the start of the body, up to QuoteBytes
	ReadErr    error  // a failure while reading the body, other than EOF
}

type exchangeKey struct{}

// Record returns a context whose request, made through a Doer, fills in the
// returned Exchange: one per request, so concurrent requests never share.
func Record(ctx context.Context) (context.Context, *Exchange) {
	x := &Exchange{}
	return context.WithValue(ctx, exchangeKey{}, x), x
}

// Doer is a go-openai HTTPDoer that fills in the Exchange of a request's
// context, if it has one.
type Doer struct{ Client *http.Client }

// Do sends the request.
func (d Doer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.Client.Do(req)
	x, _ := req.Context().Value(exchangeKey{}).(*Exchange)
	if err != nil || x == nil {
		return resp, err
	}
	x.Status = resp.StatusCode
	x.RetryAfter = resp.Header.Get("Retry-After")
	resp.Body = &recordingBody{ReadCloser: resp.Body, x: x}
	return resp, nil
}

// recordingBody copies the start of a body into its exchange as it is read.
type recordingBody struct {
	io.ReadCloser
	x *Exchange
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if room := QuoteBytes - len(b.x.Head); room > 0 {
		b.x.Head = append(b.x.Head, p[:min(n, room)]...)
	}
	if err != nil && err != io.EOF {
		b.x.ReadErr = err
	}
	return n, err
}

// Transient is a failure worth retrying after a while.
type Transient struct {
	Err error
	// RetryAfter is the server's Retry-After, 0 if none.
	RetryAfter time.Duration
}

func (e *Transient) Error() string { return e.Err.Error() }
func (e *Transient) Unwrap() error { return e.Err }

// ParseRetryAfter reads a Retry-After value, delay-seconds or an HTTP date,
// capped at limit so that a misconfigured proxy cannot stall a run for
// hours; 0 when absent or unreadable.
func ParseRetryAfter(v string, now time.Time, limit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), limit)
}

// Quote returns the first QuoteBytes of an answer for an error message, in
// backquotes, with control characters blanked so that a binary or
// multi-line body cannot garble the terminal.
func Quote(b []byte) string {
	s := strings.ToValidUTF8(string(b[:min(len(b), QuoteBytes)]), "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimRight(s, " ")
	if len(b) > QuoteBytes {
		s += "…"
	}
	return "`" + s + "`"
}

// ServerError returns the HTTP status and the server's message of a
// go-openai error, and false when the error carries no answer from the
// server. The status is 0 for an error event inside a stream.
func ServerError(err error) (status int, msg string, ok bool) {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode, apiErr.Message, true
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		if len(reqErr.Body) == 0 {
			return reqErr.HTTPStatusCode, "empty answer", true
		}
		return reqErr.HTTPStatusCode, "unexpected answer " + Quote(reqErr.Body), true
	}
	return 0, "", false
}

// Retryable reports whether an HTTP status is worth retrying: 408, 429 and
// 5xx. Others are permanent, since resending the same request cannot help.
func Retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// NoAnswer describes a request that got no answer at all, from what (the
// API and endpoint, as error messages name it). A refused connection and an
// unknown host are permanent: nothing listens there, and retrying would
// only delay the report; refused says what to do about the first. Anything
// else (a reset, a timeout) is Transient.
func NoAnswer(what string, err error, refused func(cause error) error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		cause := err
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			cause = opErr
		}
		return refused(cause)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return fmt.Errorf("%s: unknown host: %w", what, dnsErr)
	}
	return &Transient{Err: fmt.Errorf("%s: %w", what, err)}
}
