package sync

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// queueActions records, in the transaction that stores a page of tickets,
// which of them need their actions read: new tickets that have any action,
// and known tickets whose lastactiondate moved (an action was added). A
// ticket whose last_update alone moved (a field edit) is not re-read: that
// would cost one request per edited ticket, the bulk of Halo's request budget
// on a busy tenant, for the rare edit or deletion of an old action, which the
// periodic full reconcile (a bulk actions walk) picks up. Queuing in the same
// transaction means a crash between the tickets and their actions cannot
// lose the re-read: the queue survives and the next pull drains it.
func (p *Puller) queueActions(ctx context.Context, tx pgx.Tx, tickets []ticketFacts) error {
	if len(tickets) == 0 {
		return nil
	}
	ids := make([]int64, len(tickets))
	for i, t := range tickets {
		ids[i] = t.id
	}
	known, err := p.Store.TicketVersions(ctx, tx, ids)
	if err != nil {
		return err
	}
	var need, unchanged []int64
	for _, t := range tickets {
		v, ok := known[t.id]
		switch {
		case !ok:
			if t.lastActionDate != nil {
				need = append(need, t.id)
			}
		case !sameTime(v.LastActionDate, t.lastActionDate):
			need = append(need, t.id)
		case t.lastActionDate != nil:
			unchanged = append(unchanged, t.id)
		}
	}
	// A ticket that has actions in Halo but none in the mirror is read too,
	// though its lastactiondate did not move: a ticket created through the
	// mirror is stored from the push's reply, lastactiondate included, while
	// the action Halo adds on every create was never read.
	missing, err := p.Store.TicketsWithoutActions(ctx, tx, unchanged)
	if err != nil {
		return err
	}
	return p.Store.QueueActions(ctx, tx, append(need, missing...))
}

// sameTime compares a stored time with a fresh one. Postgres keeps
// microseconds while Halo sends up to 100 ns ticks, so anything closer than a
// microsecond is the same instant.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	d := a.Sub(*b)
	return d < time.Microsecond && d > -time.Microsecond
}

// pullActions reads the actions of the tickets queued by the tickets walk.
// A full pull (or the first one) lists all actions in bulk where the server
// allows it (halo-api.md §12.12): about one request per hundred actions
// instead of one per ticket; that walk also tombstones the actions Halo no
// longer lists. Otherwise, and where the bulk walk is refused, ignored, times
// out or answers nothing while the mirror knows of actions, it reads the
// queued tickets one by one, and a full pull queues every live ticket as a
// sweep entry: the full reconcile of actions one request per ticket. Sweep
// entries are read after the changed tickets, at most ActionSweep per pull
// (the worker sizes it from the rate budget), so a large tenant's sweep is
// spread over many pulls instead of holding the tickets for hours.
func (p *Puller) pullActions(ctx context.Context, full bool) (*store.Run, error) {
	ap, err := p.startActions(ctx, full, false)
	if err != nil {
		return nil, err
	}
	return p.finishActions(ap, nil)
}

// actionsPull is an actions pull between startActions and finishActions.
type actionsPull struct {
	ar  *pullRun
	ctx context.Context // the pull's, with the run's request counter
	// bulk, when the bulk walk runs beside the tickets walk, delivers its
	// outcome; stop cancels it.
	bulk chan bulkOutcome
	stop context.CancelCauseFunc
}

type bulkOutcome struct {
	ok  bool
	err error
}

