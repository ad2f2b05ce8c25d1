// Package sync moves records between Halo and the Postgres mirror: it pulls
// one entity at a time (page → decoded record → row → store) and keeps the
// cursor, ledger and rejects that make a pull resumable and auditable. What
// is specific to an entity comes from its declaration (internal/entity); the
// code here is the same for every entity, except where tickets carry their
// actions. It knows the halo client and the store; it knows neither River
// nor HTTP.
package sync

import (
	"context"
	"iter"
	"time"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// PullOrder lists the entities a complete cycle pulls, from the
// declarations: lookups first, so that analysts joining tickets to statuses
// find both. Actions are pulled by the tickets pull (they are children of
// tickets), so they are not listed.
var PullOrder = entity.Names(entity.Pulled())

// IsEntity reports whether name is an entity pulled on its own.
func IsEntity(name string) bool {
	e, ok := entity.Lookup(name)
	return ok && e.Parent == ""
}

// batch is one page of an entity turned into rows.
type batch struct {
	rows        []store.Row
	bad         []halo.BadRow
	recordCount int
	page        int // the page_no it was asked with
	// end is set on the last batch of a walk that reached its end.
	end *halo.WalkEnd
	// tickets holds what the pull needs of a tickets page's records, so it
	// can decide whose actions to re-read.
	tickets []ticketFacts
}

// spec is how the pull reads one entity: its declaration and its table.
type spec struct {
	*entity.Entity
}

func (s *spec) table() *store.Table { return store.Tables[s.Name] }

// specs holds the entities pulled on their own, and actions, by name.
var specs = func() map[string]*spec {
	m := map[string]*spec{}
	for _, e := range entity.All() {
		m[e.Name] = &spec{Entity: e}
	}
	return m
}()

// walk lists the entity page by page (opts: filters, and where a resumed
// walk starts), turning each page into rows.
func (s *spec) walk(ctx context.Context, c *halo.Client, opts halo.ListOptions) iter.Seq2[batch, error] {
	t := s.table()
	return func(yield func(batch, error) bool) {
		for page, err := range s.List(ctx, c, &opts) {
			if err != nil {
				yield(batch{}, err)
				return
			}
			b := batch{bad: page.Bad, recordCount: page.RecordCount, page: page.Asked, end: page.End, rows: make([]store.Row, 0, len(page.Rows))}
			for _, rec := range page.Rows {
				b.rows = append(b.rows, t.RowOf(rec))
				if s.Entity == entity.Tickets {
					b.tickets = append(b.tickets, ticketOf(rec))
				}
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}

// ticketFacts is what the pull's own logic reads of a ticket record (the
// columns themselves come from the declaration).
type ticketFacts struct {
	id             int64
	lastActionDate *time.Time
	deleted        bool
	// deletedKnown says whether the record carried a deleted field at all:
	// the published list-row schema (Faults_List) has none, so a list row
	// without it says nothing about whether the ticket is deleted.
	deletedKnown bool
}

func ticketOf(rec entity.Record) ticketFacts {
	f := ticketFacts{id: rec.Keys[0].(int64), deletedKnown: rec.Sent("deleted")}
	if t, ok := rec.Value("lastactiondate").(time.Time); ok {
		f.lastActionDate = &t
	}
	f.deleted, _ = rec.Value("deleted").(bool)
	return f
}

// actionOf reads an action record's key and time.
func actionOf(rec entity.Record) (ticketID, id int64, at *time.Time) {
	if t, ok := rec.Value("datetime").(time.Time); ok {
		at = &t
	}
	return rec.Keys[0].(int64), rec.Keys[1].(int64), at
}
