package converge_test

import (
	"log/slog"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a history leaves a goroutine behind: every worker, listener,
// fake and webhook queue a history starts must end with it. The default logger (the push listener's) is
// silenced: histories drop database connections on purpose, and CONVERGE_TRACE brings it back.
func TestMain(m *testing.M) {
	if os.Getenv("CONVERGE_TRACE") == "" {
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
	goleak.VerifyTestMain(m)
}
