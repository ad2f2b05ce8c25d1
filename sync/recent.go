package sync

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// RecentWindow is how far back the first sync's recent window reaches.
const RecentWindow = 30 * 24 * time.Hour

// Recent data first (issue 19). A first sync of a large tenant takes hours of
// Halo's request budget; analysts mostly ask about the last weeks. So before
// the history, the first tickets pull stores the recent window: the tickets
// updated in the last RecentWindow (lastupdatefromdate, halo-api.md §4) and
// the actions dated in it (the bulk Actions listing narrowed by startdate,
// §3.2; per ticket where that listing does not work). Then the full walk
// reads everything, newest first; it lists the recent tickets again (a few
// per cent of the pages), which is what makes it a complete walk that may
// reconcile, and costs no write (their rows are unchanged).
//
// Nothing is lost or doubled when Halo changes records meanwhile: rows are
// upserted by key (a record read twice is one row, the newer copy wins), and
// the start of the recent window's walk, taken before it, is recorded as the
// backfill's start: the cursor the finished backfill gets is never later
// (cursorAfterWalk), so the first incremental pull re-reads every record
// changed while the backfill ran.

// PullRecent stores the recent window of tickets and actions, if the
// tickets were never synced and it is not stored yet (a no-op otherwise). A
// cycle calls it before the other entities so the recent window comes first;
// the tickets pull calls it too, so a worker that starts with tickets does
// the same.
func (p *Puller) PullRecent(ctx context.Context) ([]*store.Run, error) {
	unlock, err := p.Store.LockEntity(ctx, entity.Tickets.Name, p.WaitForLock)
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("recent window: %w", err)
	}
	defer unlock()
	return p.recent(ctx)
}

// recent is PullRecent under the tickets lock.
func (p *Puller) recent(ctx context.Context) ([]*store.Run, error) {
	st, err := p.Store.GetState(ctx, p.Store.Pool, entity.Tickets.Name)
	if err != nil {
		return nil, fmt.Errorf("recent window: read state: %w", err)
	}
	if st.Cursor != nil || st.RecentDoneAt != nil || st.WalkPage != nil {
		return nil, nil
	}
	pr := &pullRun{spec: specs[entity.Tickets.Name], state: st, started: time.Now()}
	pr.run = &store.Run{Entity: entity.Tickets.Name, Mode: "recent", StartedAt: pr.started}
	if pr.run.ID, err = p.Store.StartRun(ctx, entity.Tickets.Name, "recent"); err != nil {
		return nil, fmt.Errorf("recent window: start run: %w", err)
	}
	tctx, counter := halo.WithRequestCounter(ctx)
	pr.counter = counter
	bound, err := p.recentTickets(tctx, pr)
	pr.run.Requests = counter.Load()
	runs := []*store.Run{pr.run}
	if err == nil {
		var ar *store.Run
		ar, err = p.recentActions(ctx, bound)
		if ar != nil {
			runs = append(runs, ar)
		}
	}
	if err == nil {
		err = p.Store.SetRecentDone(ctx, p.Store.Pool, entity.Tickets.Name, time.Now())
	}
	if err != nil {
		pr.run.Error = err.Error()
	}
	if ferr := p.Store.FinishRun(context.WithoutCancel(ctx), p.Store.Pool, pr.run); ferr != nil && err == nil {
		err = ferr
	}
	p.observe(pr.run)
	if err != nil {
		return runs, fmt.Errorf("recent window: %w", err)
	}
	return runs, nil
}

// recentTickets walks the tickets updated in the window and records the
// backfill's start. The window is placed on Halo's clock; a process that
// has not heard from Halo yet learns its clock from the first reply, and
// walks again when the two differ by more than an hour (a server whose clock
// is far off: one request more).
func (p *Puller) recentTickets(ctx context.Context, pr *pullRun) (time.Time, error) {
	offset := p.Halo.ClockOffset()
	for {
		bound := time.Now().Add(offset - RecentWindow)
		params := url.Values{"lastupdatefromdate": {halo.FormatQueryTime(bound)}}
		for k, v := range newestFirst {
			params[k] = v
		}
		if err := p.walk(ctx, pr, params); err != nil {
			return bound, err
		}
		now := p.Halo.ClockOffset()
		if d := now - offset; d < time.Hour && d > -time.Hour {
			start := pr.started.Add(now - time.Second)
			return bound, p.Store.MarkWalkStart(ctx, p.Store.Pool, entity.Tickets.Name, start)
		}
		offset = now
	}
}

