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

// TestCreatedTicketFollowsHalo: a ticket created through the mirror is stored from the push's reply; an
// action added to it right away (pushed from the mirror) and an agent's edit right after must both reach the
// mirror at the next pull, lastactiondate and last_update included. The reply's times are Halo's clock at the
// create, so every later write of the ticket is dated after them and the pull's copy is newer than the
// stored one (issue 17, seeds 1265 and 1188: a fake that dated the create's system action a second ahead
// moved both times backwards, and the mirror kept the reply's copy over every newer one).
func TestCreatedTicketFollowsHalo(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	e.pinned.Store(&at) // Halo's clock stands still between steps: the steps are 100 ms apart whatever the load
	defer e.pinned.Store(nil)
	step := func() {
		next := e.pinned.Load().Add(100 * time.Millisecond)
		e.pinned.Store(&next)
	}

	var temp int64
	require.NoError(t, e.pool.QueryRow(ctx, `INSERT INTO halo.tickets (summary, details, client_id, tickettype_id)
VALUES ('Created here', 'details', $1, 1) RETURNING id`, e.firstID(t, "clients")).Scan(&temp))
	require.Equal(t, 1, e.pushAll(t))
	id := *e.outbox(t)[len(e.outbox(t))-1].HaloID
	step()
	e.exec(t, `INSERT INTO halo.actions (ticket_id, note, outcome, hiddenfromuser) VALUES ($1, 'first look', 'Private Note', true)`, id)
	require.Equal(t, 1, e.pushAll(t))
	step()
	e.fake.Update("tickets", id, map[string]any{"agent_id": 3})
	step()

	e.cycle(t, false)
	halo := e.record(t, "tickets", id)
	for _, col := range []string{"lastactiondate", "last_update"} {
		want, err := time.Parse(time.RFC3339Nano, halo[col].(string))
		require.NoError(t, err, col)
		mirror := "halo_updated_at"
		if col == "lastactiondate" {
			mirror = col
		}
		got := e.scalar(t, `SELECT `+mirror+` FROM halo.tickets WHERE id = $1`, id).(time.Time)
		require.True(t, got.Equal(want), "%s: Halo %s, mirror %s", col, want, got)
	}
	require.EqualValues(t, 3, e.scalar(t, `SELECT agent_id FROM halo.tickets WHERE id = $1`, id), "the agent's edit is pulled")
	require.EqualValues(t, 2, e.scalar(t, `SELECT count(*) FROM halo.actions WHERE ticket_id = $1 AND deleted_at IS NULL`, id))
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

// TestBulkActionsWalkBesideTickets: on a first sync the bulk actions walk runs beside the tickets walk, and
// no ticket it listed is read again by itself: the tickets the walk queued whose last action is older than
// the bulk walk's start leave the queue when both are done. The mirror is exact.
func TestBulkActionsWalkBesideTickets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 24}, backfillSize)
	e.cycle(t, false)
	requireMirror(t, e)

	firstActions, lastTickets, perTicket := -1, -1, 0
	for i, r := range e.fake.Requests() {
		switch {
		case r.Path == "/api/actions" && r.Query.Has("ticket_id"):
			perTicket++
		case r.Path == "/api/actions" && !r.Query.Has("startdate") && firstActions < 0:
			firstActions = i
		case r.Path == "/api/tickets" && r.Query.Get("order") == "id" && !r.Query.Has("lastupdatefromdate"):
			lastTickets = i
		}
	}
	require.Positive(t, firstActions)
	require.Less(t, firstActions, lastTickets, "the bulk actions walk started before the tickets walk ended")
	require.Zero(t, perTicket, "no ticket's actions read by themselves")
	require.EqualValues(t, 0, scalar(t, e, `SELECT count(*) FROM halosync.action_queue`))
}

// TestBulkActionsWalkBesideTicketsListingNothing: a bulk listing that answers no rows at all, on a first
// sync where nothing told it actions exist before it started (no recent ticket, an empty mirror), is found
// out once the tickets walk beside it has queued tickets with actions: those are read one by one, the
// listing is not used again, and the mirror is exact.
func TestBulkActionsWalkBesideTicketsListingNothing(t *testing.T) {
	t.Parallel()
	// Halo's clock years after the generated history: no ticket is in the recent window.
	later := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 25, Now: func() time.Time { return later }})
	fake.Generate(tiny)
	fake.SetFault(halofake.Faults{BulkActions: halofake.BulkEmpty})
	base := fake.Start()
	t.Cleanup(fake.Close)
	e := newEnvFor(t, fake, base, testdb.New(t))
	e.cycle(t, false)
	require.Equal(t, false, scalar(t, e, `SELECT bulk_actions FROM halosync.entity_state WHERE entity = 'actions'`))
	fake.SetFault(halofake.Faults{})
	requireMirror(t, e)
}