// startActions starts the actions run. With beside, it starts only a run
// that will walk the bulk listing, and starts that walk at once, to run
// beside the tickets walk (a first sync's two longest parts, each mostly
// waiting on its own database connection), and returns nil otherwise.
func (p *Puller) startActions(ctx context.Context, full, beside bool) (*actionsPull, error) {
	st, err := p.Store.GetState(ctx, p.Store.Pool, entity.Actions.Name)
	if err != nil {
		return nil, fmt.Errorf("pull actions: read state: %w", err)
	}
	ar := &pullRun{spec: specs[entity.Actions.Name], state: st, started: time.Now()}
	ar.fullWalk = full || st.LastFullAt == nil
	bulk := ar.fullWalk && (st.BulkActions == nil || *st.BulkActions)
	if beside && !bulk {
		return nil, nil
	}
	mode := "incremental"
	if ar.fullWalk {
		mode = "full"
	}
	ar.run = &store.Run{Entity: entity.Actions.Name, Mode: mode, StartedAt: ar.started}
	ar.resumable = ar.fullWalk
	if ar.run.ID, err = p.Store.StartRun(ctx, entity.Actions.Name, mode); err != nil {
		return nil, fmt.Errorf("pull actions: start run: %w", err)
	}
	ap := &actionsPull{ar: ar}
	ap.ctx, ar.counter = halo.WithRequestCounter(ctx)
	if beside {
		var bctx context.Context
		bctx, ap.stop = context.WithCancelCause(ap.ctx)
		ap.bulk = make(chan bulkOutcome, 1)
		go func() {
			ok, err := p.bulkActions(bctx, ar)
			ap.bulk <- bulkOutcome{ok, err}
		}()
	}
	return ap, nil
}

// finishActions completes the actions pull: the bulk walk (waiting for the
// one started beside the tickets walk), then the per-ticket reads of what is
// left queued, and the run's ledger row. ticketsErr is the tickets walk's
// failure: a bulk walk beside it is stopped (its position is saved per
// batch; the next full pull resumes it) and nothing else is read.
func (p *Puller) finishActions(ap *actionsPull, ticketsErr error) (*store.Run, error) {
	ar, ctx := ap.ar, ap.ctx
	if ap.stop != nil {
		defer ap.stop(nil) // the bulk walk has ended by then
	}
	var err error
	if ticketsErr != nil {
		err = fmt.Errorf("stopped with the tickets pull: %w", ticketsErr)
		if ap.bulk != nil {
			ap.stop(err)
			<-ap.bulk
		}
	} else {
		err = p.actions(ctx, ar, ap.bulk)
	}
	// Actions keep their own reconciliation (bulk walk or per ticket): a
	// full actions pull that succeeded counts as the full one.
	ar.reconciled = ar.fullWalk
	ar.run.Requests = ar.counter.Load()
	if ferr := p.finish(context.WithoutCancel(ctx), ar, err); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		return ar.run, fmt.Errorf("pull actions: %w", err)
	}
	return ar.run, nil
}

// actions runs the actions pull's walks; bulk, if not nil, delivers the
// outcome of the bulk walk already running beside the tickets walk.
func (p *Puller) actions(ctx context.Context, ar *pullRun, bulk <-chan bulkOutcome) error {
	if ar.fullWalk && (ar.state.BulkActions == nil || *ar.state.BulkActions) {
		var ok bool
		var err error
		if bulk != nil {
			o := <-bulk
			if ok, err = o.ok, o.err; ok && err == nil {
				ok, err = p.coveredByBulk(ctx, ar)
			}
		} else {
			ok, err = p.bulkActions(ctx, ar)
		}
		if err != nil {
			return err
		}
		ar.state.BulkActions = &ok
		if ok {
			return nil
		}
		// The bulk walk is abandoned: a later one starts from page 1.
		ar.end = nil
		if err := p.Store.ClearWalk(ctx, p.Store.Pool, entity.Actions.Name, false); err != nil {
			return err
		}
		p.logger().Info("bulk actions listing not supported by this Halo; reading actions per ticket")
	}
	if ar.fullWalk {
		n, err := p.Store.QueueActionSweep(ctx, p.Store.Pool)
		if err != nil {
			return err
		}
		p.logger().Info("full reconcile of actions: tickets queued for a per-ticket re-read", "tickets", n, "per_pull", p.ActionSweep)
	}
	changed, sweep, err := p.Store.DueActions(ctx, p.Store.Pool, p.ActionSweep)
	if err != nil {
		return err
	}
	if !ar.fullWalk {
		if err := p.narrowedActions(ctx, ar, changed); err != nil {
			return err
		}
		if changed, sweep, err = p.Store.DueActions(ctx, p.Store.Pool, p.ActionSweep); err != nil {
			return err
		}
	}
	ids := append(changed, sweep...)
	ar.total = len(ids)
	for _, id := range ids {
		if err := p.ticketActions(ctx, ar, id); err != nil {
			return err
		}
	}
	return nil
}

