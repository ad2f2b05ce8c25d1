package store_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/store"
)

// poisonRow is a ticket whose raw JSON holds a number Postgres jsonb cannot
// store (numeric overflow), in a key the decoder does not read.
func poisonRow(id int64) store.Row {
	r := ticketRow(id, "poison")
	r.Raw = []byte(fmt.Sprintf(`{"id":%d,"summary":"poison","estimate":1e999999}`, id))
	return r
}

func countLive(t *testing.T, b *testBundle, table string) int {
	t.Helper()
	var n int
	require.NoError(t, b.store.Pool.QueryRow(b.ctx, `SELECT count(*) FROM `+table+` WHERE deleted_at IS NULL`).Scan(&n))
	return n
}

// Issue 14 item 2: one row Postgres refuses is rejected alone, with the
// database's message, on the straight COPY of new rows and on the merge of
// known ones alike; the rest of the batch is stored.
func TestUpsert_RowPostgresRefusesIsRejectedAlone(t *testing.T) {
	b := setup(t)
	var rows []store.Row
	for i := int64(1); i <= 20; i++ {
		rows = append(rows, ticketRow(i, fmt.Sprintf("t%d", i)))
	}
	rows[6] = poisonRow(7)
	res := b.upsert(t, "tickets", rows...)
	require.Equal(t, 19, res.Inserted)
	require.Len(t, res.Rejected, 1)
	require.Equal(t, []any{haloInt(7)}, res.Rejected[0].Row.Keys)
	require.Contains(t, res.Rejected[0].Reason, "SQLSTATE 22003", "the database's own message")
	require.Equal(t, 19, countLive(t, b, "halo.tickets"))

	// Known keys take the staging path: the poison row fails there too, alone.
	for i := range rows {
		rows[i] = ticketRow(int64(i+1), "changed")
	}
	rows[12] = poisonRow(13)
	res = b.upsert(t, "tickets", rows...)
	require.Len(t, res.Rejected, 1)
	require.Equal(t, []any{haloInt(13)}, res.Rejected[0].Row.Keys)
	require.Equal(t, 1, res.Inserted, "ticket 7 arrives fine this time")
	require.Equal(t, 18, res.Updated)
	var changed int
	require.NoError(t, b.store.Pool.QueryRow(b.ctx, `SELECT count(*) FROM halo.tickets WHERE summary = 'changed'`).Scan(&changed))
	require.Equal(t, 19, changed)
}

// An over-long key (beyond what a btree index entry can hold) is rejected
// alone as well.
func TestUpsert_OverlongKeyIsRejectedAlone(t *testing.T) {
	b := setup(t)
	long := make([]byte, 8000)
	_, err := rand.Read(long)
	require.NoError(t, err)
	tbl := store.Tables["priorities"]
	good := zeroRow(tbl, []any{"guid-1"}, `{"id":"guid-1"}`)
	bad := zeroRow(tbl, []any{hex.EncodeToString(long)}, `{"id":"long"}`)
	res := b.upsert(t, "priorities", good, bad)
	require.Equal(t, 1, res.Inserted)
	require.Len(t, res.Rejected, 1)
	require.Contains(t, res.Rejected[0].Reason, "SQLSTATE 54000")
}

// Issue 14 item 3: keys ≤ 0 are never stored (0 is Halo's "none"; negative
// ids are the mirror's pending local creates).
func TestUpsert_NonPositiveKeysRejected(t *testing.T) {
	b := setup(t)
	res := b.upsert(t, "tickets", ticketRow(0, "zero"), ticketRow(-5, "negative"), ticketRow(3, "ok"))
	require.Equal(t, 1, res.Inserted)
	require.Len(t, res.Rejected, 2)
	for _, r := range res.Rejected {
		require.Contains(t, r.Reason, "Halo ids are positive")
	}
	act := store.Tables["actions"]
	res = b.upsert(t, "actions", zeroRow(act, []any{haloInt(0), haloInt(1)}, `{"id":1}`), zeroRow(act, []any{haloInt(3), haloInt(1)}, `{"id":1}`))
	require.Equal(t, 1, res.Inserted)
	require.Len(t, res.Rejected, 1)
}

// Issue 14 item 4: an older copy never overwrites a newer one; a copy as new
// or newer does, and so does one whose time is unknown.
func TestUpsert_OlderCopyNeverOverwritesNewer(t *testing.T) {
	b := setup(t)
	newer := ticketRow(1, "from the webhook")
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	newer.UpdatedAt = &at
	b.upsert(t, "tickets", newer)

	older := ticketRow(1, "from a page read ahead")
	before := at.Add(-time.Minute)
	older.UpdatedAt = &before
	res := b.upsert(t, "tickets", older)
	require.Equal(t, 1, res.Unchanged)
	var summary string
	var stored time.Time
	require.NoError(t, b.store.Pool.QueryRow(b.ctx, `SELECT summary, halo_updated_at FROM halo.tickets WHERE id = 1`).Scan(&summary, &stored))
	require.Equal(t, "from the webhook", summary)
	require.True(t, stored.Equal(at))

	// Not even a tombstoned row is revived by an older copy.
	b.inTx(t, func(tx pgx.Tx) {
		_, err := b.store.Tombstone(b.ctx, tx, store.Tables["tickets"], [][]any{{int64(1)}})
		require.NoError(t, err)
	})
	b.upsert(t, "tickets", older)
	require.Equal(t, 0, countLive(t, b, "halo.tickets"))

	later := ticketRow(1, "edited later")
	after := at.Add(time.Minute)
	later.UpdatedAt = &after
	res = b.upsert(t, "tickets", later)
	require.Equal(t, 1, res.Updated)
	require.NoError(t, b.store.Pool.QueryRow(b.ctx, `SELECT summary FROM halo.tickets WHERE id = 1 AND deleted_at IS NULL`).Scan(&summary))
	require.Equal(t, "edited later", summary)
}
