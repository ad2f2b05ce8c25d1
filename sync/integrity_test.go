package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/store"
)

func notes(r *store.Run) string { return strings.Join(r.Notes, "\n") }

// Issue 14 item 1: a record_count at 60 % of the truth no longer ends the
// walk, so the full reconcile after it tombstones nothing; the ledger says
// the count was wrong.
func TestLowRecordCountTombstonesNothing(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 31}, halofake.Size{Clients: 20, Sites: 250, Users: 10, Agents: 3})
	e.pull(t, "sites", true)
	e.fake.SetFault(halofake.Faults{RecordCount: map[string]float64{"sites": 0.6}})
	run := e.pull(t, "sites", true)
	require.Equal(t, fakeIDs(e, "sites"), liveIDs(t, e.pool, "sites"))
	require.Zero(t, run.Tombstoned)
	require.Contains(t, notes(run), "record_count said 150 but the walk listed 250 rows")

	stored, err := e.puller.Store.GetRun(context.Background(), e.pool, run.ID)
	require.NoError(t, err)
	require.Equal(t, run.Notes, stored.Notes, "the anomaly is in halosync.runs")
}

// A record_count above the rows listed means the walk cannot prove which
// records are gone: the reconcile is skipped, and the ledger says why.
func TestReconcileOnlyAfterACompleteWalk(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 32}, halofake.Size{Clients: 20, Sites: 150, Users: 10, Agents: 3})
	e.pull(t, "sites", true)
	e.fake.Delete("sites", 7)
	e.fake.SetFault(halofake.Faults{RecordCount: map[string]float64{"sites": 2}})
	run := e.pull(t, "sites", true)
	require.Zero(t, run.Tombstoned)
	require.Contains(t, notes(run), "reconcile skipped: Halo announced 298 records but the walk listed 149")
	st, err := e.puller.Store.GetState(context.Background(), e.pool, "sites")
	require.NoError(t, err)
	first := *st.LastFullAt

	e.fake.SetFault(halofake.Faults{})
	run = e.pull(t, "sites", true)
	require.EqualValues(t, 1, run.Tombstoned, "a complete walk reconciles")
	require.Equal(t, fakeIDs(e, "sites"), liveIDs(t, e.pool, "sites"))
	st, err = e.puller.Store.GetState(context.Background(), e.pool, "sites")
	require.NoError(t, err)
	require.True(t, st.LastFullAt.After(first), "only a reconciled walk counts as full")
}

// Issue 14 items 1 and 2: a record whose latest version is rejected — by the
// decoder or by Postgres — still exists in Halo: a full reconcile keeps it,
// the rest of its batch is stored, and later runs are not blocked by it.
func TestRejectedRecordsCountAsSeen(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 33}, halofake.Size{Clients: 40, Sites: 40, Users: 10, Agents: 3})
	e.pull(t, "clients", true)
	want := fakeIDs(e, "clients")

	e.fake.Update("clients", 3, map[string]any{"name": map[string]any{"not": "a name"}}) // the decoder refuses it
	e.fake.Update("clients", 4, map[string]any{"xero_balance": json.Number("1e999999")}) // jsonb refuses it
	e.fake.Update("clients", 5, map[string]any{"name": "Renamed in the same batch"})     // stored fine
	for range 2 {
		run := e.pull(t, "clients", true)
		require.EqualValues(t, 2, run.Rejected)
		require.Zero(t, run.Tombstoned)
		require.Equal(t, want, liveIDs(t, e.pool, "clients"), "nothing Halo still has is tombstoned")
	}
	var name string
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT name FROM halo.clients WHERE id = 5`).Scan(&name))
	require.Equal(t, "Renamed in the same batch", name)

	rejects, err := e.puller.Store.ListRejects(context.Background(), e.pool, "clients")
	require.NoError(t, err)
	reasons := map[string]string{}
	for _, r := range rejects {
		reasons[r.Key] = r.Reason
	}
	require.Contains(t, reasons["4"], "SQLSTATE 22003", "the database's message is kept")
	require.NotEmpty(t, reasons["3"])
	require.Equal(t, fmt.Sprint(2), fmt.Sprint(len(reasons)))
}

// A rejected action counts as seen by the bulk actions walk of a full sync.
func TestRejectedActionCountsAsSeen(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 34}, halofake.Size{Clients: 2, Sites: 2, Users: 5, Agents: 3, Tickets: 30, ActionsPerTicket: 3})
	e.cycle(t, true)
	want := liveIDs(t, e.pool, "actions")
	e.fake.Update("actions", 2, map[string]any{"ticket_id": 4, "note": map[string]any{"not": "a note"}})
	e.cycle(t, true)
	require.Equal(t, want, liveIDs(t, e.pool, "actions"), "the rejected action 4/2 stays live")
	rejects, err := e.puller.Store.ListRejects(context.Background(), e.pool, "actions")
	require.NoError(t, err)
	require.Len(t, rejects, 1)
	require.Equal(t, "4/2", rejects[0].Key)
}

// Issue 14 item 4: a walk's copy older than the stored one (a webhook fetch
// or a push reply that landed while the pages were read ahead) does not
// overwrite it.
func TestPullNeverOverwritesANewerCopy(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 35}, halofake.Size{Clients: 2, Sites: 2, Users: 5, Agents: 3, Tickets: 30, ActionsPerTicket: 1})
	e.cycle(t, false)
	ctx := context.Background()
	// The mirror holds a copy of ticket 6 newer than anything the walk will
	// list, as a webhook fetch would have stored it.
	tx, err := e.pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `SELECT set_config('halosync.origin', 'sync', true)`)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `UPDATE halo.tickets SET summary = 'newer copy', halo_updated_at = now() + interval '1 hour' WHERE id = 6`)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))

	e.fake.Update("tickets", 6, map[string]any{"summary": "older copy"})
	e.fake.Update("tickets", 7, map[string]any{"summary": "plain edit"})
	e.cycle(t, true)
	var six, seven string
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT (SELECT summary FROM halo.tickets WHERE id = 6), (SELECT summary FROM halo.tickets WHERE id = 7)`).Scan(&six, &seven))
	require.Equal(t, "newer copy", six)
	require.Equal(t, "plain edit", seven)
}