// ticketActions reads all actions of one ticket, stores them, tombstones the
// ones Halo no longer lists, and takes the ticket off the queue.
func (p *Puller) ticketActions(ctx context.Context, ar *pullRun, ticketID int64) error {
	var rows []store.Row
	var bad []halo.BadRow
	seen := []int64{}
	params := url.Values{"ticket_id": {strconv.FormatInt(ticketID, 10)}}
	for page, err := range entity.Actions.List(ctx, p.Halo, &halo.ListOptions{Params: params}) {
		if err != nil {
			if halo.Classify(err).Class == halo.ClassNotFound {
				break // the ticket is gone; its deletion is reconciled elsewhere
			}
			return fmt.Errorf("ticket %d: %w", ticketID, err)
		}
		bad = append(bad, page.Bad...)
		for _, a := range page.Rows {
			// (a row without ticket_id took it from the request: see
			// entity.Entity.List)
			rows = append(rows, ar.track(store.Tables[entity.Actions.Name].RowOf(a)))
			_, id, _ := actionOf(a)
			seen = append(seen, id)
		}
	}
	ar.fetched++
	ar.run.Fetched += int64(len(rows) + len(bad))
	err := pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		res, err := p.Store.Upsert(ctx, tx, store.Tables[entity.Actions.Name], rows)
		if err != nil {
			return err
		}
		ar.run.Inserted += int64(res.Inserted)
		ar.run.Updated += int64(res.Updated)
		ar.run.Unchanged += int64(res.Unchanged)
		if err := p.reject(ctx, tx, ar, bad, res.Rejected); err != nil {
			return err
		}
		if len(bad) == 0 {
			// Only a clean read may tombstone: an undecodable row is not gone.
			n, err := p.Store.TombstoneMissingActions(ctx, tx, ticketID, seen)
			if err != nil {
				return err
			}
			ar.run.Tombstoned += int64(n)
		}
		return p.Store.DequeueActions(ctx, tx, []int64{ticketID})
	})
	if err != nil {
		return fmt.Errorf("store actions of ticket %d: %w", ticketID, err)
	}
	p.progress(ar)
	return nil
}

// track moves the run's high-water mark to r's last update.
func (ar *pullRun) track(r store.Row) store.Row {
	if r.UpdatedAt != nil && r.UpdatedAt.After(ar.maxSeen) {
		ar.maxSeen = *r.UpdatedAt
	}
	return r
}

