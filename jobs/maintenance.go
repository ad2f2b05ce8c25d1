package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/halosync/halosync/store"
)

// QueueMaintenance is the queue of the rescue and prune jobs. It has a worker of its own, so they run
// while every pull slot is taken by a pull that lasts hours.
const QueueMaintenance = "maintenance"

// Defaults of the maintenance schedule.
const (
	// DefaultRescueEvery is how often a running worker looks for pulls and pushes a killed process left
	// "running" (see RescueWorker): a killed pull is resumed within about this long by any worker, not
	// only by one that starts.
	DefaultRescueEvery = time.Minute
	// DefaultPruneEvery is how often the bookkeeping tables are pruned (see PruneWorker).
	DefaultPruneEvery = time.Hour
)

// DefaultRetention is how long the bookkeeping tables keep their rows when nothing is configured
// (HALOSYNC_RETAIN_*; the README lists the same values).
var DefaultRetention = store.Retention{
	Webhooks:  7 * 24 * time.Hour,
	Runs:      90 * 24 * time.Hour,
	Outbox:    30 * 24 * time.Hour,
	Conflicts: 90 * 24 * time.Hour,
}

// RescueArgs asks for one pass of the orphaned-job rescue.
type RescueArgs struct{}

// Kind is the River job kind.
func (RescueArgs) Kind() string { return "halosync_rescue" }

// InsertOpts puts the rescue on the maintenance queue. It is deliberately not unique: a rescue job that
// was itself killed while running must not block the next one, and a pass is idempotent and cheap.
func (RescueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, Priority: 1, MaxAttempts: 1}
}

// RescueWorker works RescueArgs.
type RescueWorker struct {
	river.WorkerDefaults[RescueArgs]
	Store *store.Store
}

// Timeout bounds one pass (a few small queries); short, so River's own rescuer also applies to it.
func (w *RescueWorker) Timeout(*river.Job[RescueArgs]) time.Duration { return time.Minute }

// Work makes pulls and pushes whose process died available again (store.RescueOrphanedPulls and
// RescueOrphanedPushes tell them apart from live ones by their advisory locks).
func (w *RescueWorker) Work(ctx context.Context, _ *river.Job[RescueArgs]) error {
	pulls, err := w.Store.RescueOrphanedPulls(ctx, PullArgs{}.Kind())
	if err != nil {
		return err
	}
	pushes, err := w.Store.RescueOrphanedPushes(ctx, PushArgs{}.Kind())
	if err != nil {
		return err
	}
	if len(pulls)+len(pushes) > 0 {
		slog.Default().Info("rescued jobs a killed worker left running", "pulls", pulls, "pushes", pushes)
	}
	return nil
}

// PruneArgs asks for one prune of the bookkeeping tables.
type PruneArgs struct{}

// Kind is the River job kind.
func (PruneArgs) Kind() string { return "halosync_prune" }

// InsertOpts puts the prune on the maintenance queue, unique while active.
func (PruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, MaxAttempts: 3, UniqueOpts: uniqueWhileActive}
}

// PruneWorker works PruneArgs.
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	Store     *store.Store
	Retention store.Retention
}

// Timeout bounds one prune; a backlog larger than one run can delete is finished by the next.
func (w *PruneWorker) Timeout(*river.Job[PruneArgs]) time.Duration { return 5 * time.Minute }

// Work deletes the rows older than their retention (store.Prune).
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	p, err := w.Store.Prune(ctx, w.Retention)
	if p != (store.Pruned{}) {
		slog.Default().Info("pruned bookkeeping rows", "webhook_deliveries", p.Webhooks, "runs", p.Runs,
			"outbox_done", p.Outbox, "conflicts_acknowledged", p.Conflicts)
	}
	return err
}

// addMaintenance registers the rescue and prune workers and, for working clients, their queue and
// periodic jobs (enqueued by River's leader, worked by any worker).
func addMaintenance(workers *river.Workers, rc *river.Config, cfg Config) {
	st := store.New(cfg.Pool)
	river.AddWorker(workers, &RescueWorker{Store: st})
	river.AddWorker(workers, &PruneWorker{Store: st, Retention: cfg.Retention})
	if rc.Queues == nil {
		return
	}
	rc.Queues[QueueMaintenance] = river.QueueConfig{MaxWorkers: 1}
	rescue := cfg.RescueEvery
	if rescue <= 0 {
		rescue = DefaultRescueEvery
	}
	prune := cfg.PruneEvery
	if prune <= 0 {
		prune = DefaultPruneEvery
	}
	rc.PeriodicJobs = append(rc.PeriodicJobs,
		river.NewPeriodicJob(river.PeriodicInterval(rescue), rescueIfNeeded(st),
			&river.PeriodicJobOpts{ID: "rescue", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(prune),
			func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
			&river.PeriodicJobOpts{ID: "prune", RunOnStart: true}))
}

// rescueIfNeeded is the rescue's periodic constructor: no job (nil) unless a pull or push is running
// without its lock (store.HasOrphanedJobs), so an idle or healthy deployment does not complete a rescue
// job every RescueEvery (1,440 a day in the River UI). When the check fails the rescue is inserted anyway.
func rescueIfNeeded(st *store.Store) river.PeriodicJobConstructor {
	return func() (river.JobArgs, *river.InsertOpts) {
		ctx, cancel := context.WithTimeout(context.Background(), sweepCheckTimeout)
		defer cancel()
		orphaned, err := st.HasOrphanedJobs(ctx, PullArgs{}.Kind(), PushArgs{}.Kind())
		if err != nil {
			slog.Default().Warn("rescue: cannot look for orphaned jobs; rescuing anyway", "err", err)
			return RescueArgs{}, nil
		}
		if !orphaned {
			return nil, nil
		}
		return RescueArgs{}, nil
	}
}
