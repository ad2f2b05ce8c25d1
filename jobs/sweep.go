package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/halosync/halosync/store"
)

// sweepCheckTimeout bounds the sweep's look at the outbox: River's periodic enqueuer waits for it.
const sweepCheckTimeout = 2 * time.Second

// pushSweepJob is the periodic push sweep. It is inserted only when an outbox row waits for a push:
// an idle deployment would otherwise complete a sweep job every PushSweepInterval (2,880 a day) and bury
// the River UI's list of real work. When the check fails the sweep is inserted anyway (it is the
// backstop for lost notifications; one job too many is cheaper than a push left behind).
func pushSweepJob(st *store.Store) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(PushSweepInterval), sweepIfNeeded(st),
		&river.PeriodicJobOpts{ID: "push-sweep", RunOnStart: true})
}

// sweepIfNeeded is the sweep's periodic constructor: no job (nil) when nothing waits.
func sweepIfNeeded(st *store.Store) river.PeriodicJobConstructor {
	return func() (river.JobArgs, *river.InsertOpts) {
		if !sweepNeeded(st) {
			return nil, nil
		}
		return PushSweepArgs{}, nil
	}
}

// sweepNeeded reports whether the outbox has rows a sweep would enqueue (true when unsure).
func sweepNeeded(st *store.Store) bool {
	if st == nil || st.Pool == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), sweepCheckTimeout)
	defer cancel()
	pending, err := st.HasPendingPushes(ctx, st.Pool)
	if err != nil {
		slog.Default().Warn("push sweep: cannot check the outbox; sweeping anyway", "err", err)
		return true
	}
	return pending
}
