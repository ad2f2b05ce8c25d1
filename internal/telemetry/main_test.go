package telemetry

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any of them leaves a goroutine
// behind (the OpenTelemetry readers and exporters): every one must end with its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
