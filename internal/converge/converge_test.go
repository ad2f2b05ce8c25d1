package converge_test

import (
	"os"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"github.com/halosync/halosync/internal/converge"
)

// ciHistories is the fixed budget `make test` runs.
const ciHistories = 150

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestConverge runs the histories of seeds CONVERGE_FIRST… (default 1), CONVERGE_SEEDS of them (default the
// CI budget), in CONVERGE_LANES parallel lanes (default 2, each its own database), and fails with every
// diverging history, shrunk first and printed with its seed (CONVERGE_NOSHRINK=1 prints it unshrunk).
// CONVERGE_SUMMARY names a file that receives the summary line (make soak prints it last).
func TestConverge(t *testing.T) {
	n := envInt("CONVERGE_SEEDS", ciHistories)
	first := envInt("CONVERGE_FIRST", 1)
	lanes := min(envInt("CONVERGE_LANES", 2), n)
	start := time.Now()
	var mu gosync.Mutex
	ran, ops, diverged, known := 0, 0, 0, 0
	var wg gosync.WaitGroup
	for lane := range lanes {
		w := converge.NewWorld(t)
		if os.Getenv("CONVERGE_TRACE") != "" {
			w.Trace = t.Logf
		}
		wg.Go(func() {
			for i := lane; i < n; i += lanes {
				seed := uint64(first + i)
				res, err := w.Run(converge.History{Seed: seed})
				if err != nil {
					t.Errorf("seed %d: harness: %v", seed, err)
					return
				}
				mu.Lock()
				ran++
				ops += res.Ops
				known += len(res.Known)
				mu.Unlock()
				for _, k := range res.Known {
					t.Logf("seed %d: known issue %s", seed, k)
				}
				if !res.Failed() {
					continue
				}
				mu.Lock()
				diverged++
				mu.Unlock()
				if os.Getenv("CONVERGE_NOSHRINK") != "" {
					t.Errorf("%s", res.Report())
					continue
				}
				small, err := w.Shrink(res, 2, t.Logf)
				if err != nil {
					t.Errorf("seed %d: shrinking: %v", seed, err)
				}
				t.Errorf("%s", small.Report())
			}
		})
	}
	wg.Wait()
	line := converge.Summary(ran, ops, diverged)
	t.Logf("%s (%d known issues; %.2f histories/s)", line, known, float64(ran)/time.Since(start).Seconds())
	if ran < n {
		t.Errorf("only %d of %d histories ran", ran, n)
	}
	if path := os.Getenv("CONVERGE_SUMMARY"); path != "" {
		if err := os.WriteFile(path, []byte(line+"\n"), 0o644); err != nil {
			t.Errorf("write summary: %v", err)
		}
	}
}

// TestReplay runs one history, CONVERGE_REPLAY=seed (all its operations), with timings and a dump of the
// push state on failure: for debugging a seed.
func TestReplay(t *testing.T) {
	seed := envInt("CONVERGE_REPLAY", 0)
	if seed == 0 {
		t.Skip("set CONVERGE_REPLAY=<seed> to replay one history")
	}
	w := converge.NewWorld(t)
	w.Trace = t.Logf
	res, err := w.Run(converge.History{Seed: uint64(seed)})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range res.Known {
		t.Logf("known issue %s", k)
	}
	if res.Failed() {
		t.Errorf("%s", res.Report())
	}
}
