package sync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// TestGuardSingleRecord404IsAnAnswer: a 404 on a GET of one record (a webhook's fetch of a deleted ticket)
// is Halo's answer, not a fault: the endpoint's health records no error and its breaker stays closed.
func TestGuardSingleRecord404IsAnAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := newFake(t, halofake.Options{Seed: 17}, tiny)
	pool := testdb.New(t)
	e := newGuarded(t, fake, pool, func(st *store.Store) *hsync.Guard { return fastGuard(st, nil) }, nil)

	_, err := entity.Tickets.Get(ctx, e.hc, []any{int64(987654)})
	require.Equal(t, halo.ClassNotFound, halo.Classify(err).Class)
	rows, err := store.New(pool).ListHealth(ctx, pool)
	require.NoError(t, err)
	for _, h := range rows {
		require.Nil(t, h.LastError, "endpoint %s", h.Endpoint)
		require.Equal(t, "closed", h.BreakerState, "endpoint %s", h.Endpoint)
	}
}
