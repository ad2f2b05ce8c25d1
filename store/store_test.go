package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
)

type testBundle struct {
	ctx   context.Context
	store *store.Store
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	return &testBundle{ctx: context.Background(), store: store.New(testdb.New(t))}
}

// inTx runs fn in a transaction and commits it.
func (b *testBundle) inTx(t *testing.T, fn func(tx pgx.Tx)) {
	t.Helper()
	tx, err := b.store.Pool.Begin(b.ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(b.ctx) }()
	fn(tx)
	require.NoError(t, tx.Commit(b.ctx))
}

func (b *testBundle) upsert(t *testing.T, entity string, rows ...store.Row) store.UpsertResult {
	t.Helper()
	var res store.UpsertResult
	b.inTx(t, func(tx pgx.Tx) {
		var err error
		res, err = b.store.Upsert(b.ctx, tx, store.Tables[entity], rows)
		require.NoError(t, err)
	})
	return res
}

// Named types like the halo package's, to prove store needs no conversion by the caller.
type (
	haloInt   int64
	haloBool  bool
	haloFloat float64
	haloTime  struct {
		T     time.Time
		Valid bool
	}
)

func (h haloTime) Ptr() *time.Time {
	if !h.Valid {
		return nil
	}
	return &h.T
}

// zeroRow builds a row for t whose values are non-null samples of each column's type.
func zeroRow(t *store.Table, keys []any, raw string) store.Row {
	vals := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		switch c.Type {
		case store.TypeBigint:
			vals[i] = haloInt(i)
		case store.TypeBoolean:
			vals[i] = haloBool(i%2 == 0)
		case store.TypeNumeric:
			vals[i] = haloFloat(1.5)
		case store.TypeText:
			vals[i] = fmt.Sprintf("%s %d", c.Name, i)
		case store.TypeTimestamptz:
			vals[i] = haloTime{T: time.Date(2024, 8, 12, 15, 54, 55, 839520700, time.UTC), Valid: true}
		}
	}
	return store.Row{Keys: keys, Values: vals, Raw: []byte(raw)}
}

func ticketRow(id int64, summary string) store.Row {
	r := zeroRow(store.Tables["tickets"], []any{haloInt(id)}, fmt.Sprintf(`{"id":%d,"summary":%q}`, id, summary))
	r.Values[0] = summary
	upd := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r.UpdatedAt = &upd
	return r
}

func syncedAt(t *testing.T, b *testBundle, table string, id int64) (synced time.Time, deleted *time.Time) {
	t.Helper()
	require.NoError(t, b.store.Pool.QueryRow(b.ctx,
		`SELECT synced_at, deleted_at FROM `+table+` WHERE id = $1`, id).Scan(&synced, &deleted))
	return synced, deleted
}

// The tables (store.Tables, built from the declarations) are checked against the catalogue by
// internal/entity's TestDeclarationsMatchCatalogue.

