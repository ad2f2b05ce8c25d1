package sync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/store"
)

// TestPushHoldsNoLockWhileHaloAnswers: while the fake holds a push's reply, the mirror row and its outbox
// row are not locked — an analyst's UPDATE of the same row commits at once (NOWAIT: it would fail, not
// wait, on a held lock). That edit is not lost: once the reply arrives, it becomes the next push.
func TestPushHoldsNoLockWhileHaloAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPushEnv(t)
	id := e.firstID(t, "tickets")
	e.exec(t, `UPDATE halo.tickets SET summary = 'first edit' WHERE id = $1`, id)

	held, release := make(chan struct{}), make(chan struct{})
	e.fake.SetFault(halofake.Faults{HoldReply: func(ctx context.Context, entity string) {
		if entity == "tickets" {
			close(held)
			<-release
		}
	}})
	pushed := make(chan error, 1)
	go func() { pushed <- e.pusher.Push(ctx, e.outbox(t)[0].ID) }()
	<-held

	tx, err := e.pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `SELECT 1 FROM halo.tickets WHERE id = $1 FOR UPDATE NOWAIT`, id)
	require.NoError(t, err, "the mirror row is not locked while Halo answers")
	_, err = tx.Exec(ctx, `SELECT 1 FROM halosync.outbox WHERE entity = 'tickets' FOR UPDATE NOWAIT`)
	require.NoError(t, err, "nor the outbox row")
	_, err = tx.Exec(ctx, `UPDATE halo.tickets SET category_1 = 'edited meanwhile' WHERE id = $1`, id)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	select {
	case err := <-pushed:
		t.Fatalf("the push finished before its reply was released: %v", err)
	default:
	}

	close(release)
	require.NoError(t, <-pushed)
	e.fake.SetFault(halofake.Faults{})
	require.Equal(t, "first edit", e.record(t, "tickets", id)["summary"])
	ob := e.outbox(t)
	require.Len(t, ob, 1)
	require.Equal(t, store.OutboxPending, ob[0].State, "the edit made during the send is the next push")
	require.Equal(t, map[string]any{"category_1": "edited meanwhile"}, ob[0].Fields)
	require.Equal(t, "edited meanwhile", e.scalar(t, `SELECT category_1 FROM halo.tickets WHERE id = $1`, id),
		"Halo's reply did not overwrite the newer local edit")

	require.Equal(t, 1, e.pushAll(t))
	require.Equal(t, "edited meanwhile", e.record(t, "tickets", id)["category_1"])
	require.Equal(t, "first edit", e.record(t, "tickets", id)["summary"])
	require.Equal(t, store.OutboxDone, e.outbox(t)[0].State)
	require.Equal(t, 2, e.posts())
	require.Zero(t, e.scalar(t, `SELECT count(*) FROM halosync.conflicts`))
}
