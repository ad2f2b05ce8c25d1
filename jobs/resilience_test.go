package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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

// guardedWorker is a River client whose puller's Halo client has a Guard.
func guardedWorker(t *testing.T, fake *halofake.Server, st *store.Store, cfg hsync.GuardConfig) *river.Client[pgx.Tx] {
	t.Helper()
	cfg.Store = st
	hc, err := halo.New(halo.Config{BaseURL: fake.URL(), ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret,
		Scope: "all", Limiter: hsync.NewGuard(cfg), Retry: halo.RetryPolicy{Tries: 3, Base: time.Millisecond}})
	require.NoError(t, err)
	rc, err := jobs.NewClient(jobs.Config{Pool: st.Pool, Puller: &hsync.Puller{Halo: hc, Store: st}, Schedule: jobs.DefaultSchedule, Workers: 2, Periodic: true})
	require.NoError(t, err)
	return rc
}

func jobState(t *testing.T, rc *river.Client[pgx.Tx], id int64) *rivertype.JobRow {
	t.Helper()
	j, err := rc.JobGet(context.Background(), id)
	require.NoError(t, err)
	return j
}

// TestJobCancelledOn403 runs River for real: a 403 cancels the pull job with
// the reason on the job and in the run ledger.
func TestJobCancelledOn403(t *testing.T) {
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 2})
	fake.Generate(tiny)
	fake.Start()
	t.Cleanup(fake.Close)
	fake.SetFault(halofake.Faults{Forbidden: map[string]bool{"client": true}})
	pool := testdb.New(t)
	rc := guardedWorker(t, fake, store.New(pool), hsync.GuardConfig{Limit: 100000, Window: time.Second})
	ctx := context.Background()
	require.NoError(t, rc.Start(ctx))
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })
	res, err := rc.Insert(ctx, jobs.PullArgs{Entity: entity.Clients.Name}, nil)
	require.NoError(t, err)
	waitFor(t, "the job to be cancelled", func() bool { return jobState(t, rc, res.Job.ID).State == rivertype.JobStateCancelled })
	j := jobState(t, rc, res.Job.ID)
	require.NotEmpty(t, j.Errors)
	require.Contains(t, j.Errors[len(j.Errors)-1].Error, "403")
	var ledger string
	require.NoError(t, pool.QueryRow(ctx, `SELECT error FROM halosync.runs WHERE entity = 'clients' ORDER BY id DESC LIMIT 1`).Scan(&ledger))
	require.Contains(t, ledger, "403")
}

// TestJobSnoozedWhenBudgetSpent: with the shared budget spent, a pull job
// sends nothing and is snoozed until a request may go; the attempt is not
// burned.
func TestJobSnoozedWhenBudgetSpent(t *testing.T) {
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 2})
	fake.Generate(tiny)
	fake.Start()
	t.Cleanup(fake.Close)
	pool := testdb.New(t)
	st := store.New(pool)
	// Two requests per hour, of which bulk pulls may use one.
	rc := guardedWorker(t, fake, st, hsync.GuardConfig{Limit: 2, Window: time.Hour, BulkShare: 0.5})
	ctx := context.Background()
	require.NoError(t, rc.Start(ctx))
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })
	res, err := rc.Insert(ctx, jobs.PullArgs{Entity: entity.Tickets.Name}, nil)
	require.NoError(t, err)
	waitFor(t, "the job to be snoozed", func() bool { return jobState(t, rc, res.Job.ID).State == rivertype.JobStateScheduled })
	j := jobState(t, rc, res.Job.ID)
	require.Empty(t, j.Errors, "a snooze is not a failure")
	require.Zero(t, j.Attempt, "the attempt is given back")
	require.WithinDuration(t, time.Now().Add(time.Hour), j.ScheduledAt, 5*time.Minute)
	b, err := st.GetBudget(ctx, "halo")
	require.NoError(t, err)
	require.EqualValues(t, 1, b.Granted, "the bulk pull used its share and stopped")

	// A push (high priority) still finds the headroom.
	g := hsync.NewGuard(hsync.GuardConfig{Store: st, Limit: 2, Window: time.Hour, BulkShare: 0.5})
	require.NoError(t, g.Wait(halo.WithPriority(ctx, hsync.PriorityHigh), &halo.RequestInfo{Method: "POST", Path: "/api/Tickets", Priority: hsync.PriorityHigh}))
}
