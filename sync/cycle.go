package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// Cycle pulls the given entities (all of PullOrder when empty) one after the
// other. One entity's failure (a 403 on tickets, say) does not stop the
// others; the joined error names every entity that failed.
func (p *Puller) Cycle(ctx context.Context, entities []string, full bool) ([]*store.Run, error) {
	if len(entities) == 0 {
		entities = PullOrder
	}
	var runs []*store.Run
	var errs []error
	// A first sync stores the recent tickets and actions (PullRecent) right
	// after the lookups, before the other entities and the ticket history.
	recentDone, failed := !slices.Contains(entities, entity.Tickets.Name), false
	for _, e := range entities {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		if d, ok := entity.Lookup(e); !recentDone && !(ok && d.IsLookup()) {
			recentDone = true
			rs, err := p.PullRecent(ctx)
			runs = append(runs, rs...)
			if err != nil {
				// Reported as the tickets pull's failure; that pull
				// would only meet the same error (or an open breaker).
				errs = append(errs, fmt.Errorf("pull %s: %w", entity.Tickets.Name, err))
				failed = true
			}
		}
		if e == entity.Tickets.Name && failed {
			continue
		}
		rs, err := p.Pull(ctx, e, full)
		runs = append(runs, rs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return runs, errors.Join(errs...)
}