// bulkActions walks GET /api/Actions without ticket_id. It reports false,
// having stored nothing wrong, when the server refuses the walk (400) or
// ignores it (rows without ticket_id, nothing listed while tickets have
// actions, or a total that does not add up to record_count).
func (p *Puller) bulkActions(ctx context.Context, ar *pullRun) (bool, error) {
	upTo, queued, err := p.Store.ActionQueueHead(ctx, p.Store.Pool)
	if err != nil {
		return false, err
	}
	unkeyed := 0
	recordCount := 0
	pb := newPageBatch(store.Tables[entity.Actions.Name])
	opts := halo.ListOptions{}
	if err := p.resumeWalk(ctx, ar, &opts); err != nil {
		return false, err
	}
	// Only a walk from page 1 can tell an empty listing from a broken one.
	first := opts.StartPage <= 1
	var end *halo.WalkEnd
	// The rows are built (and their raw JSON checked, see store.RowOf) on
	// the reading goroutine, ahead of the storing one.
	type actionPage struct {
		halo.Page[entity.Record]
		rows []store.Row // up to the first row without ticket_id
	}
	pages := prefetch(ctx, func(ctx context.Context) iter.Seq2[actionPage, error] {
		return func(yield func(actionPage, error) bool) {
			for page, err := range entity.Actions.List(ctx, p.Halo, &opts) {
				ap := actionPage{Page: page}
				if err == nil {
					ap.rows = make([]store.Row, 0, len(page.Rows))
					for _, a := range page.Rows {
						if tid, _, _ := actionOf(a); tid == 0 {
							break
						}
						ap.rows = append(ap.rows, store.Tables[entity.Actions.Name].RowOf(a))
					}
				}
				if !yield(ap, err) {
					return
				}
			}
		}
	})
	for page, err := range pages {
		if err != nil {
			if first && halo.Classify(err).Class == halo.ClassRejected {
				return false, nil
			}
			serr := p.storeBatch(ctx, ar, pb)
			if bulkTimedOut(ctx, err) {
				// Large tenants time the bulk listing out (halo-api-more.md,
				// corrections): what was read is stored, the rest is read per
				// ticket.
				p.logger().Warn("bulk actions listing timed out; reading actions per ticket", "err", err)
				return false, serr
			}
			return false, err
		}
		if first {
			first = false
			if len(page.Rows) == 0 {
				// An empty answer is believed only where the mirror knows of
				// no action either: on a live tenant it is the listing
				// failing (halo-api-more.md, corrections), not "no actions".
				expects, err := p.Store.ExpectsActions(ctx, p.Store.Pool)
				if err != nil {
					return false, err
				}
				if queued > 0 || expects {
					p.logger().Warn("bulk actions listing answered no rows where actions exist; reading actions per ticket")
					return false, nil
				}
			}
		}
		recordCount = page.RecordCount
		rows := make([]store.Row, 0, len(page.Rows))
		for i, a := range page.Rows {
			tid, id, _ := actionOf(a)
			if tid == 0 {
				// The rows gathered so far are good: store them, as
				// page-by-page storing did, before falling back.
				if err := p.storeBatch(ctx, ar, pb); err != nil {
					return false, fmt.Errorf("store actions page: %w", err)
				}
				return false, nil
			}
			rows = append(rows, ar.track(page.rows[i]))
			ar.seenTickets = append(ar.seenTickets, tid)
			ar.seen = append(ar.seen, id)
		}
		for _, b := range page.Bad {
			// A rejected action still exists in Halo: it counts as seen.
			t, a, ok := actionKey(b.Key)
			if !ok {
				unkeyed++
				continue
			}
			ar.seenTickets, ar.seen = append(ar.seenTickets, t), append(ar.seen, a)
		}
		if pb.overlaps(rows) {
			if err := p.storeBatch(ctx, ar, pb); err != nil {
				return false, fmt.Errorf("store actions page: %w", err)
			}
		}
		ar.total = page.RecordCount
		ar.fetched += len(page.Rows) + len(page.Bad)
		ar.run.Fetched += int64(len(page.Rows) + len(page.Bad))
		if page.End != nil {
			end = page.End
		}
		pb.add(rows, page.Bad, nil, pageMark{fetched: ar.fetched, total: ar.total, page: page.Asked})
		if pb.full() {
			if err := p.storeBatch(ctx, ar, pb); err != nil {
				return false, fmt.Errorf("store actions page: %w", err)
			}
		}
	}
	if err := p.storeBatch(ctx, ar, pb); err != nil {
		return false, fmt.Errorf("store actions page: %w", err)
	}
	ar.end = end // reached, and stored
	if first && queued > 0 {
		return false, nil
	}
	if ar.fetched != recordCount {
		p.logger().Warn("bulk actions walk did not add up; falling back to per-ticket reads", "fetched", ar.fetched, "record_count", recordCount)
		return false, nil
	}
	var drained int64
	err = pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		if unkeyed > 0 {
			// Any action may hide behind a row without a readable key.
			ar.run.Note("reconcile skipped: %d rejected rows carry no readable key", unkeyed)
			var err error
			drained, err = p.Store.DequeueActionsUpTo(ctx, tx, upTo)
			return err
		}
		live, err := p.Store.LiveCount(ctx, tx, store.Tables[entity.Actions.Name])
		if err != nil {
			return err
		}
		// The walk's keys are in halosync.walk_seen (saved with each batch).
		missing, err := p.Store.CountActionsNotWalked(ctx, tx)
		if err != nil {
			return err
		}
		if missing > 0 && float64(missing) > p.share()*float64(live) {
			return &MassDeleteError{Entity: entity.Actions.Name, Missing: missing, Total: live, Share: p.share()}
		}
		if missing > 0 {
			n, err := p.Store.TombstoneActionsNotWalked(ctx, tx)
			if err != nil {
				return err
			}
			ar.run.Tombstoned += int64(n)
		}
		drained, err = p.Store.DequeueActionsUpTo(ctx, tx, upTo)
		return err
	})
	if err != nil {
		return true, err
	}
	p.tidyQueue(ctx, drained)
	return true, nil
}

