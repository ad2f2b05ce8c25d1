package jobs_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

var tiny = halofake.Size{Clients: 8, Sites: 16, Users: 60, Agents: 4, Tickets: 120, ActionsPerTicket: 2, Assets: 30, Contracts: 4}

func newWorkerClient(t *testing.T, pool *pgxpool.Pool, base string) *river.Client[pgx.Tx] {
	t.Helper()
	hc, err := halo.New(halo.Config{BaseURL: base, ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret, Scope: "all"})
	require.NoError(t, err)
	p := &hsync.Puller{Halo: hc, Store: store.New(pool)}
	rc, err := jobs.NewClient(jobs.Config{Pool: pool, Puller: p, Schedule: jobs.DefaultSchedule, Workers: 4, Periodic: true})
	require.NoError(t, err)
	return rc
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func allPulled(t *testing.T, pool *pgxpool.Pool) func() bool {
	return func() bool {
		var n int
		require.NoError(t, pool.QueryRow(context.Background(),
			`SELECT count(*) FROM halosync.entity_state WHERE last_success_at IS NOT NULL AND entity = ANY($1)`,
			append(append([]string{}, hsync.PullOrder...), entity.Actions.Name)).Scan(&n))
		return n == len(hsync.PullOrder)+1
	}
}

func ticketIDs(t *testing.T, pool *pgxpool.Pool) []int64 {
	rows, err := pool.Query(context.Background(), `SELECT id FROM halo.tickets WHERE deleted_at IS NULL ORDER BY id`)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	return ids
}

func fakeTicketIDs(fake *halofake.Server) []int64 {
	var ids []int64
	for _, r := range fake.Records("tickets") {
		if r["deleted"] != true {
			ids = append(ids, int64(r["id"].(float64)))
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// TestWorkerCatchesUpAtStart runs River for real: a worker that starts on
// an empty mirror enqueues a pull of every entity at once and mirrors Halo.
func TestWorkerCatchesUpAtStart(t *testing.T) {
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 21})
	fake.Generate(tiny)
	base := fake.Start()
	t.Cleanup(fake.Close)
	pool := testdb.New(t)
	ctx := context.Background()

	rc := newWorkerClient(t, pool, base)
	require.NoError(t, rc.Start(ctx))
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })

	stale, err := jobs.EnqueueStale(ctx, rc, store.New(pool), jobs.DefaultSchedule)
	require.NoError(t, err)
	require.ElementsMatch(t, hsync.PullOrder, stale)
	waitFor(t, "every entity pulled", allPulled(t, pool))
	require.Equal(t, fakeTicketIDs(fake), ticketIDs(t, pool))

	// Fresh entities are not enqueued again on the next start.
	stale, err = jobs.EnqueueStale(ctx, rc, store.New(pool), jobs.DefaultSchedule)
	require.NoError(t, err)
	require.Empty(t, stale)

	// An operator can re-enqueue a pull as soon as the last one completed
	// (uniqueness does not cover completed jobs), and a duplicate of a
	// waiting job is skipped.
	res, err := rc.Insert(ctx, jobs.PullArgs{Entity: entity.Tickets.Name, Full: true}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	require.False(t, res.UniqueSkippedAsDuplicate)
	dup, err := rc.Insert(ctx, jobs.PullArgs{Entity: entity.Tickets.Name, Full: true}, nil)
	require.NoError(t, err)
	require.True(t, dup.UniqueSkippedAsDuplicate)
}

// TestTwoWorkersOneMirror runs two River clients (two "replicas") on one
// database: the mirror is exact and no entity is pulled twice at once.
func TestTwoWorkersOneMirror(t *testing.T) {
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 22})
	fake.Generate(tiny)
	base := fake.Start()
	t.Cleanup(fake.Close)
	pool := testdb.New(t)
	ctx := context.Background()

	a, b := newWorkerClient(t, pool, base), newWorkerClient(t, pool, base)
	for _, c := range []*river.Client[pgx.Tx]{a, b} {
		require.NoError(t, c.Start(ctx))
		t.Cleanup(func() { _ = c.Stop(context.Background()) })
	}
	for _, c := range []*river.Client[pgx.Tx]{a, b} {
		_, err := jobs.EnqueueStale(ctx, c, store.New(pool), jobs.DefaultSchedule)
		require.NoError(t, err)
	}
	waitFor(t, "every entity pulled", allPulled(t, pool))
	require.Equal(t, fakeTicketIDs(fake), ticketIDs(t, pool))

	// Each entity ran once: the second replica's enqueue was a duplicate.
	var runs int
	// (The first tickets pull also writes a "recent" run: the recent window it stores first.)
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM halosync.runs WHERE entity = 'tickets' AND mode <> 'recent'`).Scan(&runs))
	require.Equal(t, 1, runs)
	waitFor(t, "one completed pull job per entity", func() bool {
		listed, err := a.JobList(ctx, river.NewJobListParams().Kinds(jobs.PullArgs{}.Kind()).First(100))
		require.NoError(t, err)
		completed := 0
		for _, j := range listed.Jobs {
			if j.State == rivertype.JobStateCompleted {
				completed++
			}
		}
		require.LessOrEqual(t, len(listed.Jobs), len(hsync.PullOrder), "no entity was enqueued twice")
		return completed == len(hsync.PullOrder)
	})
}
