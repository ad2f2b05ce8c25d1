package server

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// refusalLogEvery is the most often refused webhook deliveries are logged: the endpoint faces the
// internet, and a log line per refusal would let anyone fill the logs.
const refusalLogEvery = time.Minute

// refusalLog counts refused webhook requests by reason and logs the counts at most once a minute.
type refusalLog struct {
	log *slog.Logger
	now func() time.Time

	mu         sync.Mutex
	counts     map[string]int
	lastRemote string
	lastLogged time.Time
}

func newRefusalLog(log *slog.Logger) *refusalLog {
	return &refusalLog{log: log, now: time.Now, counts: map[string]int{}}
}

// add counts one refusal and logs the counts if the last line is a minute old.
func (l *refusalLog) add(reason, remote string) {
	l.mu.Lock()
	l.counts[reason]++
	l.lastRemote = remote
	l.mu.Unlock()
	l.flush()
}

// flush logs the counts gathered since the last line, if any and if a minute has passed.
func (l *refusalLog) flush() {
	l.mu.Lock()
	now := l.now()
	if len(l.counts) == 0 || now.Sub(l.lastLogged) < refusalLogEvery {
		l.mu.Unlock()
		return
	}
	counts, remote, since := l.counts, l.lastRemote, l.lastLogged
	l.counts, l.lastLogged = map[string]int{}, now
	l.mu.Unlock()

	total := 0
	attrs := []any{}
	for _, reason := range slices.Sorted(maps.Keys(counts)) {
		total += counts[reason]
		attrs = append(attrs, reason, counts[reason])
	}
	attrs = append(attrs, "count", total, "last_remote", remote)
	if !since.IsZero() {
		attrs = append(attrs, "since", since.UTC().Format(time.RFC3339))
	}
	l.log.Warn("webhook deliveries refused", attrs...)
}

// run logs counts left over from the last minute, so a burst is reported even when nothing follows.
func (l *refusalLog) run(ctx context.Context) {
	t := time.NewTicker(refusalLogEvery / 6)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.flush()
		}
	}
}
