package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBinaryForgedRiverControlIgnored sends River's control channel a pause of every queue as the
// read-only halosync_reader role (Postgres checks no privilege on NOTIFY) while the real worker runs. A
// worker that listened would stop taking jobs, silently; the worker runs River poll-only, so the forged
// message reaches nobody and a local edit made afterwards still reaches Halo. Forged wake-ups of the
// push listener naming no outbox row insert no job.
func TestBinaryForgedRiverControlIgnored(t *testing.T) {
	fake, env, pool := fakeAndDB(t)
	env["HALO_RATE_LIMIT"] = "100000/1m"
	ctx := context.Background()

	_, logs, _ := startWorker(t, env)
	deadline := time.Now().Add(2 * time.Minute)
	for mirrorDiff(t, fake, pool) != "" {
		require.True(t, time.Now().Before(deadline), "first sync did not finish; logs:\n%s", logs.String())
		time.Sleep(100 * time.Millisecond)
	}

	// The attacker: pauses of every queue, sent again and again as halosync_reader (River, listening,
	// would undo one forged pause at its next once-a-minute reconciliation with river_queue).
	var schema string
	require.NoError(t, pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema))
	conn, err := pool.Acquire(ctx)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `SET ROLE halosync_reader`)
	require.NoError(t, err)
	forge := func() {
		for _, queue := range []string{"*", "push", "fetch", "pull"} {
			payload := fmt.Sprintf(`{"action":"pause","queue":%q}`, queue)
			for _, channel := range []string{schema + ".river_control", "river_control"} {
				_, err := conn.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, payload)
				require.NoError(t, err, "Postgres lets any role NOTIFY")
			}
		}
		// And the outbox's wake-up channel, with ids of no outbox row.
		_, err := conn.Exec(ctx, `SELECT pg_notify('halosync_push', (987654300 + g)::text) FROM generate_series(1, 20) g`)
		require.NoError(t, err)
	}
	forge()
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				forge()
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-stopped
		_, _ = conn.Exec(ctx, `RESET ROLE`)
		conn.Release()
	})
	time.Sleep(time.Second) // a listening worker would have paused by now

	var ticketID int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT min(id) FROM halo.tickets WHERE id > 0 AND deleted_at IS NULL`).Scan(&ticketID))
	const summary = "edited after a forged pause"
	_, err = pool.Exec(ctx, `UPDATE halo.tickets SET summary = $1 WHERE id = $2`, summary, ticketID)
	require.NoError(t, err)

	// Well before River's minute-long reconciliation could undo a pause.
	deadline = time.Now().Add(15 * time.Second)
	for {
		var got any
		for _, r := range fake.Records("tickets") {
			if fmt.Sprint(r["id"]) == fmt.Sprint(ticketID) {
				got = r["summary"]
			}
		}
		if got == summary {
			break
		}
		require.True(t, time.Now().Before(deadline), "the local edit did not reach Halo after a forged pause; outbox: %s; logs:\n%s",
			outboxDump(t, pool), logs.String())
		time.Sleep(100 * time.Millisecond)
	}
	var forgedJobs int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'halosync_push' AND (args->>'outbox_id')::bigint > 987654300`).Scan(&forgedJobs))
	require.Zero(t, forgedJobs, "a forged push notification names no outbox row: no job")
	var paused int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_queue WHERE paused_at IS NOT NULL`).Scan(&paused))
	require.Zero(t, paused)
}
