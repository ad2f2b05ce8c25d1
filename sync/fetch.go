package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// PriorityFetch is the halo.WithPriority of targeted fetches (webhooks): above
// the default 0 of bulk pulls, so a shared rate budget lets a single ticket
// ahead of a long walk and a Halo change reaches the mirror in about a second.
const PriorityFetch = PriorityHigh

// FetchTicket re-reads one ticket and all its actions from Halo and stores
// them through the same paths as a pull: GET /api/Tickets/{id}, then
// GET /api/Actions?ticket_id={id}. It trusts nothing but Halo's answer (a
// webhook's payload only names the ticket). A ticket Halo reports deleted, or
// no longer knows (404), is tombstoned with its actions. The work is one
// ledger row (entity tickets, mode webhook); the entity's cursor is left
// alone, so polling stays the backstop.
func (p *Puller) FetchTicket(ctx context.Context, id int64) (*store.Run, error) {
	if id <= 0 {
		return nil, fmt.Errorf("fetch ticket: invalid id %d", id)
	}
	ctx = halo.WithPriority(ctx, PriorityFetch)
	ctx, counter := halo.WithRequestCounter(ctx)
	started := time.Now()
	run := &store.Run{Entity: entity.Tickets.Name, Mode: "webhook", StartedAt: started}
	var err error
	if run.ID, err = p.Store.StartRun(ctx, entity.Tickets.Name, run.Mode); err != nil {
		return nil, fmt.Errorf("fetch ticket %d: start run: %w", id, err)
	}
	err = p.fetchTicket(ctx, id, run, counter, started)
	run.Requests = counter.Load()
	if err != nil {
		run.Error = err.Error()
	}
	if ferr := p.Store.FinishRun(context.WithoutCancel(ctx), p.Store.Pool, run); ferr != nil && err == nil {
		err = ferr
	}
	p.observe(run)
	if err != nil {
		return run, fmt.Errorf("fetch ticket %d: %w", id, err)
	}
	return run, nil
}

func (p *Puller) fetchTicket(ctx context.Context, id int64, run *store.Run, counter *halo.RequestCounter, started time.Time) error {
	rec, err := entity.Tickets.Get(ctx, p.Halo, []any{id})
	gone := halo.Classify(err).Class == halo.ClassNotFound
	if err != nil && !gone {
		return err
	}
	table := store.Tables[entity.Tickets.Name]
	if gone || ticketOf(rec).deleted {
		return pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
			n, err := p.Store.Tombstone(ctx, tx, table, [][]any{{id}})
			run.Tombstoned += int64(n)
			if err != nil {
				return err
			}
			if err := p.Store.TombstoneActionsOfDeletedTickets(ctx, tx); err != nil {
				return err
			}
			return p.Store.DequeueActions(ctx, tx, []int64{id})
		})
	}
	run.Fetched++
	row := table.RowOf(rec)
	err = pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		res, err := p.Store.Upsert(ctx, tx, table, []store.Row{row})
		if err != nil {
			return err
		}
		run.Inserted += int64(res.Inserted)
		run.Updated += int64(res.Updated)
		run.Unchanged += int64(res.Unchanged)
		pr := &pullRun{spec: specs[entity.Tickets.Name], run: run, counter: counter, started: started}
		return p.reject(ctx, tx, pr, nil, res.Rejected)
	})
	if err != nil {
		return fmt.Errorf("store ticket: %w", err)
	}
	ar := &pullRun{spec: specs[entity.Actions.Name], run: run, counter: counter, started: started}
	return p.ticketActions(ctx, ar, id)
}

// observe hands a finished run to OnRun (metrics), if set.
func (p *Puller) observe(r *store.Run) {
	if p.OnRun != nil && r != nil {
		p.OnRun(r)
	}
}
