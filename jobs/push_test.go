package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// TestPushThroughRiver runs the worker for real: a local UPDATE of the mirror reaches the fake Halo through
// the trigger's NOTIFY, ListenPush and a River push job; a local INSERT gets its Halo id the same way.
func TestPushThroughRiver(t *testing.T) {
	fake := halofake.New(halofake.Options{Seed: 23})
	fake.Generate(halofake.Size{Clients: 3, Sites: 4, Users: 6, Agents: 3, Tickets: 5, ActionsPerTicket: 2, Assets: 2, Contracts: 1})
	base := fake.Start()
	t.Cleanup(fake.Close)
	pool := testdb.New(t)
	ctx := context.Background()

	hc, err := halo.New(halo.Config{BaseURL: base, ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret, Scope: "all"})
	require.NoError(t, err)
	st := store.New(pool)
	_, err = (&hsync.Puller{Halo: hc, Store: st, WaitForLock: true}).Cycle(ctx, nil, true)
	require.NoError(t, err)

	rc, err := jobs.NewClient(jobs.Config{Pool: pool, Puller: &hsync.Puller{Halo: hc, Store: st, WaitForLock: true},
		Pusher: &hsync.Pusher{Halo: hc, Store: st}, Schedule: jobs.DefaultSchedule, Workers: 2, Periodic: true})
	require.NoError(t, err)
	require.NoError(t, rc.Start(ctx))
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })
	lctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- jobs.ListenPush(lctx, pool, rc) }()
	t.Cleanup(func() { stop(); <-done })

	_, err = pool.Exec(ctx, `UPDATE halo.tickets SET summary = 'edited through River' WHERE id = 1`)
	require.NoError(t, err)
	waitFor(t, "the edit in Halo", func() bool {
		for _, r := range fake.Records("tickets") {
			if r["id"] == float64(1) {
				return r["summary"] == "edited through River"
			}
		}
		return false
	})

	var temp int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO halo.clients (name) VALUES ('Made in SQL') RETURNING id`).Scan(&temp))
	waitFor(t, "the insert's Halo id", func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM halo.clients WHERE name = 'Made in SQL' AND id > 0`).Scan(&n))
		return n == 1
	})
	waitFor(t, "outbox done", func() bool {
		list, err := st.ListOutbox(ctx, pool, 0, store.OutboxPending, store.OutboxSending, store.OutboxParked)
		require.NoError(t, err)
		return len(list) == 0
	})
	waitFor(t, "push jobs completed", func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'halosync_push' AND state = 'completed'`).Scan(&n))
		return n >= 2
	})

	// A unique push job per outbox row while it is active.
	res, err := rc.Insert(ctx, jobs.PushArgs{OutboxID: 424242}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	dup, err := rc.Insert(ctx, jobs.PushArgs{OutboxID: 424242}, nil)
	require.NoError(t, err)
	require.True(t, dup.UniqueSkippedAsDuplicate)
	require.Equal(t, res.Job.ID, dup.Job.ID)
}
