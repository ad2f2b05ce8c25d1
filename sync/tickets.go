package sync

import (
	"context"
	"slices"

	"github.com/halosync/halosync/store"
)

// ticketChildren is the rest of a tickets pull, under the tickets lock: the
// actions (children of tickets, their own ledger row and state), then the
// attachments, read by what the tickets and actions say (attachments.go;
// their failure is their own run's). runs are the pull's so far; full asks
// for a full actions pull. The tickets and actions are analysed while the
// attachments are read, on another connection: after a first sync that is
// most of a second the attachment reads, which wait on Halo, hide.
//
// actions is the actions pull whose bulk walk ran beside the tickets walk
// (nil when the actions are not walked in bulk). The two walks are a first
// sync's longest parts, and each mostly waits on its own connection's
// writes; the tickets walk queues, as always, the tickets whose actions must
// be read, and the bulk walk, once both are done, takes off the queue those
// whose actions it listed (coveredByBulk).
func (p *Puller) ticketChildren(ctx context.Context, runs []*store.Run, full bool, actions *actionsPull) ([]*store.Run, error) {
	var ar *store.Run
	var err error
	if actions != nil {
		ar, err = p.finishActions(actions, nil)
	} else {
		ar, err = p.pullActions(ctx, full)
	}
	if ar != nil {
		runs = append(runs, ar)
	}
	if err != nil {
		p.analyze(ctx, runs)
		return runs, err
	}
	analysed := make(chan struct{})
	go func(runs []*store.Run) {
		defer close(analysed)
		p.analyze(ctx, runs)
	}(slices.Clone(runs))
	run := p.pullAttachments(ctx)
	<-analysed
	if run != nil {
		runs = append(runs, run)
		p.analyze(ctx, []*store.Run{run})
	}
	return runs, nil
}
