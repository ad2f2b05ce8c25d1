package jobs

import (
	"context"
	"log/slog"
	"strings"
)

// quietRiver wraps the logger River gets so that its routine chatter goes to debug: each queue's producer
// logs "Producer job counts" at info every 30 s whenever a job ran, and the periodic enqueuer logs "nil
// returned from periodic job constructor, skipping" each time the push sweep or the rescue decides there is
// nothing to do (every 30 s and every minute); both bury the worker's own lines.
func quietRiver(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return slog.New(&demoteHandler{Handler: l.Handler()})
}

// demotedMessages are River's info messages logged at debug instead (matched as message suffixes:
// River prefixes them with the service name, e.g. "producer: Producer job counts").
var demotedMessages = []string{"Producer job counts", "nil returned from periodic job constructor, skipping"}

type demoteHandler struct{ slog.Handler }

func demoted(r slog.Record) bool {
	if r.Level != slog.LevelInfo {
		return false
	}
	for _, m := range demotedMessages {
		if strings.HasSuffix(r.Message, m) {
			return true
		}
	}
	return false
}

func (h *demoteHandler) Handle(ctx context.Context, r slog.Record) error {
	if demoted(r) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h *demoteHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &demoteHandler{Handler: h.Handler.WithAttrs(attrs)}
}

func (h *demoteHandler) WithGroup(name string) slog.Handler {
	return &demoteHandler{Handler: h.Handler.WithGroup(name)}
}
