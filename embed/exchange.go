package embed

import (
	"io"
	"net/http"
)

// go-openai hides the HTTP exchange behind its errors: an error status
// loses the response headers (Retry-After) and an undecodable 200 loses the
// body. recordingDoer keeps what the error messages and the retry logic
// need in an exchange that travels in the request's context, one per
// request, so concurrent requests never share one.
type exchange struct {
	status     int    // 0 when no response arrived
	retryAfter string // the Retry-After header, as sent
	head       []byte // the start of the body, up to bodyQuote bytes
	readErr    error  // a failure while reading the body, other than EOF
}

type exchangeKey struct{}

// recordingDoer is the go-openai HTTPDoer that fills in the request's
// exchange.
type recordingDoer struct{ client *http.Client }

func (d recordingDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.client.Do(req)
	x, _ := req.Context().Value(exchangeKey{}).(*exchange)
	if err != nil || x == nil {
		return resp, err
	}
	x.status = resp.StatusCode
	x.retryAfter = resp.Header.Get("Retry-After")
	resp.Body = &recordingBody{ReadCloser: resp.Body, x: x}
	return resp, nil
}

// recordingBody copies the start of a body into its exchange as it is read.
type recordingBody struct {
	io.ReadCloser
	x *exchange
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if room := bodyQuote - len(b.x.head); room > 0 {
		b.x.head = append(b.x.head, p[:min(n, room)]...)
	}
	if err != nil && err != io.EOF {
		b.x.readErr = err
	}
	return n, err
}
