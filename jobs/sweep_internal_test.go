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
	info.Info("River client started")
	require.NotContains(t, buf.String(), "Producer job counts")
	require.Contains(t, buf.String(), "level=INFO msg=\"River client started\"")

	buf.Reset()
	debug := quietRiver(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	debug.Info("producer: Producer job counts", "queue", "pull")
	require.Contains(t, buf.String(), "level=DEBUG msg=\"producer: Producer job counts\" queue=pull")
}
