package halo

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// RequestCounter counts the /api requests made with one context, so a pull
// can write its own request count to the run ledger while other pulls share
// the client.
type RequestCounter struct{ atomic.Int64 }

type counterKey struct{}

// WithRequestCounter returns a context whose requests are counted by the
// returned counter (the innermost counter wins when nested).
func WithRequestCounter(ctx context.Context) (context.Context, *RequestCounter) {
	rc := &RequestCounter{}
	return context.WithValue(ctx, counterKey{}, rc), rc
}

// WaitError is what a Limiter returns when a request may not go out before
// Until: the circuit breaker is open, or the shared rate budget is spent.
// Callers wait (River snoozes the job) instead of burning a retry.
type WaitError struct {
	Until  time.Time
	Reason string
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("halo: no request before %s: %s", e.Until.UTC().Format(time.RFC3339), e.Reason)
}
