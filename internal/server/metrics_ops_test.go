package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/telemetry"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// TestOpsMetrics: the gauges the alert rules and the dashboard use are exported with the database's
// numbers: last successful pull and interval per entity, rejects, open conflicts, budget use, River jobs
// by state, and parked pushes at zero before there are any.
func TestOpsMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBundle(t, nil)
	st := store.New(b.pool)
	ok := time.Unix(1_700_000_000, 0)
	require.NoError(t, st.SaveState(ctx, b.pool, &store.EntityState{Entity: "tickets", LastSuccessAt: &ok, LastPullAt: &ok}))
	_, err := b.pool.Exec(ctx, `INSERT INTO halosync.rejects (entity, record_key, reason) VALUES ('clients', '9', 'bad')`)
	require.NoError(t, err)
	budget := store.Budget{Name: "halo", Limit: 300, Window: 5 * time.Minute}
	require.NoError(t, st.EnsureBudget(ctx, budget))
	for range 3 {
		_, _, err := st.Take(ctx, budget, 1)
		require.NoError(t, err)
	}
	require.NoError(t, st.BudgetBlocked(ctx, budget, time.Millisecond))
	_, err = b.rc.Insert(ctx, jobs.PullArgs{Entity: "clients"}, nil)
	require.NoError(t, err)
	require.NoError(t, b.tel.ObserveDatabase(st, telemetry.DatabaseOptions{Entities: hsync.PullOrder, Interval: jobs.DefaultSchedule.Interval}))

	fams := scrape(t, b)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"halosync_entity_last_success_timestamp_seconds", map[string]string{"entity": "tickets"}, 1_700_000_000},
		{"halosync_entity_pull_interval_seconds", map[string]string{"entity": "tickets"}, 60},
		{"halosync_entity_pull_interval_seconds", map[string]string{"entity": "statuses"}, 3600},
		{"halosync_rejects", map[string]string{"entity": "clients"}, 1},
		{"halosync_rejects", map[string]string{"entity": "tickets"}, 0},
		{"halosync_conflicts_open", map[string]string{"entity": "tickets"}, 0},
		{"halosync_budget_used", map[string]string{"budget": "halo"}, 3},
		{"halosync_budget_limit", map[string]string{"budget": "halo"}, 300},
		{"halosync_budget_granted_total", map[string]string{"budget": "halo"}, 3},
		{"halosync_budget_rate_limited_total", map[string]string{"budget": "halo"}, 1},
		{"halosync_river_jobs", map[string]string{"state": "available"}, 1},
		{"halosync_river_jobs", map[string]string{"state": "discarded"}, 0},
		{"halosync_pushes", map[string]string{"state": "parked"}, 0},
	} {
		v, found := value(fams[c.name], c.labels)
		require.True(t, found, "%s%v exported", c.name, c.labels)
		require.Equal(t, c.want, v, "%s%v", c.name, c.labels)
	}
}