// recentActions stores the actions dated in the window: one walk of the bulk
// listing narrowed by startdate where it works (it is probed here on a first
// sync), else a read per queued ticket (the recent tickets the walk queued).
// A recent ticket whose latest action the narrowed walk listed leaves the
// queue; the others stay for the full pull's actions walk.
func (p *Puller) recentActions(ctx context.Context, bound time.Time) (*store.Run, error) {
	st, err := p.Store.GetState(ctx, p.Store.Pool, entity.Actions.Name)
	if err != nil {
		return nil, err
	}
	ar := &pullRun{spec: specs[entity.Actions.Name], state: st, started: time.Now()}
	ar.run = &store.Run{Entity: entity.Actions.Name, Mode: "recent", StartedAt: ar.started}
	if ar.run.ID, err = p.Store.StartRun(ctx, entity.Actions.Name, "recent"); err != nil {
		return nil, err
	}
	ctx, ar.counter = halo.WithRequestCounter(ctx)
	err = p.windowActions(ctx, ar, bound)
	ar.run.Requests = ar.counter.Load()
	if err != nil {
		ar.run.Error = err.Error()
	}
	if ferr := pgx.BeginFunc(context.WithoutCancel(ctx), p.Store.Pool, func(tx pgx.Tx) error {
		if err == nil {
			// Only what was learnt about the bulk listing: the actions'
			// cursor and full-reconcile time belong to the full pull.
			if err := p.Store.SaveState(ctx, tx, st); err != nil {
				return err
			}
		}
		return p.Store.FinishRun(ctx, tx, ar.run)
	}); ferr != nil && err == nil {
		err = ferr
	}
	p.observe(ar.run)
	return ar.run, err
}

func (p *Puller) windowActions(ctx context.Context, ar *pullRun, bound time.Time) error {
	st := ar.state
	if st.BulkActions == nil || *st.BulkActions {
		ok, err := p.windowBulk(ctx, ar, bound)
		if err != nil || ok {
			return err
		}
	}
	changed, _, err := p.Store.DueActions(ctx, p.Store.Pool, -1)
	if err != nil {
		return err
	}
	ar.total = len(changed)
	for _, id := range changed {
		if err := p.ticketActions(ctx, ar, id); err != nil {
			return err
		}
	}
	return nil
}

// windowBulk walks GET /api/Actions?startdate=bound in batches. It reports
// false when the listing cannot be used (refused, timed out, or ignoring
// startdate or ticket_id), having stored only rows that were good.
func (p *Puller) windowBulk(ctx context.Context, ar *pullRun, bound time.Time) (bool, error) {
	st := ar.state
	params := url.Values{"startdate": {halo.FormatQueryTime(bound)}}
	pb := newPageBatch(store.Tables[entity.Actions.Name])
	latest := map[int64]time.Time{} // ticket → latest action listed
	unusable := func(why string) (bool, error) {
		p.logger().Info("actions listing narrowed by startdate unusable; reading the recent tickets' actions one by one", "reason", why)
		return false, p.storeBatch(ctx, ar, pb)
	}
	first := true
	for page, err := range entity.Actions.List(ctx, p.Halo, &halo.ListOptions{Params: params}) {
		if err != nil {
			var ve *halo.ValidationError
			switch {
			case first && errors.As(err, &ve):
				no := false
				st.BulkActions = &no
				return unusable("refused (400)")
			case bulkTimedOut(ctx, err):
				no := false
				st.BulkActions = &no
				return unusable("timed out")
			}
			return false, err
		}
		first = false
		rows := make([]store.Row, 0, len(page.Rows))
		for _, a := range page.Rows {
			tid, _, at := actionOf(a)
			if tid == 0 {
				no := false
				st.BulkActions = &no
				return unusable("rows without ticket_id")
			}
			if at != nil && at.Before(bound) {
				return unusable("startdate ignored")
			}
			rows = append(rows, store.Tables[entity.Actions.Name].RowOf(a))
			if at != nil && at.After(latest[tid]) {
				latest[tid] = *at
			}
		}
		if pb.overlaps(rows) {
			if err := p.storeBatch(ctx, ar, pb); err != nil {
				return false, err
			}
		}
		ar.total = page.RecordCount
		ar.fetched += len(page.Rows) + len(page.Bad)
		ar.run.Fetched += int64(len(page.Rows) + len(page.Bad))
		pb.add(rows, page.Bad, nil, pageMark{fetched: ar.fetched, total: ar.total, page: page.Asked})
		if pb.full() {
			if err := p.storeBatch(ctx, ar, pb); err != nil {
				return false, err
			}
		}
	}
	if err := p.storeBatch(ctx, ar, pb); err != nil {
		return false, err
	}
	return true, pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		queued, _, err := p.Store.DueActions(ctx, tx, -1)
		if err != nil {
			return err
		}
		known, err := p.Store.TicketVersions(ctx, tx, queued)
		if err != nil {
			return err
		}
		var covered []int64
		for _, id := range queued {
			v, ok := known[id]
			if l, listed := latest[id]; ok && listed && v.LastActionDate != nil && sameTime(&l, v.LastActionDate) {
				covered = append(covered, id)
			}
		}
		return p.Store.DequeueActions(ctx, tx, covered)
	})
}
