package sync

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// Reading by date windows (entity.ByWindow). Time entries and timesheets
// (Paging DateBounded) ignore paging and must be bounded: unbounded, Halo
// returns every row it has in one reply. They are read one calendar month per
// request, from the configured history (a full pull) or the last Recent (an
// incremental one) up to Ahead of now. Appointments page normally; their
// incremental pull is one paged walk of the window around today, their full
// pull an unbounded walk (the normal reconcile).

// DefaultHistory is how far back a full pull of a date-bounded entity reads
// when Puller.History is not set: a year of time entries and timesheets.
const DefaultHistory = 365 * 24 * time.Hour

// window is one date range sent as an entity's Bounds parameters.
type window struct{ from, to time.Time }

// dateWindows covers [from, to) with calendar-month windows. Each window
// starts a day before its month: whether Halo filters on an entry's start or
// its end, an entry crossing midnight at a month's end is in one of them (the
// overlap's repeats are dropped by key).
func dateWindows(from, to time.Time) []window {
	var out []window
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(to); m = m.AddDate(0, 1, 0) {
		out = append(out, window{from: m.Add(-24 * time.Hour), to: m.AddDate(0, 1, 0)})
	}
	return out
}

func (p *Puller) history() time.Duration {
	if p.History > 0 {
		return p.History
	}
	return DefaultHistory
}

// planWindows decides what a pull of a ByWindow entity reads: the windows
// of a date-bounded entity (full: since the history; incremental: the last
// Recent), or the one window of an incremental read of a paged one (a full
// read of a paged entity is unbounded: nil).
func (p *Puller) planWindows(pr *pullRun, now time.Time) []window {
	b := pr.spec.Bounds
	from := now.Add(-b.Recent)
	if pr.fullWalk {
		if pr.spec.Paging != entity.DateBounded {
			return nil
		}
		from = now.Add(-p.history())
	}
	if pr.spec.Paging == entity.DateBounded {
		return dateWindows(from, now.Add(b.Ahead))
	}
	return []window{{from: from, to: now.Add(b.Ahead)}}
}

// windowParams are the Bounds parameters of w, as ISO date-times (a
// date-only value mis-filters on a live tenant).
func (s *spec) windowParams(w window) url.Values {
	return url.Values{s.Bounds.From: {halo.FormatQueryTime(w.from)}, s.Bounds.To: {halo.FormatQueryTime(w.to)}}
}

// walkWindows lists the entity window after window, one list walk each,
// dropping rows an earlier window listed. Only the batch that ends the last
// window carries an end, so a walk cut anywhere has none; seen collects the
// key of every row listed, stored or rejected (a rejected record still
// exists; the pull counts rejected rows without a readable key).
func (s *spec) walkWindows(ctx context.Context, c *halo.Client, opts halo.ListOptions, windows []window, seen map[string]bool) iter.Seq2[batch, error] {
	t := s.table()
	return func(yield func(batch, error) bool) {
		rows := 0
		for i, w := range windows {
			o := opts
			o.Params = url.Values{}
			maps.Copy(o.Params, opts.Params)
			maps.Copy(o.Params, s.windowParams(w))
			for b, err := range s.walk(ctx, c, o) {
				if err != nil {
					yield(batch{}, fmt.Errorf("window %s – %s: %w", w.from.Format(time.DateOnly), w.to.Format(time.DateOnly), err))
					return
				}
				fresh := b.rows[:0:0]
				for _, r := range b.rows {
					k := t.KeyString(r.Keys)
					if !seen[k] {
						seen[k] = true
						fresh = append(fresh, r)
					}
				}
				b.rows = fresh
				for _, bad := range b.bad {
					seen[bad.Key] = true
				}
				rows += len(b.rows) + len(b.bad)
				ended := b.end != nil
				b.end = nil
				if i == len(windows)-1 && ended {
					b.end = &halo.WalkEnd{Rows: rows, RecordCount: -1, Reason: fmt.Sprintf("%d windows", len(windows))}
				}
				if !yield(b, nil) {
					return
				}
			}
		}
	}
}

