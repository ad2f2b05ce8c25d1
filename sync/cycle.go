package sync

import (
	"context"
	"errors"

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
	for _, e := range entities {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		rs, err := p.Pull(ctx, e, full)
		runs = append(runs, rs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return runs, errors.Join(errs...)
}