// tidyQueueAfter is how many entries a bulk walk drains before it vacuums the action queue (a first sync's
// drain of every ticket); smaller drains are autovacuum's.
const tidyQueueAfter = 1000

// tidyQueue vacuums the action queue after a drain of at least tidyQueueAfter entries.
func (p *Puller) tidyQueue(ctx context.Context, drained int64) {
	if drained < tidyQueueAfter {
		return
	}
	if err := p.Store.TidyActionQueue(ctx); err != nil {
		p.logger().Warn("could not vacuum the drained action queue; autovacuum will", "err", err)
	}
}

// bulkClockMargin is how much earlier than a bulk walk's start (on Halo's
// clock, as known to a second) a ticket's last action must be for the walk
// to count as having listed it.
const bulkClockMargin = time.Minute

// coveredByBulk takes off the queue the tickets the tickets walk queued while
// the bulk walk ran beside it, whose actions that walk listed: those whose
// last action (lastactiondate, as stored) is older than the walk's start. A
// ticket whose last action came later stays queued and is read by itself;
// so does every ticket queued after the walk started, should the walk have
// listed no action at all: the listing failing (halo-api-more.md,
// corrections), not "no actions", where the tickets walk found tickets with
// actions. It reports false for that fallback.
func (p *Puller) coveredByBulk(ctx context.Context, ar *pullRun) (bool, error) {
	if ar.walkStart == nil {
		return true, nil // no page stored: nothing listed, nothing to take off
	}
	if ar.fetched == 0 {
		changed, _, err := p.Store.DueActions(ctx, p.Store.Pool, 1)
		if err != nil {
			return false, err
		}
		if len(changed) > 0 {
			p.logger().Warn("bulk actions listing answered no rows where tickets have actions; reading actions per ticket", "tickets", len(changed))
			return false, nil
		}
	}
	drained, err := p.Store.DequeueActionsBefore(ctx, p.Store.Pool, ar.walkStart.Add(-bulkClockMargin))
	if err != nil {
		return false, err
	}
	p.tidyQueue(ctx, drained)
	return true, nil
}

// bulkTimedOut reports whether the bulk walk failed by timing out (the
// request's own timeout or a gateway's 504), not because the pull itself was
// cancelled or must wait.
func bulkTimedOut(ctx context.Context, err error) bool {
	return ctx.Err() == nil && halo.Classify(err).Timeout()
}

// actionKey reads a rejected action's "ticket_id/id" key (halo.BadRow.Key).
func actionKey(key string) (ticketID, id int64, ok bool) {
	t, a, found := strings.Cut(key, "/")
	if !found {
		return 0, 0, false
	}
	ticketID, err1 := strconv.ParseInt(t, 10, 64)
	id, err2 := strconv.ParseInt(a, 10, 64)
	return ticketID, id, err1 == nil && err2 == nil && ticketID > 0 && id > 0
}
