package converge_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/halosync/halosync/internal/converge"
)

// sigkillHistories is how many histories TestConvergeSIGKILL runs (each with a crash, at least).
const sigkillHistories = 4

// TestConvergeSIGKILL is the subprocess variant: the worker is the real `halosync worker` binary, and every
// Crash operation SIGKILLs it (mid-pull, mid-push, wherever it is) before starting it again. It runs the
// first histories that crash at least once.
func TestConvergeSIGKILL(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "halosync")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/halosync").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	w := converge.NewWorld(t)
	w.Binary = bin
	if os.Getenv("CONVERGE_TRACE") != "" {
		w.Trace = t.Logf
	}
	ran := 0
	for seed := uint64(1); ran < envInt("CONVERGE_SIGKILL", sigkillHistories); seed++ {
		if !slices.ContainsFunc(converge.Generate(seed), func(o converge.Op) bool { return o.Kind == converge.Crash }) {
			continue
		}
		ran++
		res, err := w.Run(converge.History{Seed: seed})
		if err != nil {
			t.Fatalf("seed %d: harness: %v", seed, err)
		}
		for _, k := range res.Known {
			t.Logf("seed %d: known issue %s", seed, k)
		}
		if res.Failed() {
			t.Errorf("worker as a subprocess: %s", res.Report())
		}
	}
}
