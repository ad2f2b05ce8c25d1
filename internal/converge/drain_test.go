package converge

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/halosync/halosync/store"
)

// TestDrainFinishesResumedWalk: seed 314 (and 69, 137 under load). A Crash cancelled a full tickets pull after
// it had stored its one page (walk_page = 2 committed with the batch) and before it finished; then a site was
// renamed in Halo, which changes the site_name Halo joins into its tickets without moving their last_update.
// The drain's full pull resumed that walk: it re-read page 1 and dropped all its rows as repeats of the
// earlier part, so no ticket was stored and the round looked at rest with the old name in the mirror. A round
// whose pulls resumed a walk begun before it is not at rest: the next round walks from page 1. The crash is
// replaced here by the state it leaves, so the test does not depend on timing.
func TestDrainFinishesResumedWalk(t *testing.T) {
	w := NewWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	if err := w.reset(ctx); err != nil {
		t.Fatal(err)
	}
	e, err := w.newEnv(314)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	if _, err := e.puller.Cycle(ctx, synced, true); err != nil {
		t.Fatalf("initial sync: %v", err)
	}

	// What the crashed full walk left: its first (and only) page stored, the next page to read recorded.
	var ids []int64
	for _, tk := range e.haloLive("tickets") {
		ids = append(ids, haloID(tk))
	}
	if err := w.st.MarkWalkStart(ctx, w.hpool, "tickets", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := w.st.SaveWalk(ctx, w.hpool, "tickets", 2, int64(len(ids)), store.WalkSeen{IDs: ids}); err != nil {
		t.Fatal(err)
	}

	// Rename the site of a ticket in Halo: the ticket's site_name changes, its last_update does not.
	tk := e.fake.Records("tickets")[0]
	site := num(tk["site_id"])
	e.fake.Update("sites", site, map[string]any{"name": fmt.Sprintf("renamed-%d", site)})

	if err := e.drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
	div, err := e.check(ctx, newModel())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range div {
		t.Errorf("divergence: %s", d)
	}
}
