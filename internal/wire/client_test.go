package wire

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRetryRepeatsOnlyTransientFailures(t *testing.T) {
	r := Retry{Max: 2, Base: time.Millisecond, Cap: time.Millisecond, What: "test"}
	busy := &Transient{Err: errors.New("busy")}

	tries := 0
	err := r.Do(context.Background(), func() error {
		if tries++; tries < 3 {
			return busy
		}
		return nil
	})
	if err != nil || tries != 3 {
		t.Errorf("two transient failures then success: %v after %d tries", err, tries)
	}

	tries = 0
	err = r.Do(context.Background(), func() error { tries++; return busy })
	if tries != 3 || err == nil || !strings.Contains(err.Error(), "busy (gave up after 3 attempts)") {
		t.Errorf("always transient: %v after %d tries", err, tries)
	}

	tries = 0
	bad := errors.New("bad request")
	if err := r.Do(context.Background(), func() error { tries++; return bad }); err != bad || tries != 1 {
		t.Errorf("a permanent failure: %v after %d tries", err, tries)
	}

	if err := (Retry{}).Do(context.Background(), func() error { return busy }); err == nil || err.Error() != "busy" {
		t.Errorf("no retries allowed: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	slow := Retry{Max: 5, Base: time.Hour, Cap: time.Hour, What: "test"}
	time.AfterFunc(10*time.Millisecond, cancel)
	if err := slow.Do(ctx, func() error { return busy }); !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "test: ") {
		t.Errorf("cancelled during the wait: %v", err)
	}
}

func TestRetries(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 5}, {-1, 0}, {3, 3}} {
		if got := Retries(c.n, 5); got != c.want {
			t.Errorf("Retries(%d, 5) = %d, want %d", c.n, got, c.want)
		}
	}
}
