package sync

import (
	"github.com/halosync/halosync/halo"
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