// reconcileWindows tombstones the live rows whose Bounds column lies in the
// range a complete walk of windows covered and that none of its windows
// listed, behind the mass-delete guard (its share of the rows in the range).
func (p *Puller) reconcileWindows(ctx context.Context, pr *pullRun) error {
	t := pr.spec.table()
	from, to := pr.windows[0].from, pr.windows[len(pr.windows)-1].to
	return pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		live, err := p.Store.LiveKeysBetween(ctx, tx, t, pr.spec.Bounds.Column, from, to)
		if err != nil {
			return err
		}
		var missing [][]any
		for _, k := range live {
			if !pr.windowSeen[t.KeyString(k)] {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if float64(len(missing)) > p.share()*float64(len(live)) {
			return &MassDeleteError{Entity: pr.spec.Name, Missing: len(missing), Total: len(live), Share: p.share()}
		}
		n, err := p.Store.Tombstone(ctx, tx, t, missing)
		pr.run.Tombstoned += int64(n)
		return err
	})
}

// storeNested stores the child rows nested in the parent rows of a batch
// (invoice lines in their invoice's "lines"), in the batch's transaction:
// the children each parent carried, their rejects, and the tombstones of the
// children a parent no longer lists. A parent row without the field says
// nothing about its children and leaves them alone.
func (p *Puller) storeNested(ctx context.Context, tx pgx.Tx, pr *pullRun, parents []store.Row) error {
	for _, child := range entity.Children(pr.spec.Name) {
		if child.Nested == "" {
			continue
		}
		ct := store.Tables[child.Name]
		var rows []store.Row
		var carriers []int64
		var seen [][]any
		for _, parent := range parents {
			recs, bad, carried, err := child.NestedRecords(parent.Raw, parent.Keys)
			if err != nil {
				return fmt.Errorf("%s of %s %v: %w", child.Name, pr.spec.Name, parent.Keys, err)
			}
			for _, b := range bad {
				key := b.Key
				if key == "" {
					// a row that may be any of the parent's: its missing rows cannot be told
					key, carried = "?", false
				}
				if err := p.Store.Reject(ctx, tx, child.Name, key, b.Raw, b.Err.Error()); err != nil {
					return err
				}
			}
			for _, rec := range recs {
				rows = append(rows, ct.RowOf(rec))
			}
			if !carried {
				continue
			}
			id, ok := parent.Keys[0].(int64)
			if !ok {
				return fmt.Errorf("%s: nested rows need an integer parent key, got %T", child.Name, parent.Keys[0])
			}
			carriers = append(carriers, id)
			for _, rec := range recs {
				seen = append(seen, rec.Keys)
			}
			for _, b := range bad {
				// a row that exists but cannot be stored is not a deleted one
				if k, ok := nestedKey(b.Key, id); ok {
					seen = append(seen, k)
				}
			}
		}
		if len(rows) == 0 && len(carriers) == 0 {
			continue
		}
		res, err := p.Store.Upsert(ctx, tx, ct, rows)
		if err != nil {
			return err
		}
		for _, r := range res.Rejected {
			if err := p.Store.Reject(ctx, tx, child.Name, ct.KeyString(r.Row.Keys), r.Row.Raw, r.Reason); err != nil {
				return err
			}
		}
		if _, err := p.Store.TombstoneMissingUnder(ctx, tx, ct, carriers, seen); err != nil {
			return err
		}
	}
	return nil
}

// nestedKey reads a rejected nested row's key text ("9/55": parent id, row
// id) back into key values.
func nestedKey(key string, parent int64) ([]any, bool) {
	var p, id int64
	if _, err := fmt.Sscanf(key, "%d/%d", &p, &id); err != nil || p != parent {
		return nil, false
	}
	return []any{parent, id}, true
}

// tombstoneNestedOfDeleted tombstones the nested children of parents the
// reconcile just tombstoned (an invoice's lines go with it).
func (p *Puller) tombstoneNestedOfDeleted(ctx context.Context, tx pgx.Tx, parent *spec) error {
	for _, child := range entity.Children(parent.Name) {
		if child.Nested == "" {
			continue
		}
		if _, err := p.Store.TombstoneUnderDeleted(ctx, tx, store.Tables[child.Name], parent.table()); err != nil {
			return err
		}
	}
	return nil
}
