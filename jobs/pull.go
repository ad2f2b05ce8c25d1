// Package jobs runs halosync's work as River jobs: the job kinds and their
// workers, the periodic schedule, the retry policy, and the mapping of sync's
// typed errors to River's snooze, cancel and retry. It is the only package
// that knows River.
package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

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

// InsertOpts puts pulls on their queue, unique while active.
func (PullArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePull, MaxAttempts: 25, UniqueOpts: uniqueWhileActive}
}

// PullWorker works PullArgs.
type PullWorker struct {
	river.WorkerDefaults[PullArgs]
	Puller *hsync.Puller
}

// Timeout bounds one pull; a 200k-ticket initial sync at Halo's rate
// budget takes hours, so the bound is generous and the work is resumable.
func (w *PullWorker) Timeout(*river.Job[PullArgs]) time.Duration { return 6 * time.Hour }

// Work pulls the entity and steers River by the error's kind.
func (w *PullWorker) Work(ctx context.Context, job *river.Job[PullArgs]) error {
	_, err := w.Puller.Pull(ctx, job.Args.Entity, job.Args.Full)
	return Steer(err)
}
