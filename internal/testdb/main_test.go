package testdb

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any of them leaves a goroutine
// behind (its pools and admin connections): every one must end with its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
