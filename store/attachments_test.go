package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/store"
)

// After a complete attachments read, only tickets written since it began are candidates, however recent the
// read: the mark is the read's snapshot (halosync.runs.snapshot_xmin), not its start with an hour's margin,
// which right after a first sync took in every ticket.
func TestDueAttachmentsSinceTheLastRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, st := b.ctx, b.store
	ticket := func(id int64) {
		t.Helper()
		// as the sync writes (its origin marker), in a transaction of its own
		require.NoError(t, pgx.BeginFunc(ctx, st.Pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `SELECT set_config('halosync.origin', 'sync', true)`)
			if err == nil {
				_, err = tx.Exec(ctx, `INSERT INTO halo.tickets (id, attachment_count, raw, halo_updated_at)
VALUES ($1, 2, '{"attachment_count": 2}', now())
ON CONFLICT (id) DO UPDATE SET summary = 'changed', halo_updated_at = now()`, id)
			}
			return err
		}))
	}
	ids := func(since *store.AttachmentsMark) []int64 {
		t.Helper()
		due, err := st.DueAttachments(ctx, st.Pool, since)
		require.NoError(t, err)
		var out []int64
		for _, d := range due {
			out = append(out, d.TicketID)
		}
		return out
	}
	ticket(1)
	ticket(2)
	none, err := st.LastCompleteAttachmentsRun(ctx, st.Pool)
	require.NoError(t, err)
	require.Nil(t, none)
	require.Equal(t, []int64{1, 2}, ids(nil))

	id, err := st.StartRun(ctx, "attachments", "incremental")
	require.NoError(t, err)
	ticket(3) // written during the read
	require.NoError(t, st.FinishRun(ctx, st.Pool, &store.Run{ID: id, Entity: "attachments"}))
	ticket(2) // changed after it
	mark, err := st.LastCompleteAttachmentsRun(ctx, st.Pool)
	require.NoError(t, err)
	require.NotNil(t, mark.Xmin)
	// Ticket 1 was written before the read began. (Unless another test's transaction in this cluster was
	// open across it all: the snapshot's xmin is the cluster's oldest open transaction, and a ticket written
	// after that began is looked at again, which costs nothing but the look.)
	var before bool
	require.NoError(t, st.Pool.QueryRow(ctx, `SELECT change_xid < $1::text::xid8 FROM halo.tickets WHERE id = 1`,
		fmt.Sprint(*mark.Xmin)).Scan(&before))
	if before {
		require.Equal(t, []int64{2, 3}, ids(mark))
	} else {
		require.Equal(t, []int64{1, 2, 3}, ids(mark))
	}

	// A run recorded before migration 00021 has no snapshot: the hour's margin applies.
	_, err = st.Pool.Exec(ctx, `UPDATE halosync.runs SET snapshot_xmin = NULL`)
	require.NoError(t, err)
	mark, err = st.LastCompleteAttachmentsRun(ctx, st.Pool)
	require.NoError(t, err)
	require.Nil(t, mark.Xmin)
	require.WithinDuration(t, time.Now(), mark.Started, time.Minute)
	require.Equal(t, []int64{1, 2, 3}, ids(mark))
}