func TestUpsert(t *testing.T) {
	t.Parallel()

	t.Run("EveryTable", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for entity, tbl := range store.Tables {
			var keys []any
			for i, k := range tbl.Keys {
				switch k.Type {
				case store.TypeBigint:
					keys = append(keys, haloInt(7-6*min(i, 1))) // (7), or (7, 1) for actions and lines
				case store.TypeText:
					keys = append(keys, "0f8fad5b-d9cb-469f-a165-70867728950e")
				case store.TypeTimestamptz:
					keys = append(keys, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
				}
			}
			res := b.upsert(t, entity, zeroRow(tbl, keys, `{"id":7}`))
			require.Equal(t, 1, res.Inserted, entity)
			res = b.upsert(t, entity, zeroRow(tbl, keys, `{"id":7}`))
			require.Equal(t, 1, res.Unchanged, entity)
		}
		var inactive, agentInactive bool
		require.NoError(t, b.store.Pool.QueryRow(b.ctx, `SELECT a.inactive = a.isdisabled, c.inactive = NOT c.active
FROM halo.agents a, halo.contracts c`).Scan(&agentInactive, &inactive))
		require.True(t, agentInactive)
		require.True(t, inactive)
	})

	t.Run("InsertUnchangedUpdatedUndeleted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tickets := store.Tables["tickets"]

		res := b.upsert(t, "tickets", ticketRow(1, "one"), ticketRow(2, "two"), ticketRow(3, "three"))
		require.Equal(t, store.UpsertResult{Inserted: 3}, res)
		first, _ := syncedAt(t, b, tickets.Name, 1)

		res = b.upsert(t, "tickets", ticketRow(1, "one"), ticketRow(2, "two"), ticketRow(3, "three"))
		require.Equal(t, store.UpsertResult{Unchanged: 3}, res)
		again, _ := syncedAt(t, b, tickets.Name, 1)
		require.True(t, first.Equal(again), "unchanged row must not be rewritten")

		res = b.upsert(t, "tickets", ticketRow(1, "one"), ticketRow(2, "TWO"), ticketRow(3, "three"))
		require.Equal(t, store.UpsertResult{Updated: 1, Unchanged: 2}, res)
		var summary string
		require.NoError(t, b.store.Pool.QueryRow(b.ctx, `SELECT summary FROM halo.tickets WHERE id = 2`).Scan(&summary))
		require.Equal(t, "TWO", summary)

		b.inTx(t, func(tx pgx.Tx) {
			n, err := b.store.Tombstone(b.ctx, tx, tickets, [][]any{{int64(3)}, {int64(99)}})
			require.NoError(t, err)
			require.Equal(t, 1, n)
		})
		_, deleted := syncedAt(t, b, tickets.Name, 3)
		require.NotNil(t, deleted)
		live, err := b.store.LiveCount(b.ctx, b.store.Pool, tickets)
		require.NoError(t, err)
		require.Equal(t, 2, live)

		res = b.upsert(t, "tickets", ticketRow(3, "three"))
		require.Equal(t, store.UpsertResult{Updated: 1}, res, "a tombstoned row comes back")
		_, deleted = syncedAt(t, b, tickets.Name, 3)
		require.Nil(t, deleted)
	})

	t.Run("DuplicatesLastWins", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		res := b.upsert(t, "tickets", ticketRow(1, "old"), ticketRow(2, "two"), ticketRow(1, "new"))
		require.Equal(t, store.UpsertResult{Inserted: 2, Duplicates: 1}, res)
		var summary string
		require.NoError(t, b.store.Pool.QueryRow(b.ctx, `SELECT summary FROM halo.tickets WHERE id = 1`).Scan(&summary))
		require.Equal(t, "new", summary)
	})

	t.Run("UnstorableRowsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		nulText := ticketRow(2, "a\x00b")
		nulRaw := ticketRow(3, "fine")
		nulRaw.Raw = []byte(`{"id":3,"note":"x\u0000y"}`)
		badJSON := ticketRow(4, "fine")
		badJSON.Raw = []byte(`{"id":4,`)
		escapedBackslash := ticketRow(5, "fine")
		escapedBackslash.Raw = []byte(`{"id":5,"path":"C:\\u0000dir"}`) // a literal backslash: storable

		res := b.upsert(t, "tickets", ticketRow(1, "ok"), nulText, nulRaw, badJSON, escapedBackslash)
		require.Equal(t, 2, res.Inserted)
		require.Len(t, res.Rejected, 3)
		require.Equal(t, "2", store.Tables["tickets"].KeyString(res.Rejected[0].Row.Keys))
		require.Contains(t, res.Rejected[0].Reason, "NUL")
		require.Contains(t, res.Rejected[1].Reason, `\u0000`)
		require.Contains(t, res.Rejected[2].Reason, "not valid JSON")

		// The caller can record every reject, even the ones whose raw jsonb would refuse.
		for _, r := range res.Rejected {
			require.NoError(t, b.store.Reject(b.ctx, b.store.Pool, "tickets",
				store.Tables["tickets"].KeyString(r.Row.Keys), r.Row.Raw, r.Reason))
		}
		rejects, err := b.store.ListRejects(b.ctx, b.store.Pool, "tickets")
		require.NoError(t, err)
		require.Len(t, rejects, 3)
		byKey := map[string]store.RejectRecord{}
		for _, r := range rejects {
			byKey[r.Key] = r
		}
		require.Equal(t, `{"id":3,"note":"x\u0000y"}`, string(byKey["3"].Raw))
		require.Equal(t, `{"id":4,`, string(byKey["4"].Raw))
	})

	t.Run("WrongShapeIsAnError", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tx, err := b.store.Pool.Begin(b.ctx)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback(b.ctx) }()
		_, err = b.store.Upsert(b.ctx, tx, store.Tables["tickets"], []store.Row{{Keys: []any{1}, Raw: []byte(`{}`)}})
		require.ErrorContains(t, err, "want 1 and")
	})

	t.Run("MarksSyncOriginAndReusesStage", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.inTx(t, func(tx pgx.Tx) {
			for i := range 2 { // second call in the same tx reuses (and empties) the staging table
				res, err := b.store.Upsert(b.ctx, tx, store.Tables["tickets"], []store.Row{ticketRow(int64(i+1), "x")})
				require.NoError(t, err)
				require.Equal(t, 1, res.Inserted)
			}
			var origin string
			require.NoError(t, tx.QueryRow(b.ctx, `SELECT current_setting('halosync.origin', true)`).Scan(&origin))
			require.Equal(t, "sync", origin)
		})
		var origin *string
		require.NoError(t, b.store.Pool.QueryRow(b.ctx, `SELECT nullif(current_setting('halosync.origin', true), '')`).Scan(&origin))
		require.Nil(t, origin, "SET LOCAL must not leak out of the transaction")
	})
}

func TestTombstoneMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clients := store.Tables["clients"]
	var rows []store.Row
	for id := int64(1); id <= 5; id++ {
		rows = append(rows, zeroRow(clients, []any{id}, fmt.Sprintf(`{"id":%d}`, id)))
	}
	b.upsert(t, "clients", rows...)

	b.inTx(t, func(tx pgx.Tx) {
		n, err := b.store.TombstoneMissing(b.ctx, tx, clients, []int64{1, 2, 3})
		require.NoError(t, err)
		require.Equal(t, 2, n)
		n, err = b.store.TombstoneMissing(b.ctx, tx, clients, []int64{1, 2, 3})
		require.NoError(t, err)
		require.Equal(t, 0, n, "already tombstoned rows are not counted again")
		_, err = b.store.TombstoneMissing(b.ctx, tx, store.Tables["actions"], nil)
		require.Error(t, err)
	})
	live, err := b.store.LiveCount(b.ctx, b.store.Pool, clients)
	require.NoError(t, err)
	require.Equal(t, 3, live)

	t.Run("Actions", func(t *testing.T) {
		actions := store.Tables["actions"]
		var rows []store.Row
		for _, k := range [][2]int64{{1, 1}, {1, 2}, {1, 3}, {2, 1}, {2, 2}} {
			rows = append(rows, zeroRow(actions, []any{k[0], k[1]}, fmt.Sprintf(`{"ticket_id":%d,"id":%d}`, k[0], k[1])))
		}
		require.Equal(t, 5, b.upsert(t, "actions", rows...).Inserted)
		b.inTx(t, func(tx pgx.Tx) {
			n, err := b.store.TombstoneMissingActions(b.ctx, tx, 1, []int64{1})
			require.NoError(t, err)
			require.Equal(t, 2, n)
			n, err = b.store.Tombstone(b.ctx, tx, actions, [][]any{{haloInt(2), haloInt(2)}})
			require.NoError(t, err)
			require.Equal(t, 1, n)
		})
		live, err := b.store.LiveCount(b.ctx, b.store.Pool, actions)
		require.NoError(t, err)
		require.Equal(t, 2, live) // (1,1) and (2,1)
	})

	t.Run("Priorities", func(t *testing.T) {
		prio := store.Tables["priorities"]
		a, bb := zeroRow(prio, []any{"a"}, `{"id":"a"}`), zeroRow(prio, []any{"b"}, `{"id":"b"}`)
		bb.Values[0] = haloInt(2) // another priority number: (slaid, priorityid) is unique among live rows
		b.upsert(t, "priorities", a, bb)
		b.inTx(t, func(tx pgx.Tx) {
			n, err := b.store.TombstoneMissingText(b.ctx, tx, prio, []string{"a"})
			require.NoError(t, err)
			require.Equal(t, 1, n)
		})
	})
}

func TestExistingVersions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tickets := store.Tables["tickets"]
	r := ticketRow(1, "one")
	b.upsert(t, "tickets", r, ticketRow(2, "two"))

	got, err := b.store.ExistingVersions(b.ctx, b.store.Pool, tickets, []int64{1, 2, 3})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.NotContains(t, got, int64(3))
	require.True(t, r.UpdatedAt.Equal(*got[1].HaloUpdatedAt))
	var lastAction time.Time
	for i, c := range tickets.Columns {
		if c.Name == "lastactiondate" {
			lastAction = r.Values[i].(haloTime).T.Truncate(time.Microsecond)
		}
	}
	require.True(t, lastAction.Equal(*got[1].LastActionDate))
	require.NotSame(t, got[1].LastActionDate, got[2].LastActionDate)
	require.False(t, got[1].Deleted)

	clients, err := b.store.ExistingVersions(b.ctx, b.store.Pool, store.Tables["clients"], nil)
	require.NoError(t, err)
	require.Empty(t, clients)
}

