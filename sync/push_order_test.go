package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
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
	e.remoteEdit("actions", aid, map[string]any{"ticket_id": tid, "note": "halo, later"}, time.Minute)

	require.Equal(t, 1, e.pushAll(t))
	require.Equal(t, "halo, later", e.record(t, "actions", tid, aid)["note"])
	cs, err := e.puller.Store.ListConflicts(ctx, e.pool, true)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Equal(t, "note", cs[0].Field)
	require.Equal(t, "halo", cs[0].Winner)
}

// TestPushOwnActionWriteDoesNotDateTicketConflict: our own write of an action (a create, an edit, a delete)
// moves its ticket's last_update in Halo. A local ticket edit whose transaction began before that write and
// committed after it (so pushTicketFirst could not see it) must still win against an agent's earlier edit:
// the ticket is read around our action write, and its conflict is dated by the time before it (seeds 4258,
// 3638). An agent's write of the ticket after ours dates it again, also one landing between our write and
// the read after it (seed 4933), which must not be taken for ours.
func TestPushOwnActionWriteDoesNotDateTicketConflict(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		op          string
		agentWrites string // "", "after" (the next push reads it), "between" (our write and our read after it)
		winner      string
	}{
		{"create", "", "local"}, {"update", "", "local"}, {"delete", "", "local"},
		{"create with new_status", "", "local"}, // our write changes the ticket's status: still ours
		{"update", "after", "halo"},
		{"create", "between", "halo"}, {"update", "between", "halo"}, {"delete", "between", "halo"},
	} {
		t.Run(fmt.Sprintf("%s agent writes: %q", c.op, c.agentWrites), func(t *testing.T) {
			ctx := context.Background()
			e := newPushEnv(t)
			if c.agentWrites == "between" {
				e.afterActionWrite(t, func(tid int64) {
					e.fake.Update("tickets", tid, map[string]any{"summary": "halo, later"})
				})
			}
			hsync.SetClockOffset(e.pusher, 0)
			tid, aid := e.userAction(t)
			switch c.op {
			case "create":
				e.exec(t, `INSERT INTO halo.actions (ticket_id, note, outcome, hiddenfromuser) VALUES ($1, 'ours', 'Private Note', true)`, tid)
			case "create with new_status":
				e.exec(t, `INSERT INTO halo.actions (ticket_id, note, outcome, hiddenfromuser, new_status)
					VALUES ($1, 'ours', 'Private Note', true, (SELECT coalesce(max(status_id), 0) + 1 FROM halo.tickets))`, tid)
			case "update":
				e.exec(t, `UPDATE halo.actions SET note = 'ours' WHERE ticket_id = $1 AND id = $2`, tid, aid)
			case "delete":
				e.exec(t, `DELETE FROM halo.actions WHERE ticket_id = $1 AND id = $2`, tid, aid)
			}
			var actionRow int64
			for _, ob := range e.outbox(t) {
				if ob.Entity == "actions" && ob.Open() {
					actionRow = ob.ID
				}
			}
			require.NotZero(t, actionRow)
			e.remoteEdit("tickets", tid, map[string]any{"summary": "halo, earlier"}, -time.Minute)

			tx, err := e.pool.Begin(ctx)
			require.NoError(t, err)
			defer func() { _ = tx.Rollback(ctx) }()
			_, err = tx.Exec(ctx, `UPDATE halo.tickets SET summary = 'local, later' WHERE id = $1`, tid)
			require.NoError(t, err)
			time.Sleep(5 * time.Millisecond) // our action write lands after the local edit's time
			require.NoError(t, e.pusher.Push(ctx, actionRow))
			require.NoError(t, tx.Commit(ctx))
			if c.agentWrites == "after" {
				e.remoteEdit("tickets", tid, map[string]any{"details": "agent, after our write"}, time.Minute)
			}

			require.Equal(t, 1, e.pushAll(t))
			want := map[string]string{"local": "local, later", "halo": "halo, earlier"}[c.winner]
			if c.agentWrites == "between" {
				want = "halo, later"
			}
			require.Equal(t, want, e.record(t, "tickets", tid)["summary"])
			cs, err := e.puller.Store.ListConflicts(ctx, e.pool, true)
			require.NoError(t, err)
			require.Len(t, cs, 1)
			require.Equal(t, "summary", cs[0].Field)
			require.Equal(t, c.winner, cs[0].Winner)
		})
	}
}

