package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
)

// TestPushSweepOnlyWhenPending: the periodic sweep inserts no job while the outbox has nothing to push
// now (an idle deployment completed one every 30 s), one as soon as a row is due, and one when it cannot
// tell.
func TestPushSweepOnlyWhenPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	construct := sweepIfNeeded(store.New(pool))

	args, _ := construct()
	require.Nil(t, args, "empty outbox: no sweep job")

	_, err := pool.Exec(ctx, `INSERT INTO halosync.outbox (entity, record_key, op, state) VALUES
		('tickets', '1', 'update', 'parked'), ('tickets', '2', 'update', 'done')`)
	require.NoError(t, err)
	args, _ = construct()
	require.Nil(t, args, "parked and done rows wait for nobody")

	_, err = pool.Exec(ctx, `INSERT INTO halosync.outbox (entity, record_key, op, state, next_attempt_at)
		VALUES ('tickets', '3', 'update', 'pending', now() + interval '1 hour')`)
	require.NoError(t, err)
	args, _ = construct()
	require.Nil(t, args, "a pending row in its backoff waits for its time, not for the sweep")

	_, err = pool.Exec(ctx, `UPDATE halosync.outbox SET next_attempt_at = now() - interval '1 second' WHERE record_key = '3'`)
	require.NoError(t, err)
	args, _ = construct()
	require.IsType(t, PushSweepArgs{}, args, "a pending row: sweep")

	closed := testdb.New(t)
	closed.Close()
	args, _ = sweepIfNeeded(store.New(closed))()
	require.IsType(t, PushSweepArgs{}, args, "cannot check: sweep anyway")
}

// TestRiverProducerCountsAtDebug: River's "Producer job counts" line, logged at info every 30 s, reaches
// the log only at debug; River's other info lines pass unchanged.
func TestRiverProducerCountsAtDebug(t *testing.T) {
	var buf bytes.Buffer
	info := quietRiver(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	info.With("component", "river").Info("producer: Producer job counts", "num_completed_jobs", 3)
	info.Info("maintenance.PeriodicJobEnqueuer: nil returned from periodic job constructor, skipping")
	info.Info("River client started")
	require.NotContains(t, buf.String(), "Producer job counts")
	require.NotContains(t, buf.String(), "nil returned from periodic job constructor", "an idle sweep or rescue is not news")
	require.Contains(t, buf.String(), "level=INFO msg=\"River client started\"")

	buf.Reset()
	debug := quietRiver(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	debug.Info("producer: Producer job counts", "queue", "pull")
	require.Contains(t, buf.String(), "level=DEBUG msg=\"producer: Producer job counts\" queue=pull")
}

// TestRescueOnlyWhenOrphaned: the periodic rescue inserts no job while no pull or push is running, nor
// while the running ones hold their locks (a healthy worker); one as soon as a running job's lock is free
// (its process died), and one when it cannot tell.
func TestRescueOnlyWhenOrphaned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	st := store.New(pool)
	construct := rescueIfNeeded(st)

	args, _ := construct()
	require.Nil(t, args, "nothing running: no rescue job")

	_, err := pool.Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, attempt, attempted_at, attempted_by) VALUES
		('{"entity":"tickets","full":false}', 'halosync_pull', 25, 'pull', 'running', 1, now(), '{live}'),
		('{"outbox_id":42}', 'halosync_push', 25, 'push', 'running', 1, now(), '{live}')`)
	require.NoError(t, err)
	unlockPull, err := st.LockEntity(ctx, "tickets", true)
	require.NoError(t, err)
	unlockPush, err := st.LockPush(ctx, 42)
	require.NoError(t, err)
	args, _ = construct()
	require.Nil(t, args, "running jobs holding their locks are alive: no rescue job")

	unlockPush()
	args, _ = construct()
	require.IsType(t, RescueArgs{}, args, "a running push without its lock: rescue")

	unlockPull()
	_, err = pool.Exec(ctx, `DELETE FROM river_job WHERE kind = 'halosync_push'`)
	require.NoError(t, err)
	args, _ = construct()
	require.IsType(t, RescueArgs{}, args, "a running pull without its lock: rescue")

	closed := testdb.New(t)
	closed.Close()
	args, _ = rescueIfNeeded(store.New(closed))()
	require.IsType(t, RescueArgs{}, args, "cannot check: rescue anyway")
}
