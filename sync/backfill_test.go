package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	hsync "github.com/halosync/halosync/sync"
)

// backfillSize has enough tickets for several stored batches (1,000 rows
// each) of tickets and of bulk actions.
var backfillSize = halofake.Size{Clients: 5, Sites: 8, Users: 40, Agents: 4, Tickets: 3000, ActionsPerTicket: 2, Assets: 6, Contracts: 3}

// walkState reads the recorded position of entity's walk.
func walkState(t *testing.T, e *env, entity string) (page *int, listed *int64) {
	t.Helper()
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT walk_page, walk_listed FROM halosync.entity_state WHERE entity = $1`, entity).Scan(&page, &listed))
	return page, listed
}

// fullWalkPages lists the page_no of every request of a full walk of entity:
// tickets ordered newest first without a date bound, actions in bulk
// without ticket_id or startdate.
func fullWalkPages(e *env, entity string) []int {
	var pages []int
	for _, r := range e.fake.Requests() {
		full := false
		switch entity {
		case "tickets":
			full = r.Path == "/api/tickets" && r.Query.Get("order") == "id" && !r.Query.Has("lastupdatefromdate") && !r.Query.Has("deleted")
		case "actions":
			full = r.Path == "/api/actions" && !r.Query.Has("ticket_id") && !r.Query.Has("startdate")
		}
		if full {
			n, _ := strconv.Atoi(r.Query.Get("page_no"))
			pages = append(pages, n)
		}
	}
	return pages
}

// Issue 19 item 1: a backfill stopped in the middle of the ticket walk or of
// the bulk actions walk continues at the page after the last one it stored,
// reads every later page once, and still reconciles deletions (the earlier
// part's keys are recorded): the mirror ends exact, nothing tombstoned that
// Halo has.
func TestBackfillResumesFromItsPosition(t *testing.T) {
	for _, entity := range []string{"tickets", "actions"} {
		t.Run(entity, func(t *testing.T) {
			e := newEnv(t, halofake.Options{BulkActions: true, Seed: 19}, backfillSize)
			ctx, cancel := context.WithCancel(context.Background())
			pages := 0
			e.puller.ProgressFunc = func(p hsync.Progress) {
				// Stop part-way, once its second batch of ten pages is
				// stored (progress is reported after each batch).
				if p.Entity == entity && !p.Done {
					if pages++; pages == 15 {
						cancel()
					}
				}
			}
			_, err := e.puller.Cycle(ctx, nil, false)
			require.True(t, errors.Is(err, context.Canceled), "got %v", err)
			page, listed := walkState(t, e, entity)
			require.NotNil(t, page, "the %s walk recorded its position", entity)
			require.GreaterOrEqual(t, *page, 11, "position after the stored batches")
			require.Equal(t, int64((*page-1)*100), *listed)
			before := len(fullWalkPages(e, entity))

			e.fake.ResetRequests()
			e.puller.ProgressFunc = nil
			runs := e.cycle(t, false)
			got := fullWalkPages(e, entity)
			require.NotEmpty(t, got)
			// One page of overlap: the last page stored is read again.
			require.Equal(t, *page-1, got[0], "the walk continued at its recorded page")
			for i, n := range got {
				require.Equal(t, *page-1+i, n, "each later page read once, in order")
			}
			total := ceilDiv(len(fakeIDs(e, entity)), 100)
			require.Equal(t, total-*page+2, len(got), "pages after the restart = pages left + 1 (%d were read before it)", before)

			requireMirror(t, e)
			var resumed bool
			for _, r := range runs {
				require.Empty(t, r.Error, "%s", r.Entity)
				if r.Entity == entity && r.Mode == "full" {
					require.Contains(t, notes(r), fmt.Sprintf("resumed at page %d", *page))
					require.Zero(t, r.Tombstoned, "nothing the first part listed was taken for deleted")
					resumed = true
				}
			}
			require.True(t, resumed, "a full %s run resumed", entity)
			page, _ = walkState(t, e, entity)
			require.Nil(t, page, "a walk that reached its end leaves no position")
			var full *time.Time
			require.NoError(t, e.pool.QueryRow(context.Background(),
				`SELECT last_full_at FROM halosync.entity_state WHERE entity = $1`, entity).Scan(&full))
			require.NotNil(t, full, "the resumed walk counted as complete and reconciled")
		})
	}
}

// A resumed walk still tombstones what Halo deleted: a ticket deleted in
// Halo while the backfill was down, among those its first part had stored.
func TestResumedWalkReconcilesDeletions(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 20}, backfillSize)
	ctx, cancel := context.WithCancel(context.Background())
	pages := 0
	e.puller.ProgressFunc = func(p hsync.Progress) {
		if p.Entity == "tickets" && !p.Done {
			if pages++; pages == 15 {
				cancel()
			}
		}
	}
	_, err := e.puller.Cycle(ctx, nil, false)
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)
	var gone int64
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT max(id) FROM halo.tickets WHERE deleted_at IS NULL`).Scan(&gone))
	// Removed from Halo's lists without a trace in the deleted list: only
	// the reconcile of a complete walk can find it gone.
	e.fake.SetFault(halofake.Faults{})
	e.fake.Delete("tickets", gone)
	e.puller.ProgressFunc = nil
	e.cycle(t, false)
	requireMirror(t, e)
}

