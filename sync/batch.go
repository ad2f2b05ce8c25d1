package sync

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// batchRows is how many rows a walk gathers, over consecutive pages, before
// storing them in one transaction. One transaction per 100-row page cost
// about seven round trips, a staging TRUNCATE and a commit per page, most of
// an initial sync's database time (issue 11); at 1,000 rows the eight or so
// round trips of each batch were still a sixth of a first sync's database
// time on a loaded machine (issue 19). The crash-safety argument is
// unchanged: the cursor only moves in finish, so a crash loses at most the
// batch in flight and the re-run re-reads it from the same bound (20 pages,
// plus those read ahead: against the thousands of pages of a backfill that
// needs resuming, still under 1 %).
const batchRows = 2000

// pageBatch gathers the pages of a walk until they are stored together.
// A page whose keys repeat a key already gathered (offset paging over live
// data can list a record twice) is stored in a transaction of its own, so the
// inserted/updated/unchanged counts are the ones page-by-page storing gives.
type pageBatch struct {
	table   *store.Table
	rows    []store.Row
	bad     []halo.BadRow
	tickets []ticketFacts
	keys    map[string]struct{}
	// pages holds the progress to report, one entry per gathered page,
	// once the batch is stored.
	pages []pageMark
}

// pageMark is the progress of a walk after one page: rows listed so far,
// record_count, and the page_no the page was asked with.
type pageMark struct{ fetched, total, page int }

func newPageBatch(t *store.Table) *pageBatch {
	return &pageBatch{table: t, keys: make(map[string]struct{}, batchRows+100)}
}

func (b *pageBatch) empty() bool { return len(b.pages) == 0 }

// full reports whether the batch should be stored now.
func (b *pageBatch) full() bool { return len(b.rows)+len(b.bad) >= batchRows }

// overlaps reports whether rows repeat a key already in the batch.
func (b *pageBatch) overlaps(rows []store.Row) bool {
	if len(b.keys) == 0 {
		return false
	}
	for _, r := range rows {
		if _, ok := b.keys[b.table.KeyString(r.Keys)]; ok {
			return true
		}
	}
	return false
}

// add gathers one page.
func (b *pageBatch) add(rows []store.Row, bad []halo.BadRow, tickets []ticketFacts, mark pageMark) {
	for _, r := range rows {
		b.keys[b.table.KeyString(r.Keys)] = struct{}{}
	}
	b.rows = append(b.rows, rows...)
	b.bad = append(b.bad, bad...)
	b.tickets = append(b.tickets, tickets...)
	b.pages = append(b.pages, mark)
}

// reset empties the batch for the next pages.
func (b *pageBatch) reset() {
	b.rows = b.rows[:0]
	b.bad = b.bad[:0]
	b.tickets = b.tickets[:0]
	b.pages = b.pages[:0]
	clear(b.keys)
}

// storeBatch stores the gathered pages of a walk in one transaction: the
// action queue entries of its tickets, the rows, and the rejects. It then
// reports progress for each of its pages and empties the batch.
func (p *Puller) storeBatch(ctx context.Context, pr *pullRun, pb *pageBatch) error {
	if pb.empty() {
		return nil
	}
	err := pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		if pr.spec.Name == entity.Tickets.Name {
			if err := p.queueActions(ctx, tx, pb.tickets); err != nil {
				return err
			}
		}
		res, err := p.Store.Upsert(ctx, tx, pb.table, pb.rows)
		if err != nil {
			return err
		}
		if err := p.storeNested(ctx, tx, pr, pb.rows); err != nil {
			return err
		}
		pr.run.Inserted += int64(res.Inserted)
		pr.run.Updated += int64(res.Updated)
		pr.run.Unchanged += int64(res.Unchanged)
		if err := p.reject(ctx, tx, pr, pb.bad, res.Rejected); err != nil {
			return err
		}
		return p.saveWalk(ctx, tx, pr, pb.pages[len(pb.pages)-1])
	})
	if err != nil {
		return fmt.Errorf("store page: %w", err)
	}
	pr.walkSaved()
	for _, m := range pb.pages {
		p.progressAt(pr, m)
	}
	pb.reset()
	return nil
}

// reject records the rows that could not be decoded or stored.
func (p *Puller) reject(ctx context.Context, q store.Querier, pr *pullRun, bad []halo.BadRow, rejected []store.RejectedRow) error {
	for _, b := range bad {
		key := b.Key
		if key == "" {
			key = "?"
		}
		if err := p.Store.Reject(ctx, q, pr.spec.Name, key, b.Raw, b.Err.Error()); err != nil {
			return err
		}
		pr.run.Rejected++
		p.logger().Warn("record rejected", "entity", pr.spec.Name, "key", key, "reason", b.Err.Error())
	}
	for _, r := range rejected {
		key := entity.KeyString(r.Row.Keys)
		if err := p.Store.Reject(ctx, q, pr.spec.Name, key, r.Row.Raw, r.Reason); err != nil {
			return err
		}
		pr.run.Rejected++
		p.logger().Warn("record rejected", "entity", pr.spec.Name, "key", key, "reason", r.Reason)
	}
	return nil
}
