package store_test

import (
	"context"
	"sync"
	"sync/atomic"
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

	var granted atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			ok, retryAt, err := st.Take(ctx, b, 0.8)
			require.NoError(t, err)
			if ok {
				granted.Add(1)
				return
			}
			require.WithinDuration(t, time.Now().Add(time.Hour+time.Second), retryAt, time.Minute,
				"refused until the oldest hit leaves the window")
		})
	}
	wg.Wait()
	require.EqualValues(t, 8, granted.Load(), "bulk takers use 80 % of the window")

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
	require.NoError(t, st.BudgetBlocked(ctx, b2, time.Minute))
	ok, retryAt, err := st.Take(ctx, b2, 1)
	require.NoError(t, err)
	require.False(t, ok)
	require.WithinDuration(t, time.Now().Add(time.Minute), retryAt, 10*time.Second)
	state, err = st.GetBudget(ctx, "other")
	require.NoError(t, err)
	require.EqualValues(t, 1, state.RateLimited)
}

// TestBudgetWindowRolls: hits leave the window and free their slot.
func TestBudgetWindowRolls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(testdb.New(t))
	b := store.Budget{Name: "halo", Limit: 2, Window: 300 * time.Millisecond}
	require.NoError(t, st.EnsureBudget(ctx, b))
	for range 2 {
		ok, _, err := st.Take(ctx, b, 1)
		require.NoError(t, err)
		require.True(t, ok)
	}
	ok, retryAt, err := st.Take(ctx, b, 1)
	require.NoError(t, err)
	require.False(t, ok)
	time.Sleep(time.Until(retryAt))
	ok, _, err = st.Take(ctx, b, 1)
	require.NoError(t, err)
	require.True(t, ok, "granted at the time the refusal named")
}
