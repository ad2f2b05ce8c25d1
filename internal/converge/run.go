package converge

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// historyTimeout bounds one history, drain and checks included; a history that needs longer has not
// converged.
const historyTimeout = 60 * time.Second

// Result is what one history did and found.
type Result struct {
	History     History
	Ops         int      // operations run
	Divergences []string // empty: the history converged
	Known       []string // divergences that are known open issues (known.go), not counted
}

// Failed reports whether the history diverged.
func (r Result) Failed() bool { return len(r.Divergences) > 0 }

// Run runs one history on a fresh fake Halo and the emptied database: initial sync, the operations with the
// worker running, then the drain and the invariants. An error is a failure of the harness itself, not a
// divergence.
func (w *World) Run(h History) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	res := Result{History: h}
	t0 := time.Now()
	var tRest time.Time
	if err := w.reset(ctx); err != nil {
		return res, err
	}
	e, err := w.newEnv(h.Seed)
	if err != nil {
		return res, err
	}
	defer e.close()
	if _, err := e.puller.Cycle(ctx, synced, true); err != nil {
		return res, fmt.Errorf("initial sync: %w", err)
	}
	tSync := time.Now()
	if err := e.startWorker(ctx); err != nil {
		return res, err
	}
	tStart := time.Now()
	m := newModel()
	for i, o := range h.Ops() {
		if err := e.exec(ctx, m, i, o); err != nil {
			return res, fmt.Errorf("op %d %s: %w", i, o, err)
		}
		res.Ops++
	}
	tOps := time.Now()
	defer func() {
		if w.Trace != nil {
			w.Trace("seed %d: setup and initial sync %s, worker start %s, ops %s, drain %s, check %s", h.Seed,
				tSync.Sub(t0), tStart.Sub(tSync), tOps.Sub(tStart), tRest.Sub(tOps), time.Since(tRest))
		}
	}()
	if err := e.drain(ctx); err != nil {
		res.Divergences = append(res.Divergences, "drain: "+err.Error())
	}
	tRest = time.Now()
	div, err := e.check(ctx, m)
	if err != nil {
		return res, fmt.Errorf("check: %w", err)
	}
	res.Divergences = append(res.Divergences, div...)
	res.triage(m)
	if res.Failed() && w.Trace != nil {
		w.dump(ctx)
	}
	return res, nil
}

// Shrink looks for a shortest sub-history of a failing one that still fails (delta debugging: drop chunks,
// halving their size, then single operations). The worker runs concurrently with the operations, so a
// failure may not repeat every time: a candidate counts as failing if any of tries runs fails.
func (w *World) Shrink(failing Result, tries int, logf func(string, ...any)) (Result, error) {
	best := failing
	keep := failing.History.indices()
	fails := func(k []int) (Result, bool, error) {
		for range tries {
			r, err := w.Run(failing.History.keep(k))
			if err != nil {
				return r, false, err
			}
			if r.Failed() {
				return r, true, nil
			}
		}
		return Result{}, false, nil
	}
	for chunk := max(len(keep)/2, 1); chunk >= 1; {
		removed := false
		for start := 0; start < len(keep); {
			cand := append(append([]int(nil), keep[:start]...), keep[min(start+chunk, len(keep)):]...)
			if len(cand) == 0 {
				start += chunk
				continue
			}
			r, ok, err := fails(cand)
			if err != nil {
				return best, err
			}
			if ok {
				keep, best, removed = cand, r, true
				if logf != nil {
					logf("shrunk seed %d to %d operations", failing.History.Seed, len(keep))
				}
				continue
			}
			start += chunk
		}
		if !removed {
			if chunk == 1 {
				break
			}
			chunk /= 2
		}
	}
	best.History = failing.History.keep(keep)
	return best, nil
}

// Report prints a failing history: seed, operations and divergences.
func (r Result) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "history diverged: seed %d, %d operations\n%s\ndivergences:", r.History.Seed, len(r.History.indices()), r.History)
	for _, d := range r.Divergences {
		fmt.Fprintf(&b, "\n  - %s", d)
	}
	return b.String()
}

// Summary is the soak's last line.
func Summary(histories, ops, divergences int) string {
	return fmt.Sprintf("converge: %d histories, %d operations, %d divergences", histories, ops, divergences)
}

// dump traces the push state of a failed history.
func (w *World) dump(ctx context.Context) {
	for _, q := range []string{
		`SELECT format('outbox %s %s %s %s %s fields=%s base=%s changed_at=%s err=%s', id, entity, record_key, op, state, fields, base, changed_at, last_error) FROM halosync.outbox ORDER BY id`,
		`SELECT format('conflict %s %s %s winner=%s local=%s@%s remote=%s@%s', entity, record_key, field, winner, local_value, local_changed_at, remote_value, remote_changed_at) FROM halosync.conflicts ORDER BY id`,
		`SELECT format('job %s %s %s %s', kind, state, args, errors) FROM river_job ORDER BY id`,
		`SELECT format('clients %s live=%s deleted_at=%s synced_at=%s', id, deleted_at IS NULL, deleted_at, synced_at) FROM halo.clients ORDER BY id`,
		`SELECT format('tickets %s live=%s deleted_at=%s synced_at=%s', id, deleted_at IS NULL, deleted_at, synced_at) FROM halo.tickets ORDER BY id`,
		`SELECT format('run %s %s %s err=%s tomb=%s', entity, mode, started_at, error, tombstoned) FROM halosync.runs ORDER BY id`,
	} {
		rows, err := w.hpool.Query(ctx, q)
		if err != nil {
			w.Trace("dump: %v", err)
			continue
		}
		lines, _ := collectStrings(rows)
		for _, l := range lines {
			w.Trace("%s", l)
		}
	}
}

// keep is the sub-history of h with the operations at idx (indices into h's full history).
func (h History) keep(idx []int) History {
	if h.Steps == nil {
		return History{Seed: h.Seed, Keep: idx}
	}
	steps := make([]Op, 0, len(idx))
	for _, i := range idx {
		steps = append(steps, h.Steps[i])
	}
	return History{Seed: h.Seed, Steps: steps}
}
