package halo

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testRetry = RetryPolicy{Tries: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}

// failing answers the first n /api requests with status, then a ticket.
func failing(n int32, status int) (http.HandlerFunc, *atomic.Int32) {
	var seen atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			w.WriteHeader(status)
			return
		}
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":42}`))
			return
		}
		okTicket(w, r)
	}, &seen
}

func TestRetry_GETTransientIsRetried(t *testing.T) {
	t.Parallel()
	h, seen := failing(3, http.StatusServiceUnavailable)
	s := newTestServer(t, h)
	l := &recordingLimiter{}
	c := newTestClient(t, s, func(cfg *Config) { cfg.Retry, cfg.Limiter = testRetry, l })
	_, err := getTicket(t.Context(), c, 42)
	require.NoError(t, err)
	require.EqualValues(t, 4, seen.Load())
	require.Len(t, l.waits, 4, "every try goes through the limiter")
}

func TestRetry_Bounded(t *testing.T) {
	t.Parallel()
	h, seen := failing(100, http.StatusInternalServerError)
	s := newTestServer(t, h)
	c := newTestClient(t, s, func(cfg *Config) { cfg.Retry = testRetry })
	_, err := getTicket(t.Context(), c, 42)
	var se *ServerError
	require.ErrorAs(t, err, &se)
	require.EqualValues(t, 4, seen.Load())
}

func TestRetry_OffByDefault(t *testing.T) {
	t.Parallel()
	h, seen := failing(1, http.StatusInternalServerError)
	s := newTestServer(t, h)
	c := newTestClient(t, s)
	_, err := getTicket(t.Context(), c, 42)
	require.Error(t, err)
	require.EqualValues(t, 1, seen.Load())
}

func TestRetry_PermanentIsNotRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound} {
		h, seen := failing(1, status)
		s := newTestServer(t, h)
		c := newTestClient(t, s, func(cfg *Config) { cfg.Retry = testRetry })
		_, err := getTicket(t.Context(), c, 42)
		require.Error(t, err)
		require.EqualValues(t, 1, seen.Load(), "status %d", status)
	}
}

// A POST whose fate is unknown (5xx, timeout) could have created the record:
// it is not repeated.
func TestRetry_POSTNotRetriedAfterServerError(t *testing.T) {
	t.Parallel()
	h, seen := failing(1, http.StatusInternalServerError)
	s := newTestServer(t, h)
	c := newTestClient(t, s, func(cfg *Config) { cfg.Retry = testRetry })
	_, err := c.Post(t.Context(), "/api/Tickets", map[string]any{"summary": "x"})
	require.Error(t, err)
	require.EqualValues(t, 1, seen.Load())
}

// flakyLimiter fails its first Wait with a non-wait error (its database
// hiccupped): nothing was sent, so even a POST may be tried again.
type flakyLimiter struct{ n atomic.Int32 }

func (l *flakyLimiter) Wait(context.Context, *RequestInfo) error {
	if l.n.Add(1) == 1 {
		return errors.New("budget: connection reset")
	}
	return nil
}
func (l *flakyLimiter) Done(*RequestInfo, int, error) {}

func TestRetry_POSTRetriedWhenNothingWasSent(t *testing.T) {
	t.Parallel()
	h, seen := failing(0, 0)
	s := newTestServer(t, h)
	l := &flakyLimiter{}
	c := newTestClient(t, s, func(cfg *Config) { cfg.Retry, cfg.Limiter = testRetry, l })
	_, err := c.Post(t.Context(), "/api/Tickets", map[string]any{"summary": "x"})
	require.NoError(t, err)
	require.EqualValues(t, 1, seen.Load(), "one POST reached Halo")
	require.EqualValues(t, 2, l.n.Load())

	// Connection refused proves nothing was sent either.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c2, err := New(Config{BaseURL: "http://" + addr, ClientID: testClientID, ClientSecret: testSecret, Retry: testRetry,
		AuthURL: s.URL + "/auth"})
	require.NoError(t, err)
	require.True(t, c2.retryable(http.MethodPost, func() error {
		_, err := c2.Post(t.Context(), "/api/Tickets", map[string]any{"summary": "x"})
		return err
	}()))
}

// A limiter's *WaitError goes straight back to the caller, which snoozes.
func TestRetry_WaitErrorIsNotRetried(t *testing.T) {
	t.Parallel()
	h, seen := failing(0, 0)
	s := newTestServer(t, h)
	wait := &WaitError{Until: time.Now().Add(time.Minute), Reason: "breaker open"}
	l := &recordingLimiter{deny: wait}
	c := newTestClient(t, s, func(cfg *Config) { cfg.Retry, cfg.Limiter = testRetry, l })
	_, err := getTicket(t.Context(), c, 42)
	require.ErrorIs(t, err, wait)
	require.Len(t, l.waits, 1)
	require.Zero(t, seen.Load())
}

// 429 is retried only with a limiter, whose Wait holds the retry back until
// the window rolls.
func TestRetry_429OnlyWithALimiter(t *testing.T) {
	t.Parallel()
	h, seen := failing(1, http.StatusTooManyRequests)
	s := newTestServer(t, h)
	c := newTestClient(t, s, func(cfg *Config) { cfg.Retry = testRetry })
	_, err := getTicket(t.Context(), c, 42)
	var rl *RateLimitedError
	require.ErrorAs(t, err, &rl)
	require.EqualValues(t, 1, seen.Load())

	h2, seen2 := failing(1, http.StatusTooManyRequests)
	s2 := newTestServer(t, h2)
	c2 := newTestClient(t, s2, func(cfg *Config) { cfg.Retry, cfg.Limiter = testRetry, &recordingLimiter{} })
	_, err = getTicket(t.Context(), c2, 42)
	require.NoError(t, err)
	require.EqualValues(t, 2, seen2.Load())
}

func TestRetry_BackoffGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{Tries: 6, Base: 500 * time.Millisecond, Max: 8 * time.Second}
	for try, want := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 3: 2 * time.Second, 5: 8 * time.Second, 9: 8 * time.Second} {
		for range 20 {
			d := p.backoff(try)
			require.GreaterOrEqual(t, d, want*3/4, "try %d", try)
			require.LessOrEqual(t, d, want*5/4, "try %d", try)
		}
	}
}
