package store_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any of them leaves a goroutine
// behind (push locks and budget takers): every one must end with its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
