package sync_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
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

// TestPushEditDuringReadMeetsHaloLater: while a push reads Halo's record, an analyst edits another field of
// the row (it merges into the same push) and then an agent changes that field in Halo. The push must not
// judge the new local edit against the copy read before it: Halo's later change wins, with a conflict row,
// and is not overwritten. (Convergence seed 335's mechanism: a wider window under load.)
func TestPushEditDuringReadMeetsHaloLater(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPushEnv(t)
	hsync.SetClockOffset(e.pusher, 0)
	id := e.firstID(t, "tickets")
	e.exec(t, `UPDATE halo.tickets SET summary = 'first edit' WHERE id = $1`, id)

	var once sync.Once
	hsync.SetAfterGet(e.pusher, func(context.Context, int64) {
		once.Do(func() {
			e.exec(t, `UPDATE halo.tickets SET category_1 = 'local cat' WHERE id = $1`, id)
			e.remoteEdit("tickets", id, map[string]any{"category_1": "remote cat"}, time.Minute)
		})
	})
	require.Equal(t, 1, e.pushAll(t))

	rec := e.record(t, "tickets", id)
	require.Equal(t, "remote cat", rec["category_1"], "Halo's change, later than the local one, is not overwritten")
	require.Equal(t, "first edit", rec["summary"], "the other local change is sent")
	require.Equal(t, "remote cat", e.scalar(t, `SELECT category_1 FROM halo.tickets WHERE id = $1`, id))
	cs, err := e.puller.Store.ListConflicts(ctx, e.pool, true)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Equal(t, "category_1", cs[0].Field)
	require.Equal(t, "halo", cs[0].Winner)
	require.Equal(t, "local cat", cs[0].LocalValue, "the loser is kept")
	require.Equal(t, store.OutboxDone, e.outbox(t)[0].State)
}

// TestPushDeleteDuringReadIsPushed: while a push of an edit reads Halo's record, the analyst deletes the row
// (the delete merges into the same outbox row). The push starts over as a delete: the record is deleted in
// Halo, not left there with the outbox row closed as if the update had been pushed (seed 319).
func TestPushDeleteDuringReadIsPushed(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	id := e.firstID(t, "contracts")
	e.exec(t, `UPDATE halo.contracts SET ref = 'edited' WHERE id = $1`, id)
	var once sync.Once
	hsync.SetAfterGet(e.pusher, func(context.Context, int64) {
		once.Do(func() { e.exec(t, `DELETE FROM halo.contracts WHERE id = $1`, id) })
	})
	require.Equal(t, 1, e.pushAll(t))
	require.Nil(t, e.record(t, "contracts", id), "the delete reached Halo")
	ob := e.outbox(t)
	require.Len(t, ob, 1)
	require.Equal(t, store.OpDelete, ob[0].Op)
	require.Equal(t, store.OutboxDone, ob[0].State)
}
