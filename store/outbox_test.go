package store_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
)

// TestOutboxCapture checks the triggers of migration 00003 on their own: sync writes record nothing, local
// edits merge into one open row per record (fields merged, base = the first OLD row), every write NOTIFYs
// halosync_push, and a new edit of a parked row makes it pending again.
func TestOutboxCapture(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	s := store.New(pool)
	tickets := store.Tables["tickets"]
	m := map[string]any{"id": int64(7), "raw": []byte(`{"id":7}`), "halo_updated_at": nil}
	for _, c := range tickets.Columns {
		m[c.Name] = nil
	}
	m["summary"], m["agent_id"] = "from Halo", int64(1)
	row := tickets.RowFrom(m)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := s.Upsert(ctx, tx, tickets, []store.Row{row})
		return err
	}))
	list, err := s.ListOutbox(ctx, pool, 0)
	require.NoError(t, err)
	require.Empty(t, list, "sync writes are not echoed")

	conn, err := pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, "LISTEN "+store.PushChannel)
	require.NoError(t, err)

	_, err = pool.Exec(ctx, `UPDATE halo.tickets SET summary = 'local 1' WHERE id = 7`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE halo.tickets SET summary = 'local 2', status_id = 3 WHERE id = 7`)
	require.NoError(t, err)
	list, err = s.ListOutbox(ctx, pool, 0)
	require.NoError(t, err)
	require.Len(t, list, 1)
	o := list[0]
	require.Equal(t, "7", o.RecordKey)
	require.Equal(t, store.OpUpdate, o.Op)
	require.Equal(t, "local 2", o.Fields["summary"])
	require.Equal(t, json.Number("3"), o.Fields["status_id"])
	require.Equal(t, "from Halo", o.Base["summary"], "base is the row as last synced")
	n, err := conn.Conn().WaitForNotification(ctx)
	require.NoError(t, err)
	require.Equal(t, strconv.FormatInt(o.ID, 10), n.Payload)

	require.NoError(t, s.ParkOutbox(ctx, pool, o.ID, "CODE:APP03/2 Please select the CAB members to approve"))
	ok, err := s.RetryPush(ctx, o.ID)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.ParkOutbox(ctx, pool, o.ID, "again"))
	_, err = pool.Exec(ctx, `UPDATE halo.tickets SET details = 'more' WHERE id = 7`)
	require.NoError(t, err)
	o, err = s.GetOutbox(ctx, pool, o.ID)
	require.NoError(t, err)
	require.Equal(t, store.OutboxPending, o.State)
	require.Nil(t, o.LastError)
	require.Len(t, o.Fields, 3)

	// Once done, the next edit opens a new row.
	require.NoError(t, s.FinishOutbox(ctx, pool, o.ID, nil, ""))
	_, err = pool.Exec(ctx, `UPDATE halo.tickets SET summary = 'local 3' WHERE id = 7`)
	require.NoError(t, err)
	list, err = s.ListOutbox(ctx, pool, 0)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "local 2", list[1].Base["summary"])
}
