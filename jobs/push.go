package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// QueuePush is the queue of push jobs (local edits going to Halo).
const QueuePush = "push"

// pushWorkers is how many pushes one process runs at once: local edits are few, and Halo's rate budget is
// shared with the pulls.
const pushWorkers = 2

// PushSweepInterval is how often the sweep enqueues a push for every pending outbox row: the backstop for
// notifications lost while no listener was connected.
const PushSweepInterval = 30 * time.Second

// PushArgs asks for the push of one outbox row (halosync.outbox.id).
type PushArgs struct {
	OutboxID int64 `json:"outbox_id" river:"unique"`
}

// Kind is the River job kind.
func (PushArgs) Kind() string { return "halosync_push" }

// InsertOpts puts pushes on their queue, unique while active.
func (PushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePush, MaxAttempts: 25, UniqueOpts: uniqueWhileActive}
}

// PushWorker works PushArgs.
type PushWorker struct {
	river.WorkerDefaults[PushArgs]
	Pusher *hsync.Pusher
}

// Timeout bounds one push (a GET and a POST, or a lookup walk after a crash).
func (w *PushWorker) Timeout(*river.Job[PushArgs]) time.Duration { return 10 * time.Minute }

// Work pushes the outbox row. The pusher leaves every outcome on the row (done, parked, or pending with
// last_error and next_attempt_at); the job follows Steer: completed when the row is done or parked,
// cancelled for 401/403 (the sweep enqueues the row again once it is due), retried for transient errors
// (an early retry snoozes until the row is due), snoozed for rate limits and an open breaker. It holds the row's push lock throughout, so a job a killed
// process left running is told apart and rescued (EnqueuePending → store.RescueOrphanedPushes).
func (w *PushWorker) Work(ctx context.Context, job *river.Job[PushArgs]) error {
	release, err := w.Pusher.Store.LockPush(ctx, job.Args.OutboxID)
	if err != nil {
		return err
	}
	defer release()
	return Steer(w.Pusher.Push(ctx, job.Args.OutboxID))
}

// PushSweepArgs enqueues a PushArgs for every pending outbox row.
type PushSweepArgs struct{}

// Kind is the River job kind.
func (PushSweepArgs) Kind() string { return "halosync_push_sweep" }

// InsertOpts puts the sweep on the push queue, unique while active.
func (PushSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePush, MaxAttempts: 3, UniqueOpts: uniqueWhileActive}
}

// PushSweepWorker works PushSweepArgs.
type PushSweepWorker struct {
	river.WorkerDefaults[PushSweepArgs]
	Store *store.Store
}

// Work enqueues the pending pushes (unique while active, so nothing doubles).
func (w *PushSweepWorker) Work(ctx context.Context, _ *river.Job[PushSweepArgs]) error {
	c, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	_, err = EnqueuePending(ctx, c, w.Store)
	return err
}

// EnqueuePending inserts a push job for every pending outbox row (and creates left "sending") and returns
// how many it inserted. First it makes pushes a killed worker left "running" available again
// (store.RescueOrphanedPushes): their unique jobs would otherwise keep the rows from being pushed until
// River's rescuer runs, ten minutes later.
func EnqueuePending(ctx context.Context, c *river.Client[pgx.Tx], st *store.Store) (int, error) {
	if _, err := st.RescueOrphanedPushes(ctx, PushArgs{}.Kind()); err != nil {
		return 0, err
	}
	ids, err := st.PendingPushIDs(ctx, st.Pool)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: PushArgs{OutboxID: id}}
	}
	if _, err := c.InsertMany(ctx, params); err != nil {
		return 0, fmt.Errorf("enqueue pushes: %w", err)
	}
	return len(ids), nil
}

// addPush registers the push workers, their queue and the periodic sweep.
func addPush(workers *river.Workers, rc *river.Config, cfg Config) {
	var st *store.Store
	if cfg.Pusher != nil {
		st = cfg.Pusher.Store
	}
	river.AddWorker(workers, &PushWorker{Pusher: cfg.Pusher})
	river.AddWorker(workers, &PushSweepWorker{Store: st})
	if rc.Queues != nil {
		rc.Queues[QueuePush] = quickQueue(pushWorkers)
		if cfg.Pusher != nil {
			rc.PeriodicJobs = append(rc.PeriodicJobs, pushSweepJob(st))
		}
	}
}

// ListenPush LISTENs on halosync_push (the outbox triggers NOTIFY it with the outbox id) on a dedicated
// connection and inserts a push job for each notification, so a local edit reaches Halo within moments.
// On every (re)connect it first enqueues everything pending, covering notifications sent while it was not
// listening. It reconnects after errors with backoff and returns only when ctx is done.
func ListenPush(ctx context.Context, pool *pgxpool.Pool, client *river.Client[pgx.Tx]) error {
	log := slog.Default()
	st := store.New(pool)
	backoff := time.Second
	for {
		err := listenOnce(ctx, pool, client, st, func() { backoff = time.Second })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("push listener lost its connection; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func listenOnce(ctx context.Context, pool *pgxpool.Pool, client *river.Client[pgx.Tx], st *store.Store, connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "LISTEN "+store.PushChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	connected()
	if _, err := EnqueuePending(ctx, client, st); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			continue
		}
		// Any login may NOTIFY this channel: a notification is only a hint, acted on when it names an
		// outbox row that waits to be pushed (a forged flood of ids inserts no jobs).
		row, err := st.GetOutbox(ctx, st.Pool, id)
		switch {
		case errors.Is(err, store.ErrNoOutbox):
			continue
		case err != nil:
			return err // reconnect; the reconnect enqueues everything pending
		case row.State != store.OutboxPending && row.State != store.OutboxSending:
			continue
		}
		if _, err := client.Insert(ctx, PushArgs{OutboxID: id}, nil); err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			slog.Default().Warn("enqueue push", "outbox", id, "err", err)
		}
	}
}
