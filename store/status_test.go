package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
)

// TestBudgetMinutes: every take and 429, from any process, lands in the minute's row of
// halosync.budget_minutes (by the rate_budget trigger), which the status page charts.
func TestBudgetMinutes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(testdb.New(t))
	b := store.Budget{Name: "halo", Limit: 3, Window: time.Hour}
	require.NoError(t, st.EnsureBudget(ctx, b))
	for range 5 {
		_, _, err := st.Take(ctx, b, 1)
		require.NoError(t, err)
	}
	require.NoError(t, st.BudgetBlocked(ctx, b, time.Minute))

	got, err := st.BudgetMinutes(ctx, st.Pool, "halo", time.Now().Add(-time.Hour))
	require.NoError(t, err)
	var sum store.BudgetMinute
	for _, m := range got {
		sum.Granted += m.Granted
		sum.Refused += m.Refused
		sum.RateLimited += m.RateLimited
	}
	require.Equal(t, store.BudgetMinute{Granted: 3, Refused: 2, RateLimited: 1}, sum)

	none, err := st.BudgetMinutes(ctx, st.Pool, "other", time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Empty(t, none)
}

// TestRunHistory: the lag history is built from successful pulls only (failures and webhook fetches do
// not make an entity fresh), with the last success before the span; the latest run is any finished pull.
func TestRunHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	st := store.New(pool)
	now := time.Now().Truncate(time.Second)
	ins := func(entity, mode string, finishedAgo time.Duration, errText *string) {
		at := now.Add(-finishedAgo)
		_, err := pool.Exec(ctx, `INSERT INTO halosync.runs (entity, mode, started_at, finished_at, fetched, error)
VALUES ($1, $2, $3, $4, 7, $5)`, entity, mode, at.Add(-time.Second), at, errText)
		require.NoError(t, err)
	}
	boom := "boom"
	ins("tickets", "incremental", 30*time.Hour, nil) // before the span: the baseline
	ins("tickets", "incremental", 26*time.Hour, nil) // before the span, newer: the one that counts
	ins("tickets", "incremental", 5*time.Hour, nil)
	ins("tickets", "incremental", 2*time.Hour, &boom)
	ins("tickets", store.WebhookMode, time.Hour, nil)
	ins("clients", "full", 3*time.Hour, nil)

	entities := []string{"tickets", "clients", "statuses"}
	got, err := st.SuccessfulPulls(ctx, pool, entities, now.Add(-24*time.Hour))
	require.NoError(t, err)
	require.Equal(t, map[string][]time.Time{
		"tickets": {now.Add(-26 * time.Hour), now.Add(-5 * time.Hour)},
		"clients": {now.Add(-3 * time.Hour)},
	}, normalise(got))

	latest, err := st.LatestRuns(ctx, pool, entities)
	require.NoError(t, err)
	require.Equal(t, "boom", latest["tickets"].Error, "the latest pull, failed, not the webhook fetch")
	require.Equal(t, "full", latest["clients"].Mode)
	require.NotContains(t, latest, "statuses", "never ran")
}

func normalise(m map[string][]time.Time) map[string][]time.Time {
	out := map[string][]time.Time{}
	for k, v := range m {
		for _, t := range v {
			out[k] = append(out[k], t.Local().Truncate(time.Second))
		}
	}
	return out
}
