// Package jobs runs halosync's work as River jobs: the job kinds and their
// workers, the periodic schedule, the retry policy, and the mapping of sync's
// typed errors to River's snooze, cancel and retry. It is the only package
// that knows River.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// Queue names.
const (
	QueuePull = "pull"
)

// uniqueWhileActive makes a job unique while it waits or runs, but not once
// it has finished: River's default also blocks on completed jobs, which
// would stop operators from re-enqueueing a pull for a day.
var uniqueWhileActive = river.UniqueOpts{
	ByArgs: true,
	ByState: []rivertype.JobState{
		rivertype.JobStateAvailable,
		rivertype.JobStatePending,
		rivertype.JobStateRetryable,
		rivertype.JobStateRunning,
		rivertype.JobStateScheduled,
	},
}

// PullArgs asks for one pull of one entity.
type PullArgs struct {
	Entity string `json:"entity" river:"unique"`
	Full   bool   `json:"full" river:"unique"`
}

// Kind is the River job kind.
func (PullArgs) Kind() string { return "halosync_pull" }

// InsertOpts puts pulls on their queue, unique while active, tagged with the entity (EntityTag).
func (a PullArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePull, MaxAttempts: 25, UniqueOpts: uniqueWhileActive, Tags: []string{EntityTag(a.Entity)}}
}

// EntityTag is the River tag of an entity's jobs, so the River UI can list one entity's jobs (the
// /status page links there). An entity read under a parent (actions) is pulled by its parent's job.
func EntityTag(name string) string { return entity.PulledWith(name) }

// PullWorker works PullArgs.
type PullWorker struct {
	river.WorkerDefaults[PullArgs]
	Puller *hsync.Puller
}

// Pull run limits. A 200k-ticket initial sync at Halo's rate budget takes
// hours, so one pull may run for pullTimeout; River's rescuer must still
// recover a killed pull within RescueStuckJobsAfter (rescueAfter), which it
// would not do for a job whose Timeout is longer (it waits out the timeout
// first). So a running pull beats a heartbeat (attempted_at moves forward
// every heartbeatEvery) and Timeout tells the two callers apart, see Timeout.
const (
	pullTimeout    = 6 * time.Hour
	rescueAfter    = 10 * time.Minute
	heartbeatEvery = time.Minute
	// heartbeatLost is how old attempted_at must be before a pull counts as
	// dead: several missed beats, far below rescueAfter.
	heartbeatLost = 3 * heartbeatEvery
)

// Timeout is asked twice by River. When an attempt starts, attempted_at has
// just been set and the pull gets pullTimeout (this assumes the worker's clock
// is within heartbeatLost of the database's, which sets attempted_at). River's rescuer asks again
// about a job it found running with attempted_at older than rescueAfter: a
// live pull's heartbeat keeps attempted_at within heartbeatEvery, so such a
// job is dead, and the answer (what it has already outlived) lets the rescue
// apply at once instead of pullTimeout after the job started.
func (w *PullWorker) Timeout(job *river.Job[PullArgs]) time.Duration {
	if job.AttemptedAt != nil && time.Since(*job.AttemptedAt) > heartbeatLost {
		return heartbeatLost
	}
	return pullTimeout
}

// Work pulls the entity and steers River by the error's kind, beating the
// heartbeat while it runs.
func (w *PullWorker) Work(ctx context.Context, job *river.Job[PullArgs]) error {
	stop := heartbeat(ctx, w.Puller.Store, job.ID, heartbeatEvery)
	defer stop()
	_, err := w.Puller.Pull(ctx, job.Args.Entity, job.Args.Full)
	return Steer(err)
}

// heartbeat moves job id's attempted_at forward every period until the
// returned stop is called (it waits for the beating goroutine to end).
func heartbeat(ctx context.Context, st *store.Store, id int64, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A beat is not cancelled half-way: a cancelled query may still commit on the server after
				// the client gave up on it, so stop would return before the beat's UPDATE landed (and that
				// UPDATE would then move attempted_at of a job that has ended). Each beat gets its own
				// short deadline instead, and stop waits for it.
				bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), every+5*time.Second)
				if _, err := st.TouchRunningJob(bctx, id); err != nil && ctx.Err() == nil {
					slog.Default().Warn("pull heartbeat failed", "job", id, "err", err)
				}
				bcancel()
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
