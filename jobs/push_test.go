package jobs_test

import (
	"context"
	"strings"
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

// TestPushFailuresDoNotLoop: every push ends somewhere visible and none loops. A create Halo answers with
// 404 (its ticket is not in Halo) is parked with Halo's message; an update of a record deleted in Halo is
// tombstoned with a conflict and closed; a 403 leaves the row pending with the error and a next attempt
// time. Three sweeps after that send nothing more: one POST in all.
func TestPushFailuresDoNotLoop(t *testing.T) {
	fake := halofake.New(halofake.Options{Seed: 29})
	fake.Generate(halofake.Size{Clients: 2, Sites: 2, Users: 3, Agents: 2, Tickets: 3, ActionsPerTicket: 1, Assets: 2, Contracts: 1})
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

	requests := func(method, path string) int {
		n := 0
		for _, r := range fake.Requests() {
			if r.Method == method && strings.HasPrefix(r.Path, path) {
				n++
			}
		}
		return n
	}
	// Idle: no push job left to run now. A job that raced the sweep and found the 403's row backing off is
	// snoozed until next_attempt_at (scheduled 30 s on); that is the backoff being kept, so it is not
	// waited for.
	idle := func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'halosync_push'
			AND (state IN ('available', 'running', 'retryable')
			  OR state = 'scheduled' AND scheduled_at < now() + interval '10 seconds')`).Scan(&n))
		return n == 0
	}
	sweep := func() {
		_, err := jobs.EnqueuePending(ctx, rc, st)
		require.NoError(t, err)
		waitFor(t, "push jobs done", idle)
	}

	// An action on a ticket Halo does not have: POST → 404.
	_, err = pool.Exec(ctx, `INSERT INTO halo.actions (ticket_id, note) VALUES (424242, 'orphan note')`)
	require.NoError(t, err)
	// An asset deleted in Halo, edited here: GET → 404.
	fake.Delete("assets", 1)
	_, err = pool.Exec(ctx, `UPDATE halo.assets SET key_field = 'edited after delete' WHERE id = 1`)
	require.NoError(t, err)
	// A ticket Halo will not let us touch: GET → 403.
	fake.SetFault(halofake.Faults{Forbidden: map[string]bool{"tickets": true}})
	_, err = pool.Exec(ctx, `UPDATE halo.tickets SET summary = 'forbidden edit' WHERE id = 1`)
	require.NoError(t, err)

	sweep()
	require.Equal(t, 1, requests("POST", "/api/actions"))
	for range 3 {
		sweep()
	}
	require.Equal(t, 1, requests("POST", "/api/actions"), "a 404 is not posted again by later sweeps")
	require.Equal(t, 1, requests("GET", "/api/asset/1"), "a record gone in Halo is not asked for again")
	require.Equal(t, 1, requests("GET", "/api/tickets/1"), "a 403 waits for its backoff, not the next sweep")

	rows, err := st.ListOutbox(ctx, pool, 0)
	require.NoError(t, err)
	byEntity := map[string]*store.OutboxRow{}
	for _, o := range rows {
		byEntity[o.Entity] = o
	}
	require.Equal(t, store.OutboxParked, byEntity["actions"].State)
	require.Contains(t, *byEntity["actions"].LastError, "not found")
	require.Equal(t, store.OutboxDone, byEntity["assets"].State)
	require.Contains(t, *byEntity["assets"].LastError, "deleted in Halo")
	var deleted bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT deleted_at IS NOT NULL FROM halo.assets WHERE id = 1`).Scan(&deleted))
	require.True(t, deleted, "tombstoned")
	var conflicts int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM halosync.conflicts WHERE entity = 'assets' AND field = '*deleted*'`).Scan(&conflicts))
	require.Equal(t, 1, conflicts)
	tk := byEntity["tickets"]
	require.Equal(t, store.OutboxPending, tk.State, "a 403 keeps the edit")
	require.Contains(t, *tk.LastError, "403")
	require.NotNil(t, tk.NextAttemptAt)
	require.True(t, tk.NextAttemptAt.After(time.Now()), "and says when it is tried again")
}
