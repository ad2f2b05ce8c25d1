package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any of them leaves a goroutine
// behind (the waiters of the worker processes it starts): every one must end with its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
