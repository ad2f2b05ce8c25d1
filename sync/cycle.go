package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"sync/atomic"

	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// Cycle pulls the given entities (all of PullOrder when empty). One entity's
// failure (a 403 on tickets, say) does not stop the others; the joined error
// names every entity that failed. The runs come back in the order of the
// entities.
//
// The lookups listed first are pulled first, one after the other, then, on a
// first sync, the recent window of tickets and actions (PullRecent), then the
// rest in their order. With Concurrency above 1 the rest are pulled that many
// at a time, as a worker runs its pull jobs, tickets first: with their
// actions and attachments they are most of a first sync, and while they are
// stored on one connection the other entities are stored on others (issue
// 19: the database works on two cores instead of one). The requests are the
// same either way; the rate budget spreads them.
func (p *Puller) Cycle(ctx context.Context, entities []string, full bool) ([]*store.Run, error) {
	if len(entities) == 0 {
		entities = PullOrder
	}
	c := &cycle{p: p, entities: entities, full: full, results: make([]cycleResult, len(entities))}
	rest := c.lookupsAndRecent(ctx)
	if p.Concurrency > 1 {
		slices.SortStableFunc(rest, func(a, b int) int {
			return ticketsFirst(entities[a]) - ticketsFirst(entities[b])
		})
	}
	// Each pull at once needs about three connections (its entity lock, its
	// batches, the ANALYZE after it): a smaller pool gets fewer at once.
	lanes := p.Concurrency
	if pool := p.Store.Pool; pool != nil {
		lanes = min(lanes, int(pool.Config().MaxConns)/3)
	}
	next := make(chan int, len(rest))
	for _, i := range rest {
		next <- i
	}
	close(next)
	var wg gosync.WaitGroup
	for range max(1, min(lanes, len(rest))) {
		wg.Go(func() {
			for i := range next {
				c.pull(ctx, i)
			}
		})
	}
	wg.Wait()
	return c.flatten(ctx)
}

// cycle is one Cycle's entities and what each got: results[i] holds the
// runs and error of entities[i] (for tickets also the recent window's).
type cycle struct {
	p        *Puller
	entities []string
	full     bool
	results  []cycleResult
	skipped  atomic.Bool // an entity was left out because ctx ended
}

type cycleResult struct {
	runs []*store.Run
	err  error
}

// lookupsAndRecent pulls the lookups at the head of the list and the recent
// window, and returns the indexes of the entities left to pull.
func (c *cycle) lookupsAndRecent(ctx context.Context) []int {
	var rest []int
	recentDone := !slices.Contains(c.entities, entity.Tickets.Name)
	recentFailed := false
	for i, e := range c.entities {
		d, ok := entity.Lookup(e)
		lookup := ok && d.IsLookup()
		if !lookup && !recentDone {
			if ctx.Err() != nil {
				c.skipped.Store(true)
				return nil
			}
			recentDone = true
			rs, err := c.p.PullRecent(ctx)
			c.results[i].runs = rs // (i is the first entity after the lookups; its slot is free until its pull)
			if err != nil {
				// Reported as the tickets pull's failure; that pull
				// would only meet the same error (or an open breaker).
				c.results[i].err = fmt.Errorf("pull %s: %w", entity.Tickets.Name, err)
				recentFailed = true
			}
		}
		switch {
		case e == entity.Tickets.Name && recentFailed:
		case !lookup || len(rest) > 0:
			rest = append(rest, i)
		default:
			c.pull(ctx, i)
		}
	}
	return rest
}

// pull pulls entities[i] into results[i], unless ctx has ended.
func (c *cycle) pull(ctx context.Context, i int) {
	if ctx.Err() != nil {
		c.skipped.Store(true)
		return
	}
	rs, err := c.p.Pull(ctx, c.entities[i], c.full)
	c.results[i].runs = append(c.results[i].runs, rs...)
	if err != nil {
		c.results[i].err = errors.Join(c.results[i].err, err)
	}
}

// flatten joins the results in entity order; entities left out because ctx
// ended add its error once.
func (c *cycle) flatten(ctx context.Context) ([]*store.Run, error) {
	var runs []*store.Run
	var errs []error
	for _, r := range c.results {
		runs = append(runs, r.runs...)
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if c.skipped.Load() {
		errs = append(errs, ctx.Err())
	}
	return runs, errors.Join(errs...)
}

func ticketsFirst(e string) int {
	if e == entity.Tickets.Name {
		return 0
	}
	return 1
}