func TestState(t *testing.T) {
	t.Parallel()
	b := setup(t)

	st, err := b.store.GetState(b.ctx, b.store.Pool, "tickets")
	require.NoError(t, err)
	require.Equal(t, &store.EntityState{Entity: "tickets"}, st)

	cursor := time.Date(2024, 8, 12, 15, 54, 55, 839520000, time.UTC)
	msg, yes, no := "boom", true, false
	st = &store.EntityState{Entity: "tickets", Cursor: &cursor, LastPullAt: &cursor, LastSuccessAt: &cursor,
		LastFullAt: &cursor, Rows: 42, LastError: &msg, IncrementalHonoured: &yes, BulkActions: &no}
	require.NoError(t, b.store.SaveState(b.ctx, b.store.Pool, st))
	require.False(t, st.UpdatedAt.IsZero())

	got, err := b.store.GetState(b.ctx, b.store.Pool, "tickets")
	require.NoError(t, err)
	require.True(t, cursor.Equal(*got.Cursor))
	require.True(t, cursor.Equal(*got.LastFullAt))
	require.Equal(t, int64(42), got.Rows)
	require.Equal(t, "boom", *got.LastError)
	require.True(t, *got.IncrementalHonoured)
	require.False(t, *got.BulkActions)

	got.LastError, got.BulkActions = nil, nil
	require.NoError(t, b.store.SaveState(b.ctx, b.store.Pool, got))
	got, err = b.store.GetState(b.ctx, b.store.Pool, "tickets")
	require.NoError(t, err)
	require.Nil(t, got.LastError)
	require.Nil(t, got.BulkActions)
}

func TestRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)

	id, err := b.store.StartRun(b.ctx, "tickets", "full")
	require.NoError(t, err)
	run, err := b.store.GetRun(b.ctx, b.store.Pool, id)
	require.NoError(t, err)
	require.Nil(t, run.FinishedAt)
	require.Equal(t, "full", run.Mode)

	want := &store.Run{ID: id, Entity: "tickets", Mode: "full", Requests: 3, Fetched: 10, Inserted: 4, Updated: 3,
		Unchanged: 2, Tombstoned: 1, Rejected: 1, Error: "halo: 500"}
	require.NoError(t, b.store.FinishRun(b.ctx, b.store.Pool, want))
	require.NotNil(t, want.FinishedAt)

	got, err := b.store.GetRun(b.ctx, b.store.Pool, id)
	require.NoError(t, err)
	want.StartedAt = got.StartedAt
	require.True(t, want.FinishedAt.Equal(*got.FinishedAt))
	want.FinishedAt = got.FinishedAt
	require.Equal(t, want, got)

	id2, err := b.store.StartRun(b.ctx, "clients", "incremental")
	require.NoError(t, err)
	require.NoError(t, b.store.FinishRun(b.ctx, b.store.Pool, &store.Run{ID: id2}))
	runs, err := b.store.ListRuns(b.ctx, b.store.Pool, "", 0)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	runs, err = b.store.ListRuns(b.ctx, b.store.Pool, "clients", 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.Empty(t, runs[0].Error)

	_, err = b.store.GetRun(b.ctx, b.store.Pool, 999)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestRejects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.store.Pool

	require.NoError(t, b.store.Reject(b.ctx, q, "tickets", "7", []byte(`{"id":7}`), "first"))
	require.NoError(t, b.store.Reject(b.ctx, q, "tickets", "8", nil, "no body\x00"))
	require.NoError(t, b.store.Reject(b.ctx, q, "tickets", "7", []byte(`{"id":7,"x":1}`), "second"))

	all, err := b.store.ListRejects(b.ctx, q, "")
	require.NoError(t, err)
	require.Len(t, all, 2)
	r7 := all[0]
	require.Equal(t, "7", r7.Key)
	require.Equal(t, "second", r7.Reason)
	require.JSONEq(t, `{"id":7,"x":1}`, string(r7.Raw))
	require.Equal(t, 2, r7.SeenCount)
	require.False(t, r7.LastSeen.Before(r7.FirstSeen))
	require.Nil(t, all[1].Raw)

	var firstSeen, lastSeen time.Time
	require.NoError(t, q.QueryRow(b.ctx, `SELECT first_seen, last_seen FROM halosync.rejects WHERE record_key = '7'`).
		Scan(&firstSeen, &lastSeen))
	require.True(t, lastSeen.After(firstSeen), "a repeat bumps last_seen and keeps first_seen")

	require.NoError(t, b.store.ClearReject(b.ctx, q, "tickets", "7"))
	left, err := b.store.ListRejects(b.ctx, q, "tickets")
	require.NoError(t, err)
	require.Len(t, left, 1)
	require.Equal(t, "8", left[0].Key)
}

func TestCheckRaw(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw string
		ok  bool
	}{
		{`{"a":"b"}`, true},
		{`{"a":"\\u0000"}`, true},
		{`{"a":"\ud83d\ude00"}`, true},
		{`{"a":"\u00e9"}`, true},
		{`{"a":"\u0000"}`, false},
		{`{"a":"\ud83d"}`, false},
		{`{"a":"\ude00"}`, false},
		{`{"a":"\ud83d\u0041"}`, false},
		{`{"a":"x\\\u0000"}`, false},
		{``, false},
		{`{"a":}`, false},
		{"{\"a\":\"\xff\"}", false},
	} {
		err := store.CheckRaw([]byte(tc.raw))
		if tc.ok {
			require.NoError(t, err, tc.raw)
		} else {
			require.Error(t, err, tc.raw)
		}
	}
}
