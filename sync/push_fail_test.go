package sync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/store"
)

// TestPushForbiddenWaitsThenParks: a 403 keeps the row pending with the error and a next attempt time
// (nothing is sent before it), and after MaxAttempts the row is parked with the last error; an operator's
// retry sends it once Halo allows it.
func TestPushForbiddenWaitsThenParks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPushEnv(t)
	e.pusher.MaxAttempts = 2
	id := e.firstID(t, "tickets")
	gets := func() int {
		n := 0
		for _, r := range e.fake.Requests() {
			if r.Method == "GET" && strings.HasPrefix(r.Path, "/api/tickets/") {
				n++
			}
		}
		return n
	}
	e.fake.SetFault(halofake.Faults{Forbidden: map[string]bool{"tickets": true}})
	e.exec(t, `UPDATE halo.tickets SET summary = 'not allowed yet' WHERE id = $1`, id)

	_, err := e.pusher.PushPending(ctx)
	require.ErrorContains(t, err, "403")
	ob := e.outbox(t)[0]
	require.Equal(t, store.OutboxPending, ob.State)
	require.Contains(t, *ob.LastError, "403")
	require.Equal(t, 1, ob.Attempts)
	require.NotNil(t, ob.NextAttemptAt)
	require.True(t, ob.NextAttemptAt.After(time.Now()))

	require.Equal(t, 0, e.pushAll(t), "not due: nothing is sent")
	require.Equal(t, 1, gets())

	e.exec(t, `UPDATE halosync.outbox SET next_attempt_at = now() WHERE id = $1`, ob.ID)
	require.Equal(t, 1, e.pushAll(t), "the second failure parks the row (nil error)")
	require.Equal(t, 2, gets())
	ob = e.outbox(t)[0]
	require.Equal(t, store.OutboxParked, ob.State)
	require.Contains(t, *ob.LastError, "403")
	require.Nil(t, ob.NextAttemptAt)
	require.Equal(t, 0, e.pushAll(t))

	e.fake.SetFault(halofake.Faults{})
	ok, err := e.puller.Store.RetryPush(ctx, ob.ID)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 1, e.pushAll(t))
	require.Equal(t, "not allowed yet", e.record(t, "tickets", id)["summary"])
	require.Equal(t, store.OutboxDone, e.outbox(t)[0].State)
}

// TestPushSendsOnlyWritableColumns: the payload is filtered against halosync.writable_columns (the list
// the guard trigger enforces), whatever an outbox row holds.
func TestPushSendsOnlyWritableColumns(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	id := e.firstID(t, "tickets")
	e.exec(t, `UPDATE halo.tickets SET summary = 'writable' WHERE id = $1`, id)
	e.exec(t, `UPDATE halosync.outbox SET fields = fields || '{"client_name": "smuggled", "team_id": 99}'`)
	require.Equal(t, 1, e.pushAll(t))
	rec := e.record(t, "tickets", id)
	require.Equal(t, "writable", rec["summary"])
	require.NotEqual(t, "smuggled", rec["client_name"])
	require.NotEqual(t, int64(99), num(rec["team_id"]))
}

// TestPushParksUnreadableRecord: a local edit of a record Halo serves undecodable (an id of the wrong type)
// or unstorable (a NUL byte) is parked with the reason at the first attempt, and nothing loops: the next
// runs send nothing and make no request for it.
func TestPushParksUnreadableRecord(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		spoil  map[string]any
		reason string
	}{
		{"id of the wrong type", map[string]any{"client_id": "not-a-number"}, "decoding"},
		{"NUL byte", map[string]any{"category_1": "nul\x00byte"}, "NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newPushEnv(t)
			id := e.firstID(t, "tickets")
			e.exec(t, `UPDATE halo.tickets SET summary = 'local edit' WHERE id = $1`, id)
			e.fake.Update("tickets", id, tc.spoil)

			_, err := e.pusher.PushPending(context.Background())
			require.NoError(t, err, "parked, not failed")
			ob := e.outbox(t)[0]
			require.Equal(t, store.OutboxParked, ob.State)
			require.Contains(t, *ob.LastError, tc.reason)
			require.Contains(t, *ob.LastError, "Halo's record cannot be read")

			before := len(e.fake.Requests())
			require.Equal(t, 0, e.pushAll(t))
			require.Equal(t, before, len(e.fake.Requests()), "a parked row makes no request")
		})
	}
}

// TestConflictWithNULRecorded: a conflict whose Halo value holds a NUL byte (which jsonb cannot store) is
// recorded, with U+FFFD in the NUL's place.
func TestConflictWithNULRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPushEnv(t)
	require.NoError(t, e.puller.Store.RecordConflict(ctx, e.pool, store.Conflict{Entity: "tickets", RecordKey: "1",
		Field: "summary", LocalValue: "mine", RemoteValue: "nul\x00byte", Winner: "local"}))
	require.Equal(t, "nul\uFFFDbyte", e.scalar(t, `SELECT remote_value #>> '{}' FROM halosync.conflicts`))
}
