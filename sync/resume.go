package sync

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// A full walk is resumable (issue 19): each stored batch records, in its own
// transaction, the next page to read and the keys it listed
// (store.SaveWalk). A pull that finds a walk in progress continues from that
// page instead of page 1, with the earlier part's keys loaded as seen, so the
// walk's end still proves what Halo lacks (reconcile only after a complete
// walk) and record_count is compared with the whole walk's rows. What a
// killed process had read but not committed (the batch in flight and the
// pages read ahead) is read again: that is the only repeated work.
//
// The position is a page number. Offset paging over live data can shift rows
// between two pages of any walk, resumed or not; the ticket walk is ordered by
// id (newest first), which edits do not move, and a record that changes while
// the walk runs is read again by the first incremental pull, whose cursor is
// at most the walk's start (see cursorAfterWalk).

// resumeWalk sets opts to continue the walk in progress, or clears what a
// walk abandoned before it reached page 2 left behind and starts afresh.
func (p *Puller) resumeWalk(ctx context.Context, pr *pullRun, opts *halo.ListOptions) error {
	st := pr.state
	if st.WalkPage == nil || *st.WalkPage <= 1 {
		return p.Store.ClearWalk(ctx, p.Store.Pool, pr.spec.Name, false)
	}
	// The actions walk keeps its keys in the database (see walkSaved): only
	// the last ones are needed here, to drop the overlap's repeats.
	tail := 0
	if pr.spec.Name == entity.Actions.Name {
		tail = resumeOverlapKeys / batchRows
	}
	seen, err := p.Store.LoadWalkSeen(ctx, p.Store.Pool, pr.spec.Name, tail)
	if err != nil {
		return err
	}
	pr.resumeFrom(seen, st)
	// One page of overlap: rows Halo deleted while the walk was down move
	// the later rows to earlier pages, and the first of them would
	// otherwise fall into the page already read. The repeats it brings are
	// dropped (opts.Seen), so the rows listed still add up.
	opts.StartPage, opts.Listed = *st.WalkPage-1, int(st.WalkListed)
	opts.Seen = pr.recentKeys(resumeOverlapKeys)
	pr.run.Note("resumed at page %d after %d rows listed by an earlier run", *st.WalkPage, st.WalkListed)
	p.logger().Info("resuming walk", "entity", pr.spec.Name, "page", *st.WalkPage, "listed", st.WalkListed)
	return nil
}

// resumeFrom loads what the walk's earlier part listed.
func (pr *pullRun) resumeFrom(seen store.WalkSeen, st *store.EntityState) {
	pr.seen = append(pr.seen, seen.IDs...)
	pr.seenText = append(pr.seenText, seen.Text...)
	pr.seenTickets = append(pr.seenTickets, seen.TicketIDs...)
	pr.savedSeen, pr.savedText, pr.savedTickets = len(pr.seen), len(pr.seenText), len(pr.seenTickets)
	pr.fetched = int(st.WalkListed)
	pr.walkStart = st.WalkStartedAt
}

// saveWalk records, in the transaction storing a batch, the walk's start (its
// first batch), the page after the batch's last and the keys listed since the
// last batch.
func (p *Puller) saveWalk(ctx context.Context, tx pgx.Tx, pr *pullRun, last pageMark) error {
	if !pr.resumable || last.page <= 0 {
		return nil
	}
	if pr.walkStart == nil {
		// On Halo's clock, as known after the first page, a second early.
		start := pr.started.Add(p.Halo.ClockOffset() - time.Second)
		if err := p.Store.MarkWalkStart(ctx, tx, pr.spec.Name, start); err != nil {
			return err
		}
		st, err := p.Store.GetState(ctx, tx, pr.spec.Name)
		if err != nil {
			return err
		}
		pr.walkStart = st.WalkStartedAt
	}
	seen := store.WalkSeen{IDs: pr.seen[pr.savedSeen:], Text: pr.seenText[pr.savedText:], TicketIDs: pr.seenTickets[pr.savedTickets:]}
	return p.Store.SaveWalk(ctx, tx, pr.spec.Name, last.page+1, int64(last.fetched), seen)
}

// walkSaved notes that the keys so far are recorded (the batch committed).
// The bulk actions walk then forgets them: its reconcile reads them from
// halosync.walk_seen, so millions of actions do not stay in memory.
func (pr *pullRun) walkSaved() {
	if pr.resumable && pr.spec.Name == entity.Actions.Name {
		pr.seen, pr.seenTickets = pr.seen[:0], pr.seenTickets[:0]
	}
	pr.savedSeen, pr.savedText, pr.savedTickets = len(pr.seen), len(pr.seenText), len(pr.seenTickets)
}

// cursorAfterWalk is the cursor a successful full walk earns: the newest
// last-update it saw, but never later than when the walk (its first part)
// started on Halo's clock, and never earlier than the cursor it had. A walk
// takes hours on a large tenant: a record changed after its page was read,
// while a later page's rows were stamped later still, would otherwise fall
// behind the cursor and never be read again. Capped at the start, the first
// incremental pull re-reads everything changed while the walk ran.
func (pr *pullRun) cursorAfterWalk() (time.Time, bool) {
	if !pr.resumable || pr.walkStart == nil || pr.end == nil || pr.maxSeen.IsZero() {
		return time.Time{}, false
	}
	c := pr.maxSeen
	if c.After(*pr.walkStart) {
		c = *pr.walkStart
	}
	if pr.state.Cursor != nil && pr.state.Cursor.After(c) {
		c = *pr.state.Cursor
	}
	return c, true
}

// newestFirst orders a ticket walk by id, newest first (halo-api.md §2:
// order/orderdesc; booleans as true/false, never 1/0: halo-api-more.md,
// corrections). Ids only grow, so an edit never moves a ticket in this order,
// and a ticket created during the walk lands before the pages still to come
// (its page is re-listed in part, which the walk's de-duplication absorbs)
// instead of shifting rows past the walk.
var newestFirst = map[string][]string{"order": {"id"}, "orderdesc": {"true"}}

// resumeOverlapKeys is how many of the last keys a resumed walk drops as
// repeats from the page it reads again: two stored batches, enough for rows
// that moved a page later (created while the walk was down) too.
const resumeOverlapKeys = 2 * batchRows

// recentKeys formats the last n keys the walk listed as the halo client
// de-duplicates them.
func (pr *pullRun) recentKeys(n int) []string {
	var out []string
	from := max(len(pr.seen)-n, 0)
	for i, id := range pr.seen[from:] {
		if j := from + i; len(pr.seenTickets) == len(pr.seen) {
			out = append(out, strconv.FormatInt(pr.seenTickets[j], 10)+"/"+strconv.FormatInt(id, 10))
			continue
		}
		out = append(out, strconv.FormatInt(id, 10))
	}
	return append(out, pr.seenText[max(len(pr.seenText)-n, 0):]...)
}
