package sync_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
)

// TestCreatedTicketGetsItsActions: a ticket created through the mirror is
// stored from the push's reply, lastactiondate included; the action Halo
// adds on every create must still reach halo.actions at the next pull
// (found black-box: it never did, whatever was synced).
func TestCreatedTicketGetsItsActions(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t) // the fake refuses the bulk listing
	ctx := context.Background()
	var temp int64
	require.NoError(t, e.pool.QueryRow(ctx, `INSERT INTO halo.tickets (summary, details, client_id, tickettype_id)
VALUES ('Created here', 'details', $1, 1) RETURNING id`, e.firstID(t, "clients")).Scan(&temp))
	require.Equal(t, 1, e.pushAll(t))
	id := e.outbox(t)[len(e.outbox(t))-1].HaloID
	require.NotNil(t, id)
	require.NotNil(t, e.scalar(t, `SELECT lastactiondate FROM halo.tickets WHERE id = $1`, *id), "the reply carried lastactiondate")

	e.cycle(t, false)
	require.EqualValues(t, 1, e.scalar(t, `SELECT count(*) FROM halo.actions WHERE ticket_id = $1 AND deleted_at IS NULL`, *id),
		"the system action of the create is mirrored")
	requireMirror(t, e.env)
}

// TestFullSyncReconcilesActionsPerTicket: where the bulk listing is refused,
// a full sync still reconciles actions — an action deleted in Halo gets
// deleted_at, one missing from the mirror comes back — by re-reading every
// ticket's actions. With a per-pull allowance (ActionSweep) the re-reads are
// spread over the following pulls, and the round completes.
func TestFullSyncReconcilesActionsPerTicket(t *testing.T) {
	t.Parallel()
	for _, perPull := range []int{0, 2} {
		e := newEnv(t, halofake.Options{Seed: 31}, pico)
		e.puller.ActionSweep = perPull
		e.cycle(t, false)
		requireMirror(t, e)
		ctx := context.Background()

		// Deleted in Halo (lastactiondate does not move), lost in the mirror.
		var gone, lostT, lostID int64
		require.NoError(t, e.pool.QueryRow(ctx, `SELECT max(ticket_id) FROM halo.actions WHERE id > 1`).Scan(&gone))
		e.fake.DeleteAction(gone, 2)
		require.NoError(t, e.pool.QueryRow(ctx, `SELECT ticket_id, id FROM halo.actions WHERE ticket_id <> $1 ORDER BY ticket_id, id LIMIT 1`, gone).Scan(&lostT, &lostID))
		tx, err := e.pool.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `SET LOCAL halosync.origin = 'sync'`)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `DELETE FROM halo.actions WHERE ticket_id = $1 AND id = $2`, lostT, lostID)
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx))

		e.cycle(t, false)
		require.EqualValues(t, 0, scalar(t, e, `SELECT count(*) FROM halo.actions WHERE ticket_id = $1 AND id = 2 AND deleted_at IS NOT NULL`, gone),
			"an incremental pull cannot see either change")

		e.cycle(t, true)
		for range len(e.fake.Records("tickets")) { // at most one pull per ticket
			if perPull == 0 || scalar(t, e, `SELECT count(*) FROM halosync.action_queue`).(int64) == 0 {
				break
			}
			e.cycle(t, false)
		}
		requireMirror(t, e)
		require.EqualValues(t, 1, scalar(t, e, `SELECT count(*) FROM halo.actions WHERE ticket_id = $1 AND id = 2 AND deleted_at IS NOT NULL`, gone),
			"perPull=%d: the action deleted in Halo is tombstoned", perPull)
		require.EqualValues(t, 0, scalar(t, e, `SELECT count(*) FROM halosync.action_queue`))
	}
}

// TestBulkActionsFailuresFallBack: the bulk Actions listing answering no
// rows on a tenant that has actions, or timing out, is never taken for "no
// actions": the full sync reads actions per ticket instead, tombstones
// nothing that Halo has, and later pulls skip the bulk walk.
func TestBulkActionsFailuresFallBack(t *testing.T) {
	t.Parallel()
	for _, fault := range []halofake.BulkFault{halofake.BulkEmpty, halofake.BulkHang} {
		fake := halofake.New(halofake.Options{Seed: 32, BulkActions: true})
		fake.Generate(pico)
		base := fake.Start()
		t.Cleanup(fake.Close)
		// The timeout is far above a healthy request's time on a loaded
		// machine; the hanging listing never answers.
		hc, err := halo.New(halo.Config{BaseURL: base, ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret,
			Scope: "all", HTTPClient: &http.Client{Timeout: 3 * time.Second}})
		require.NoError(t, err)
		e := newEnvFor(t, fake, base, testdb.New(t))
		e.puller.Halo = hc

		// A mirror that has the actions, then a full sync against the broken listing.
		e.cycle(t, false)
		requireMirror(t, e)
		fake.SetFault(halofake.Faults{BulkActions: fault})
		e.cycle(t, true)
		requireMirror(t, e)
		require.Equal(t, false, scalar(t, e, `SELECT bulk_actions FROM halosync.entity_state WHERE entity = 'actions'`), "fault %d", fault)

		// From an empty mirror too: the first sync must not conclude "no actions".
		e2 := newEnvFor(t, fake, base, testdb.New(t))
		e2.puller.Halo = hc
		e2.cycle(t, false)
		requireMirror(t, e2)
	}
}

func scalar(t *testing.T, e *env, sql string, args ...any) any {
	t.Helper()
	var v any
	require.NoError(t, e.pool.QueryRow(context.Background(), sql, args...).Scan(&v), sql)
	return v
}

// TestNarrowedActionsTimeoutFallsBack: the incremental, startdate-narrowed
// bulk walk timing out does not fail the pull or lose the new actions: the
// queued tickets are read one by one.
func TestNarrowedActionsTimeoutFallsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, halofake.Options{BulkActions: true, HonourLastUpdateFilter: true, Seed: 17}, tiny)
	hc, err := halo.New(halo.Config{BaseURL: e.fake.URL(), ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret,
		Scope: "all", HTTPClient: &http.Client{Timeout: 3 * time.Second}})
	require.NoError(t, err)
	e.puller.Halo = hc
	e.cycle(t, false)

	for _, key := range fakeIDs(e, "tickets")[:6] {
		e.fake.AddAction(mustInt(t, key), "note on "+key)
	}
	e.fake.SetFault(halofake.Faults{BulkActions: halofake.BulkHang})
	e.cycle(t, false)
	requireMirror(t, e)
	require.EqualValues(t, 0, scalar(t, e, `SELECT count(*) FROM halosync.action_queue`))
	require.Equal(t, false, scalar(t, e, `SELECT bulk_actions FROM halosync.entity_state WHERE entity = 'actions'`))
}
