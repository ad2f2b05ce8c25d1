package sync

import (
	"context"
	"net/url"
	"time"

	"github.com/halosync/halosync/halo"
)

// probeFilter answers "does Halo honour lastupdatefromdate on this entity?"
// when the rows of its walk carried no last-update time to compare with the
// bound (Halo's published list rows of sites and assets have none): it lists
// the entity changed since a day ahead of Halo's clock. A server that
// honours the filter answers no row; one that ignores it answers the table
// (which then was a full walk, reconciled like one). With no row in Halo or
// the mirror there is nothing to tell by, and the question stays open.
func (p *Puller) probeFilter(ctx context.Context, pr *pullRun) error {
	if pr.fetched == 0 && pr.state.Rows == 0 {
		return nil
	}
	params := url.Values{}
	params.Set("lastupdatefromdate", halo.FormatQueryTime(time.Now().Add(p.Halo.ClockOffset()+24*time.Hour)))
	for b, err := range pr.spec.walk(ctx, p.Halo, halo.ListOptions{Params: params}) {
		if err != nil {
			return err
		}
		pr.ignored = len(b.rows)+len(b.bad) > 0
		honoured := !pr.ignored
		pr.state.IncrementalHonoured = &honoured
		if pr.ignored {
			p.logger().Info("Halo ignores lastupdatefromdate here; pulls will walk the whole list", "entity", pr.spec.Name)
		}
		break // the first page answers
	}
	return nil
}