// afterActionWrite makes e's pusher call f once, with the action's ticket id, right after Halo answered its
// first write of an action (a POST or a DELETE): before anything else the pusher asks.
func (e *pushEnv) afterActionWrite(t *testing.T, f func(ticketID int64)) {
	t.Helper()
	var once gosync.Once
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		var tid int64
		switch {
		case r.Method == http.MethodDelete && strings.EqualFold(path.Base(path.Dir(r.URL.Path)), "actions"):
			tid, _ = strconv.ParseInt(r.URL.Query().Get("ticket_id"), 10, 64)
		case r.Method == http.MethodPost && strings.EqualFold(path.Base(r.URL.Path), "actions"):
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return nil, err
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			var b []struct {
				TicketID int64 `json:"ticket_id"`
			}
			require.NoError(t, json.Unmarshal(body, &b))
			tid = b[0].TicketID
		}
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && tid > 0 {
			once.Do(func() { f(tid) })
		}
		return resp, err
	})
	hc, err := halo.New(halo.Config{BaseURL: e.fake.URL(), ClientID: halofake.DefaultClientID,
		ClientSecret: halofake.DefaultClientSecret, Scope: "all", HTTPClient: &http.Client{Transport: rt}})
	require.NoError(t, err)
	e.pusher.Halo = hc
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestPushActionConflictDatedByLastUpdated: when Halo sends an action's last_updated (swagger Actions), Halo's
// side of an action conflict is dated by it, not by the ticket's last_update: an agent's edit of the note a
// millisecond before the local one loses even when Halo wrote the ticket, or another of its actions, after
// the local edit (seeds 1707, 1716, 1954), or we did (seed 1166); a later one wins. Without
// last_updated the ticket's time is all there is, and Halo wins in doubt (TestPushActionConflictDatedByTicket).
func TestPushActionConflictDatedByLastUpdated(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		halo   time.Duration // Halo's note edit, against the local one
		later  func(e *pushEnv, tid, other int64)
		winner string
	}{
		{"agent edits the ticket later", -time.Millisecond, func(e *pushEnv, tid, _ int64) {
			e.remoteEdit("tickets", tid, map[string]any{"summary": "agent, later"}, time.Minute)
		}, "local"},
		{"agent edits another action later", -time.Millisecond, func(e *pushEnv, tid, other int64) {
			e.remoteEdit("actions", other, map[string]any{"ticket_id": tid, "note": "agent, later"}, time.Minute)
		}, "local"},
		{"agent adds an action later", -time.Millisecond, func(e *pushEnv, tid, _ int64) {
			e.skew.Store(int64(time.Minute))
			e.fake.AddAction(tid, "agent, later")
			e.skew.Store(0)
		}, "local"},
		{"Halo's edit is the later", time.Second, func(*pushEnv, int64, int64) {}, "halo"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			e := newPushEnvWith(t, halofake.Options{ActionLastUpdated: true})
			hsync.SetClockOffset(e.pusher, 0)
			tid, aid := e.userAction(t)
			var other int64
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT id FROM halo.actions WHERE ticket_id = $1 AND id <> $2
  ORDER BY id LIMIT 1`, tid, aid).Scan(&other))
			var local time.Time
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT now()`).Scan(&local))
			e.pinned.Store(new(local.Add(c.halo)))
			e.fake.Update("actions", aid, map[string]any{"ticket_id": tid, "note": "halo"})
			e.pinned.Store(nil)
			e.exec(t, `UPDATE halo.actions SET note = 'local' WHERE ticket_id = $1 AND id = $2`, tid, aid)
			c.later(e, tid, other)

			require.Equal(t, 1, e.pushAll(t))
			require.Equal(t, c.winner, e.record(t, "actions", tid, aid)["note"])
			cs, err := e.puller.Store.ListConflicts(ctx, e.pool, true)
			require.NoError(t, err)
			require.Len(t, cs, 1)
			require.Equal(t, "note", cs[0].Field)
			require.Equal(t, c.winner, cs[0].Winner)
		})
	}
}

// TestPushActionConflictNotDatedByOwnTicketPush: Halo's side of an action conflict is dated by its ticket's
// last_update, which our own ticket pushes move too. An agent's action edit made before the local one must
// lose even when a push of ours (or several) reached the ticket after the local action edit; an agent's write
// of the ticket after our push dates it again, and so does a push whose reply was never stored (a crash
// after the POST: in doubt, Halo wins) (converge known issue push-action-dated-by-own-ticket-push, seed 404).
func TestPushActionConflictNotDatedByOwnTicketPush(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name        string
		ownPushes   int  // local ticket edits pushed, one at a time, after the local action edit
		agentWrites bool // an agent writes the ticket after our pushes, later than the local action edit
		crash       bool // the (last) ticket push stops after its POST, before storing the reply
		winner      string
	}{
		{"one push of ours", 1, false, false, "local"},
		{"two pushes of ours in a row", 2, false, false, "local"},
		{"an agent's write after ours", 1, true, false, "halo"},
		{"a crash after our POST", 1, false, true, "halo"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			e := newPushEnv(t)
			hsync.SetClockOffset(e.pusher, 0)
			tid, aid := e.userAction(t)
			e.remoteEdit("actions", aid, map[string]any{"ticket_id": tid, "note": "halo, earlier"}, -time.Minute)
			e.exec(t, `UPDATE halo.actions SET note = 'local, later' WHERE ticket_id = $1 AND id = $2`, tid, aid)
			for i := range c.ownPushes {
				e.exec(t, `UPDATE halo.tickets SET summary = $1 WHERE id = $2`, fmt.Sprintf("local summary %d", i), tid)
				var id int64
				for _, ob := range e.outbox(t) {
					if ob.Entity == "tickets" && ob.Open() {
						id = ob.ID
					}
				}
				require.NotZero(t, id)
				// Our POST moves the ticket's last_update past the local action edit.
				if c.crash && i == c.ownPushes-1 {
					hsync.SetAfterPost(e.pusher, func(context.Context, int64) error { return errors.New("crash") })
					require.Error(t, e.pusher.Push(ctx, id))
					hsync.SetAfterPost(e.pusher, nil)
					continue
				}
				require.NoError(t, e.pusher.Push(ctx, id))
			}
			if c.agentWrites {
				e.remoteEdit("tickets", tid, map[string]any{"details": "agent, after our push"}, time.Minute)
			}

			pushed := 1
			if c.crash {
				pushed = 2 // the ticket's row, left sending, is finished first (no POST: Halo has its value)
			}
			require.Equal(t, pushed, e.pushAll(t))
			want := map[string]string{"local": "local, later", "halo": "halo, earlier"}[c.winner]
			require.Equal(t, want, e.record(t, "actions", tid, aid)["note"])
			cs, err := e.puller.Store.ListConflicts(ctx, e.pool, true)
			require.NoError(t, err)
			require.Len(t, cs, 1)
			require.Equal(t, "note", cs[0].Field)
			require.Equal(t, c.winner, cs[0].Winner)
		})
	}
}
