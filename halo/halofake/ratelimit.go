package halofake

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// rateLimiter is a rolling-window counter: at most limit accepted requests in any window
// (halo-api.md §8). Rejected requests are not counted, so a client that backs off for
// the window recovers. It reads the server clock, so tests move time instead of sleeping.
type rateLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	hits   []time.Time // accepted requests, oldest first
}

func newRateLimiter(limit int, window time.Duration) *rateLimiter {
	return &rateLimiter{limit: limit, window: window}
}

func (l *rateLimiter) allow(now time.Time) bool {
	if l.limit <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cut := 0
	for cut < len(l.hits) && !l.hits[cut].After(now.Add(-l.window)) {
		cut++
	}
	l.hits = l.hits[cut:]
	if len(l.hits) >= l.limit {
		return false
	}
	l.hits = append(l.hits, now)
	return true
}

// rateLimited answers 429 with Halo's message and, like Halo, no Retry-After header.
func rateLimited(w http.ResponseWriter, limit int, window time.Duration) {
	msg := fmt.Sprintf("Rate Limit Reached - %d Requests per rolling %s window", limit, windowText(window))
	writeJSONStatus(w, http.StatusTooManyRequests, obj{{"error", msg}, {"Message", msg}})
}

func windowText(d time.Duration) string {
	switch {
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minute", int(d/time.Minute))
	case d%time.Second == 0:
		return fmt.Sprintf("%d second", int(d/time.Second))
	}
	return d.String()
}
