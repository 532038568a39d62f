package wire

import (
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"1":                             time.Second,
		" 7 ":                           7 * time.Second,
		"-3":                            0,
		"soon":                          0,
		"3600":                          time.Minute,
		"Wed, 01 Jan 2025 12:00:10 GMT": 10 * time.Second,
		"Wed, 01 Jan 2025 11:00:00 GMT": 0,
	} {
		if got := ParseRetryAfter(in, now, time.Minute); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestQuoteIsShortAndPrintable(t *testing.T) {
	if got := Quote([]byte("<html>\r\n<h1>502</h1>\x00")); got != "`<html>  <h1>502</h1>`" {
		t.Errorf("Quote = %q", got)
	}
	long := Quote([]byte(strings.Repeat("x", 500)))
	if len(long) != QuoteBytes+len("``…") || !strings.HasSuffix(long, "…`") {
		t.Errorf("Quote of 500 bytes = %d bytes: %q", len(long), long)
	}
}
