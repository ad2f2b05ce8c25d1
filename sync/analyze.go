package sync

import (
	"context"

	"github.com/halosync/halosync/store"
)

// analyze analyses (and, where autovacuum is off, vacuums) the tables the runs wrote much of
// (store.AnalyzeAfterWrites),
// so analysts' queries are planned for the data a first or full sync just loaded. A failure only costs
// speed, so it is logged, not returned.
func (p *Puller) analyze(ctx context.Context, runs []*store.Run) {
	for _, r := range runs {
		if ctx.Err() != nil {
			return
		}
		ran, err := p.Store.AnalyzeAfterWrites(ctx, r)
		if err != nil {
			p.logger().Warn("analyze after pull failed", "entity", r.Entity, "error", err)
			continue
		}
		if ran != "" {
			p.logger().Info("analyzed table after bulk write", "entity", r.Entity, "statement", ran,
				"written", r.Inserted+r.Updated+r.Tombstoned)
		}
	}
}
