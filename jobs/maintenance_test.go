package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// TestRunningWorkerRescuesKilledPull: a pull left "running" by a killed
// process (no one holds its entity lock) is made available again and worked
// by a worker that was already running — without a restart, which is the
// only time EnqueueStale rescues, and long before River's own rescuer.
func TestRunningWorkerRescuesKilledPull(t *testing.T) {
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 23})
	fake.Generate(tiny)
	base := fake.Start()
	t.Cleanup(fake.Close)
	pool := testdb.New(t)
	ctx := context.Background()

	hc, err := halo.New(halo.Config{BaseURL: base, ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret, Scope: "all"})
	require.NoError(t, err)
	p := &hsync.Puller{Halo: hc, Store: store.New(pool)}
	rc, err := jobs.NewClient(jobs.Config{Pool: pool, Puller: p, Schedule: jobs.DefaultSchedule, Workers: 2, Periodic: true,
		RescueEvery: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, rc.Start(ctx))
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })

	// The row a SIGKILLed worker leaves behind: running, attempted just now.
	var id int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, attempt, attempted_at, attempted_by)
VALUES ('{"entity":"tickets","full":false}', 'halosync_pull', 25, 'pull', 'running', 1, now(), '{dead-worker}') RETURNING id`).Scan(&id))

	waitFor(t, "the orphaned pull rescued and completed", func() bool {
		var state string
		require.NoError(t, pool.QueryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, id).Scan(&state))
		return state == "completed"
	})
	require.Equal(t, fakeTicketIDs(fake), ticketIDs(t, pool))
}

// TestPruneJobDeletesOldBookkeeping: the periodic prune job deletes, by age,
// webhook deliveries, run ledger rows, done outbox rows and acknowledged
// conflicts older than their retention, and keeps everything younger, open
// or unfinished.
func TestPruneJobDeletesOldBookkeeping(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO halosync.webhook_deliveries (id, received_at) VALUES ('old', now() - interval '8 days'), ('new', now() - interval '6 days')`,
		`INSERT INTO halosync.runs (entity, mode, started_at) VALUES ('old', 'full', now() - interval '91 days'), ('new', 'full', now() - interval '89 days')`,
		`INSERT INTO halosync.outbox (entity, record_key, op, state, updated_at) VALUES
			('tickets', 'old-done', 'update', 'done', now() - interval '31 days'),
			('tickets', 'new-done', 'update', 'done', now() - interval '29 days'),
			('tickets', 'old-parked', 'update', 'parked', now() - interval '400 days')`,
		`INSERT INTO halosync.conflicts (entity, record_key, field, winner, detected_at, acknowledged_at) VALUES
			('tickets', 'old-ack', 'summary', 'halo', now() - interval '400 days', now() - interval '91 days'),
			('tickets', 'new-ack', 'summary', 'halo', now() - interval '400 days', now() - interval '89 days'),
			('tickets', 'old-open', 'summary', 'halo', now() - interval '400 days', NULL)`,
	} {
		_, err := pool.Exec(ctx, sql)
		require.NoError(t, err)
	}

	rc, err := jobs.NewClient(jobs.Config{Pool: pool, Puller: &hsync.Puller{Store: store.New(pool)}, Schedule: jobs.DefaultSchedule,
		Workers: 1, Periodic: true, Retention: jobs.DefaultRetention})
	require.NoError(t, err)
	require.NoError(t, rc.Start(ctx))
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })

	keys := func(sql string) []string {
		rows, err := pool.Query(ctx, sql)
		require.NoError(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k string
			require.NoError(t, rows.Scan(&k))
			out = append(out, k)
		}
		require.NoError(t, rows.Err())
		return out
	}
	waitFor(t, "the prune job (run on start) done", func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'halosync_prune' AND state = 'completed'`).Scan(&n))
		return n > 0
	})
	require.Equal(t, []string{"new"}, keys(`SELECT id FROM halosync.webhook_deliveries ORDER BY id`))
	require.Equal(t, []string{"new"}, keys(`SELECT entity FROM halosync.runs ORDER BY entity`))
	require.Equal(t, []string{"new-done", "old-parked"}, keys(`SELECT record_key FROM halosync.outbox ORDER BY record_key`))
	require.Equal(t, []string{"new-ack", "old-open"}, keys(`SELECT record_key FROM halosync.conflicts ORDER BY record_key`))
}
