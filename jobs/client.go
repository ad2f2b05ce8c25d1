package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// Schedule says how often each entity is pulled.
type Schedule struct {
	Tickets   time.Duration // tickets and their actions
	Customers time.Duration // clients, sites, users, assets, contracts, agents
	Lookups   time.Duration // statuses, ticket types, teams, priorities
	Full      time.Duration // full reconcile of everything (deletions)
}

// DefaultSchedule is the schedule when nothing is configured.
var DefaultSchedule = Schedule{Tickets: time.Minute, Customers: 15 * time.Minute, Lookups: time.Hour, Full: 24 * time.Hour}

// Interval returns how often an entity is pulled incrementally, as its declaration's Interval says.
func (s Schedule) Interval(name string) time.Duration {
	e, _ := entity.Lookup(name)
	if e == nil {
		return s.Customers
	}
	switch e.Interval {
	case entity.IntervalTickets:
		return s.Tickets
	case entity.IntervalLookups:
		return s.Lookups
	}
	return s.Customers
}

// ActionSweepShare is the share of the rate budget the actions sweep may
// use: the per-ticket re-reads that reconcile actions where Halo's bulk
// Actions listing cannot be used (see sync.Puller.ActionSweep).
const ActionSweepShare = 0.1

// ActionSweepPerPull is how many tickets' actions each tickets pull
// re-reads for the sweep: ActionSweepShare of the requests a budget of
// limit per window allows in one tickets interval, at least one. At the
// defaults (300/5m, 1m) that is 6 a pull, 8,640 tickets a day.
func ActionSweepPerPull(limit int, window, ticketsInterval time.Duration) int {
	if window <= 0 {
		return 1
	}
	n := int(ActionSweepShare * float64(limit) * float64(ticketsInterval) / float64(window))
	return max(n, 1)
}

// Config is what NewClient needs.
type Config struct {
	Pool     *pgxpool.Pool
	Puller   *hsync.Puller
	Pusher   *hsync.Pusher // works push jobs (local edits → Halo); may be nil for insert-only clients
	Schedule Schedule
	Logger   *slog.Logger
	// Workers is the number of pulls one process runs at once.
	Workers int
	// Middleware is installed on the River client (e.g. otelriver).
	Middleware []rivertype.Middleware
	// Periodic enables the periodic schedule (off for clients that only
	// insert, such as the CLI).
	Periodic bool
	// RescueEvery is how often the orphaned-job rescue runs (0 →
	// DefaultRescueEvery); PruneEvery how often the prune runs (0 →
	// DefaultPruneEvery).
	RescueEvery, PruneEvery time.Duration
	// Retention is what the prune keeps (zero fields keep forever).
	Retention store.Retention
}

// quickQueue is the queue configuration of the queues that carry latency (push, fetch). River runs
// poll-only (see NewClient), so the poll interval bounds the wait between a job's insert and its start: a
// local edit reaches Halo within about this long plus the push itself (`make bench`, BenchmarkFreshness).
// Each poll is one indexed query per queue and process. The short cooldown lets a worker that frees a slot
// fetch the next waiting job at once instead of at the next poll.
func quickQueue(workers int) river.QueueConfig {
	return river.QueueConfig{MaxWorkers: workers, FetchPollInterval: 100 * time.Millisecond, FetchCooldown: 10 * time.Millisecond}
}

// NewClient builds the River client that works halosync's jobs.
func NewClient(cfg Config) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &PullWorker{Puller: cfg.Puller})
	rc := &river.Config{
		Logger:      quietRiver(cfg.Logger),
		Workers:     workers,
		RetryPolicy: RetryPolicy{},
		// patience first: a job's Halo requests wait at most JobMaxWait in
		// process, longer waits snooze the job (see Steer).
		Middleware: append([]rivertype.Middleware{patience}, cfg.Middleware...),
		// A SIGKILLed worker leaves its jobs "running". Pulls and pushes
		// whose advisory lock is free are made available again when a
		// worker starts (EnqueueStale, EnqueuePending) and every
		// RescueEvery by the periodic rescue job (RescueWorker). River's
		// own rescuer is the backstop, after rescueAfter rather than its
		// hour; pulls beat a heartbeat so a live one is never taken for
		// stuck, and their 6-hour Timeout does not delay it (see
		// PullWorker.Timeout).
		RescueStuckJobsAfter: rescueAfter,
		// Poll only: River takes no LISTEN/NOTIFY messages. Postgres checks no
		// privilege on NOTIFY, so any login of the database (the analysts'
		// halosync_reader included) could otherwise send River's control
		// channel a pause, resume or cancel, or resign its leader. Polled,
		// River learns pauses and cancellations only from river_queue and
		// river_job rows, which only the worker's role may write. Queues that
		// carry latency (push, fetch) poll often (quickQueue).
		PollOnly: true,
	}
	if cfg.Periodic {
		n := max(cfg.Workers, 1)
		rc.Queues = map[string]river.QueueConfig{QueuePull: {MaxWorkers: n}}
		rc.PeriodicJobs = periodicJobs(cfg.Schedule)
	}
	addFetch(workers, rc, cfg)
	addPush(workers, rc, cfg)
	addMaintenance(workers, rc, cfg)
	c, err := river.NewClient(riverpgxv5.New(cfg.Pool), rc)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return c, nil
}

func periodicJobs(s Schedule) []*river.PeriodicJob {
	var pj []*river.PeriodicJob
	for _, e := range hsync.PullOrder {
		pj = append(pj, river.NewPeriodicJob(river.PeriodicInterval(s.Interval(e)),
			func() (river.JobArgs, *river.InsertOpts) { return PullArgs{Entity: e}, nil },
			&river.PeriodicJobOpts{ID: "pull-" + e}))
		if s.Full > 0 {
			pj = append(pj, river.NewPeriodicJob(river.PeriodicInterval(s.Full),
				func() (river.JobArgs, *river.InsertOpts) { return PullArgs{Entity: e, Full: true}, nil },
				&river.PeriodicJobOpts{ID: "full-" + e}))
		}
	}
	return pj
}

// EnqueueStale inserts a pull for every entity whose last successful pull is
// older than its interval (or that never ran), so a worker that starts after
// a stop catches up at once instead of waiting for the next period.
//
// First it makes pulls a killed worker left "running" available again
// (store.RescueOrphanedPulls), so they neither block the entity's unique
// jobs nor wait for River's rescuer.
func EnqueueStale(ctx context.Context, c *river.Client[pgx.Tx], st *store.Store, s Schedule) ([]string, error) {
	if _, err := st.RescueOrphanedPulls(ctx, PullArgs{}.Kind()); err != nil {
		return nil, err
	}
	var stale []string
	for _, e := range hsync.PullOrder {
		state, err := st.GetState(ctx, st.Pool, e)
		if err != nil {
			return nil, err
		}
		if state.LastSuccessAt != nil && time.Since(*state.LastSuccessAt) < s.Interval(e) {
			continue
		}
		if _, err := c.Insert(ctx, PullArgs{Entity: e}, nil); err != nil {
			return nil, fmt.Errorf("enqueue pull %s: %w", e, err)
		}
		stale = append(stale, e)
	}
	return stale, nil
}
