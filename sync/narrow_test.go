package sync_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
)

// TestNewActionsReadByNarrowedWalk: after the first sync, new actions on
// several tickets are read with one bulk walk narrowed by startdate instead
// of one request per ticket, and the mirror is exact.
func TestNewActionsReadByNarrowedWalk(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, HonourLastUpdateFilter: true, Seed: 17}, tiny)
	e.cycle(t, false)

	tickets := fakeIDs(e, "tickets")
	for _, key := range tickets[:6] {
		id := mustInt(t, key)
		e.fake.AddAction(id, "note on "+key)
	}
	e.fake.ResetRequests()
	_, err := e.puller.Pull(context.Background(), "tickets", false)
	require.NoError(t, err)

	actionRequests := 0
	for _, r := range e.fake.Requests() {
		if strings.EqualFold(r.Path, "/api/actions") {
			actionRequests++
			require.NotEmpty(t, r.Query.Get("startdate"), "a narrowed walk, not per-ticket reads")
			require.Empty(t, r.Query.Get("ticket_id"))
		}
	}
	require.Equal(t, 1, actionRequests)
	requireMirror(t, e)
	var queued int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM halosync.action_queue`).Scan(&queued))
	require.Zero(t, queued, "every ticket with a new action was covered by the walk")
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err)
	return n
}