// recordTime reads a time field of a fake record.
func recordTime(t *testing.T, rec map[string]any, field string) time.Time {
	t.Helper()
	b, err := json.Marshal(rec[field])
	require.NoError(t, err)
	var ht halo.Time
	require.NoError(t, json.Unmarshal(b, &ht))
	return ht.Time
}

// fakeClock is a Halo clock the test moves.
type fakeClock struct {
	mu  gosync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Issue 19 item 2: the first sync stores the tickets updated and the actions
// dated in the last 30 days before anything else but the lookups, and before
// any older ticket; records Halo changes during the walk (an edit of a
// ticket already stored, then a later edit of one not read yet, a new
// ticket, a new action) are all in the mirror after the next incremental
// pull, none lost and none twice.
func TestFirstSyncStoresRecentWindowFirst(t *testing.T) {
	for _, bulk := range []bool{true, false} {
		t.Run(fmt.Sprintf("bulk=%v", bulk), func(t *testing.T) {
			// The generated tenant's history ends at 2026-01-01.
			clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			e := newEnv(t, halofake.Options{BulkActions: bulk, Seed: 21, Now: clk.Now}, backfillSize)
			windowStart := clk.Now().Add(-hsync.RecentWindow)

			recentTickets, oldTickets := map[int64]bool{}, []int64{}
			for _, r := range e.fake.Records("tickets") {
				if r["deleted"] == true {
					continue
				}
				id := int64(r["id"].(float64))
				if recordTime(t, r, "last_update").After(windowStart) {
					recentTickets[id] = true
				} else {
					oldTickets = append(oldTickets, id)
				}
			}
			recentActions := 0
			for _, a := range e.fake.Records("actions") {
				if recentTickets[int64(a["ticket_id"].(float64))] && recordTime(t, a, "datetime").After(windowStart) {
					recentActions++
				}
			}
			require.Greater(t, len(recentTickets), 20)
			require.Greater(t, recentActions, 20)

			// While the history walk runs: edit a ticket it has stored, ten
			// minutes later one it has not read yet (the oldest), add a
			// ticket and an action.
			ctx := context.Background()
			var edited, later int64 = 0, oldTickets[0]
			var created int64
			var note int64
			e.puller.ProgressFunc = func(p hsync.Progress) {
				if p.Entity != "tickets" || p.Done || edited != 0 {
					return
				}
				var recentDone bool
				require.NoError(t, e.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM halosync.entity_state WHERE entity = 'tickets' AND recent_done_at IS NOT NULL)`).Scan(&recentDone))
				if !recentDone {
					return
				}
				require.NoError(t, e.pool.QueryRow(ctx, `SELECT max(id) FROM halo.tickets WHERE halo_updated_at < $1`, windowStart).Scan(&edited))
				e.fake.Update("tickets", edited, map[string]any{"summary": "edited during the backfill"})
				note = e.fake.AddAction(edited, "added during the backfill")
				clk.advance(10 * time.Minute)
				e.fake.Update("tickets", later, map[string]any{"summary": "edited later"})
				created = e.fake.Create("tickets", map[string]any{"summary": "created during the backfill", "client_id": 1})
			}
			e.cycle(t, false)
			require.NotZero(t, edited, "the changes were made during the history walk")
			if bulk {
				// The bulk walk drained the thousands of tickets the walk queued and vacuumed the queue,
				// which every later pull reads.
				var vacuums int64
				require.NoError(t, e.pool.QueryRow(ctx, `SELECT vacuum_count FROM pg_stat_user_tables
					WHERE relid = 'halosync.action_queue'::regclass`).Scan(&vacuums))
				require.EqualValues(t, 1, vacuums, "the drained action queue is vacuumed")
			}

			// Recent first: every recent ticket and recent action was
			// written before any user (pulled right after the lookups)
			// and before any older ticket.
			var recentLast, usersFirst, oldFirst time.Time
			ids := make([]int64, 0, len(recentTickets))
			for id := range recentTickets {
				ids = append(ids, id)
			}
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT greatest(
				(SELECT max(synced_at) FROM halo.tickets WHERE id = ANY($1)),
				(SELECT max(synced_at) FROM halo.actions WHERE ticket_id = ANY($1) AND datetime > $2))`, ids, windowStart).Scan(&recentLast))
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT min(synced_at) FROM halo.users`).Scan(&usersFirst))
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT min(synced_at) FROM halo.tickets WHERE id = ANY($1)`, oldTickets).Scan(&oldFirst))
			require.True(t, recentLast.Before(usersFirst), "recent window (%s) before the users (%s)", recentLast, usersFirst)
			require.True(t, recentLast.Before(oldFirst), "recent window (%s) before the history (%s)", recentLast, oldFirst)
			var storedRecent int
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.actions WHERE ticket_id = ANY($1) AND datetime > $2`, ids, windowStart).Scan(&storedRecent))
			require.Equal(t, recentActions, storedRecent)

			// The next incremental pull brings every change made during the
			// walk: the cursor is no later than the backfill's start.
			e.puller.ProgressFunc = nil
			e.cycle(t, false)
			requireMirror(t, e)
			var summary string
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT summary FROM halo.tickets WHERE id = $1`, edited).Scan(&summary))
			require.Equal(t, "edited during the backfill", summary)
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT summary FROM halo.tickets WHERE id = $1`, later).Scan(&summary))
			require.Equal(t, "edited later", summary)
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT summary FROM halo.tickets WHERE id = $1`, created).Scan(&summary))
			require.Equal(t, "created during the backfill", summary)
			var notes int
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.actions WHERE ticket_id = $1 AND id = $2 AND deleted_at IS NULL`, edited, note).Scan(&notes))
			require.Equal(t, 1, notes)
		})
	}
}

// The bulk actions walk keeps the keys it listed in halosync.walk_seen, not
// in memory; its reconcile reads them there: an action deleted in Halo is
// tombstoned by the next full pull, and nothing else.
func TestFullBulkWalkTombstonesDeletedAction(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 22}, tiny)
	e.cycle(t, false)
	ctx := context.Background()
	var gone int64
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT max(ticket_id) FROM halo.actions WHERE id > 1`).Scan(&gone))
	e.fake.DeleteAction(gone, 2)
	runs := e.cycle(t, true)
	requireMirror(t, e)
	for _, r := range runs {
		if r.Entity == "actions" {
			require.EqualValues(t, 1, r.Tombstoned)
		}
	}
	var left int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halosync.walk_seen`).Scan(&left))
	require.Zero(t, left, "a finished walk leaves no keys behind")
}
