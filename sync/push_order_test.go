package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	hsync "github.com/halosync/halosync/sync"
)

// TestPushOwnActionDoesNotMoveTicketClock: pushing a local action edit moves its ticket's last-modified
// time in Halo. A local ticket edit made after an earlier Halo edit of the same field must still win: the
// ticket's own edit is pushed before its actions', so Halo's time in its conflict is Halo's, not our echo
// (converge known issue push-own-action-moves-clock, seed 471).
func TestPushOwnActionDoesNotMoveTicketClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPushEnv(t)
	tid, aid := e.userAction(t)
	e.exec(t, `UPDATE halo.actions SET note = 'local action edit' WHERE ticket_id = $1 AND id = $2`, tid, aid)
	hsync.SetClockOffset(e.pusher, 0)
	e.remoteEdit("tickets", tid, map[string]any{"summary": "halo, earlier"}, -time.Minute)
	e.exec(t, `UPDATE halo.tickets SET summary = 'local, later' WHERE id = $1`, tid)

	require.Equal(t, 2, e.pushAll(t))
	require.Equal(t, "local, later", e.record(t, "tickets", tid)["summary"])
	require.Equal(t, "local action edit", e.record(t, "actions", tid, aid)["note"])
	cs, err := e.puller.Store.ListConflicts(ctx, e.pool, true)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Equal(t, "summary", cs[0].Field)
	require.Equal(t, "local", cs[0].Winner)
}

// TestPushActionConflictDatedByTicket: Halo keeps no modification time of an action; Halo's side of an
// action conflict is dated by its ticket's last_update (which every action write moves), so a Halo edit of
// an action note after the local one wins (converge known issue push-action-conflict-time, seed 2).
func TestPushActionConflictDatedByTicket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPushEnv(t)
	hsync.SetClockOffset(e.pusher, 0)
	tid, aid := e.userAction(t)
	e.exec(t, `UPDATE halo.actions SET note = 'local, earlier' WHERE ticket_id = $1 AND id = $2`, tid, aid)
	e.remoteEdit("actions", tid, map[string]any{"id": aid, "ticket_id": tid, "note": "halo, later"}, time.Minute)

	require.Equal(t, 1, e.pushAll(t))
	require.Equal(t, "halo, later", e.record(t, "actions", tid, aid)["note"])
	cs, err := e.puller.Store.ListConflicts(ctx, e.pool, true)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Equal(t, "note", cs[0].Field)
	require.Equal(t, "halo", cs[0].Winner)
}
