package sync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/store"
)

func TestFetchTicket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 7}, tiny)
	e.cycle(t, false)

	var observed []*store.Run
	e.puller.OnRun = func(r *store.Run) { observed = append(observed, r) }

	id := int64(e.fake.Records("tickets")[3]["id"].(float64))
	e.fake.Update("tickets", id, map[string]any{"summary": "changed in Halo"})
	e.fake.AddAction(id, "a note added in Halo")

	run, err := e.puller.FetchTicket(ctx, id)
	require.NoError(t, err)
	require.Equal(t, "webhook", run.Mode)
	require.Equal(t, int64(2), run.Requests, "one GET of the ticket, one of its actions")
	require.Len(t, observed, 1)

	var summary string
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT summary FROM halo.tickets WHERE id = $1`, id).Scan(&summary))
	require.Equal(t, "changed in Halo", summary)
	var notes int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.actions WHERE ticket_id = $1 AND note = 'a note added in Halo' AND deleted_at IS NULL`, id).Scan(&notes))
	require.Equal(t, 1, notes)

	// A ticket deleted in Halo is tombstoned with its actions.
	e.fake.Delete("tickets", id)
	run, err = e.puller.FetchTicket(ctx, id)
	require.NoError(t, err)
	require.Equal(t, int64(1), run.Tombstoned)
	var liveActions int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.actions WHERE ticket_id = $1 AND deleted_at IS NULL`, id).Scan(&liveActions))
	require.Zero(t, liveActions)

	// Unknown to Halo: tombstoned too (nothing to do here), no error.
	_, err = e.puller.FetchTicket(ctx, 99999999)
	require.NoError(t, err)
}
