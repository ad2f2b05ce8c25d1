package converge_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a history leaves a goroutine behind: every worker, listener,
// fake and webhook queue a history starts must end with it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
