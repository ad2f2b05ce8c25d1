package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
)

// TestBudgetSharedAndPrioritised: concurrent takers (other processes share
// the row the same way) never get more than the window allows; bulk takers
// stop at their share, high-priority ones may use the rest; a 429 blocks all.
func TestBudgetSharedAndPrioritised(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(testdb.New(t))
	b := store.Budget{Name: "halo", Limit: 10, Window: time.Hour, Margin: time.Second}
	require.NoError(t, st.EnsureBudget(ctx, b))

	// The takers only record what they got: require may stop only the test's
	// own goroutine (t.FailNow from another one does not stop the test).
	type take struct {
		ok      bool
		retryAt time.Time
		err     error
	}
	takes := make([]take, 40)
	started := time.Now()
	var wg sync.WaitGroup
	for i := range takes {
		wg.Go(func() {
			ok, retryAt, err := st.Take(ctx, b, 0.8)
			takes[i] = take{ok: ok, retryAt: retryAt, err: err}
		})
	}
	wg.Wait()
	finished := time.Now()
	granted := 0
	for _, tk := range takes {
		require.NoError(t, tk.err)
		if tk.ok {
			granted++
			continue
		}
		requireBetween(t, started.Add(time.Hour+time.Second), finished.Add(time.Hour+time.Second), tk.retryAt,
			"refused until the oldest hit leaves the window")
	}
	require.Equal(t, 8, granted, "bulk takers use 80 % of the window")

	for i := range 3 {
		ok, _, err := st.Take(ctx, b, 1)
		require.NoError(t, err)
		require.Equal(t, i < 2, ok, "high priority uses the headroom, then stops (take %d)", i)
	}
	state, err := st.GetBudget(ctx, "halo")
	require.NoError(t, err)
	require.Equal(t, 10, state.InWindow)
	require.EqualValues(t, 10, state.Granted)
	require.EqualValues(t, 32+1, state.Refused)

	// A fresh window, then a 429: nothing is granted until the block ends.
	b2 := store.Budget{Name: "other", Limit: 10, Window: time.Minute}
	require.NoError(t, st.EnsureBudget(ctx, b2))
	blocked := time.Now()
	require.NoError(t, st.BudgetBlocked(ctx, b2, time.Minute))
	ok, retryAt, err := st.Take(ctx, b2, 1)
	require.NoError(t, err)
	require.False(t, ok)
	requireBetween(t, blocked.Add(time.Minute), time.Now().Add(time.Minute), retryAt, "refused until the block ends")
	state, err = st.GetBudget(ctx, "other")
	require.NoError(t, err)
	require.EqualValues(t, 1, state.RateLimited)
}

// TestBudgetWindowRolls: hits leave the window and free their slot. Time is
// moved by ageing the recorded hits in the row (as if the window had passed),
// not by sleeping through a short window: on loaded cores two takes can be
// further apart than any short window, which would make the refusal flaky.
func TestBudgetWindowRolls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(testdb.New(t))
	b := store.Budget{Name: "halo", Limit: 2, Window: time.Hour}
	require.NoError(t, st.EnsureBudget(ctx, b))
	start := time.Now()
	for range 2 {
		ok, _, err := st.Take(ctx, b, 1)
		require.NoError(t, err)
		require.True(t, ok)
	}
	asked := time.Now()
	ok, retryAt, err := st.Take(ctx, b, 1)
	require.NoError(t, err)
	require.False(t, ok, "the window is full")
	requireBetween(t, start.Add(time.Hour), asked.Add(time.Hour), retryAt, "refused until the oldest hit leaves the window")

	// Only the oldest hit leaves the window: one slot is free, not two.
	_, err = st.Pool.Exec(ctx, `UPDATE halosync.rate_budget
SET hits = array[hits[1] - interval '1 hour 1 second'] || hits[2:] WHERE name = 'halo'`)
	require.NoError(t, err)
	ok, _, err = st.Take(ctx, b, 1)
	require.NoError(t, err)
	require.True(t, ok, "granted once the oldest hit has left the window")
	ok, _, err = st.Take(ctx, b, 1)
	require.NoError(t, err)
	require.False(t, ok, "the other hit is still in the window")
}

// requireBetween checks that got lies in [lo, hi], give or take the
// milliseconds of translating the database's clock to ours. The bounds come
// from clock readings taken around the calls, so a slow machine widens them
// instead of failing the test.
func requireBetween(t *testing.T, lo, hi, got time.Time, msg string) {
	t.Helper()
	const slack = 50 * time.Millisecond
	require.False(t, got.Before(lo.Add(-slack)) || got.After(hi.Add(slack)), "%s: %s not within [%s, %s]", msg, got, lo, hi)
}
