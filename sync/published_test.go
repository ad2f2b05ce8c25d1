package sync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
)

// Issue 14 item 7: list rows as Halo's published schema has them carry no
// deleted flag. A deleted ticket is still tombstoned (confirmed with a GET),
// and a server that ignores deleted=true and sends no flag tombstones nothing.
func TestDeletedTicketsWithoutFlag(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 41, PublishedListRows: true}, tiny)
	e.cycle(t, false)
	e.fake.Delete("tickets", 17)
	e.fake.ResetRequests()
	e.cycle(t, false)
	var deleted bool
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT deleted_at IS NOT NULL FROM halo.tickets WHERE id = 17`).Scan(&deleted))
	require.True(t, deleted, "a deleted ticket is tombstoned once a GET confirms it")
	gets := 0
	for _, r := range e.fake.Requests() {
		if r.Path == "/api/tickets/17" {
			gets++
		}
	}
	require.Equal(t, 1, gets)
	require.Equal(t, fakeIDs(e, "tickets"), liveIDs(t, e.pool, "tickets"))
}

func TestIgnoredDeletedFilterWithoutFlagTombstonesNothing(t *testing.T) {
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 42, PublishedListRows: true})
	fake.Generate(tiny)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Del("deleted")
		r.URL.RawQuery = q.Encode()
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e := newEnvFor(t, fake, srv.URL, testdb.New(t))
	e.cycle(t, false)
	fake.Update("tickets", 5, map[string]any{"summary": "edited"})
	e.cycle(t, false)
	e.cycle(t, true)
	require.Equal(t, fakeIDs(e, "tickets"), liveIDs(t, e.pool, "tickets"), "every live ticket stays live")
}

// Sites' and assets' list rows lack slastupdate/dlastupdate in Halo's
// published schema: changes still arrive, the cursor moves, and whether
// lastupdatefromdate is honoured gets an answer.
func TestUnstampedListRows(t *testing.T) {
	for _, honour := range []bool{true, false} {
		t.Run(map[bool]string{true: "FilterHonoured", false: "FilterIgnored"}[honour], func(t *testing.T) {
			// Halo's clock (its Date header) moves an hour between pulls.
			var hours atomic.Int64
			clock := func() time.Time { return time.Now().Add(time.Duration(hours.Load()) * time.Hour) }
			e := newEnv(t, halofake.Options{Seed: 43, PublishedListRows: true, HonourLastUpdateFilter: honour, Now: clock}, tiny)
			ctx := context.Background()
			for _, entity := range []string{"sites", "assets"} {
				e.pull(t, entity, false)
				hours.Add(1)
				before, err := e.puller.Store.GetState(ctx, e.pool, entity)
				require.NoError(t, err)
				require.NotNil(t, before.Cursor)

				e.fake.Update(entity, 3, map[string]any{"name": "changed", "key_field": "changed"})
				e.fake.Delete(entity, 4)
				e.pull(t, entity, false)
				var n int
				col := map[string]string{"sites": "name", "assets": "key_field"}[entity]
				require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.`+entity+` WHERE id = 3 AND `+col+` = 'changed'`).Scan(&n))
				require.Equal(t, 1, n, "%s: the change reached the mirror", entity)

				after, err := e.puller.Store.GetState(ctx, e.pool, entity)
				require.NoError(t, err)
				require.True(t, after.Cursor.After(*before.Cursor), "%s: the cursor moved", entity)
				require.NotNil(t, after.IncrementalHonoured, "%s: the filter question has an answer", entity)
				require.Equal(t, honour, *after.IncrementalHonoured, entity)
				if !honour {
					// That walk was a full one: the deletion is reconciled.
					require.Equal(t, fakeIDs(e, entity), liveIDs(t, e.pool, entity), entity)
				}
			}
		})
	}
}

// Issue 21 item 1: every agent is mirrored (the list without paging
// parameters is one default page of 50), the API agent included.
func TestEveryAgentIsMirrored(t *testing.T) {
	e := newEnv(t, halofake.Options{Seed: 44}, halofake.Size{Clients: 2, Sites: 2, Users: 2, Agents: 150})
	run := e.pull(t, "agents", false)
	require.Empty(t, run.Notes)
	require.Equal(t, fakeIDs(e, "agents"), liveIDs(t, e.pool, "agents"))
	var api int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM halo.agents WHERE isapiagent`).Scan(&api))
	require.Equal(t, 1, api)
}

// Issue 14 item 7: actions are asked for with includehtmlnote=true, so
// note_html is mirrored.
func TestActionsCarryNoteHTML(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 45}, halofake.Size{Clients: 2, Sites: 2, Users: 5, Agents: 3, Tickets: 20, ActionsPerTicket: 2})
	e.cycle(t, false)
	var missing int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM halo.actions WHERE note_html IS NULL`).Scan(&missing))
	require.Zero(t, missing)
}
