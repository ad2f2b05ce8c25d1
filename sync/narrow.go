package sync

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// narrowMinTickets is the fewest queued tickets for which an incremental
// pull tries the bulk actions walk narrowed by startdate: below it, one
// request per ticket is as cheap as the walk's first page.
const narrowMinTickets = 3

// narrowedActions reads the actions added since the actions cursor (less the
// overlap) with one paged walk of GET /api/Actions?startdate=…, instead of one
// request per queued ticket, when that is cheaper (halo-api.md §12.12). It is
// tried only where the bulk walk works and startdate has not been seen
// ignored. A queued ticket leaves the queue only when the walk returned the
// action its lastactiondate points at; every other one is still read by
// itself afterwards, so nothing depends on the narrowed walk being complete.
func (p *Puller) narrowedActions(ctx context.Context, ar *pullRun, queued []int64) error {
	st := ar.state
	if len(queued) < narrowMinTickets || st.Cursor == nil || st.BulkActions == nil || !*st.BulkActions ||
		(st.IncrementalHonoured != nil && !*st.IncrementalHonoured) {
		return nil
	}
	bound := st.Cursor.Add(-p.overlap())
	params := url.Values{"startdate": {halo.FormatQueryTime(bound)}}
	var rows []store.Row
	latest := map[int64][]*time.Time{} // ticket → datetimes of its listed actions
	first := true
	for page, err := range entity.Actions.List(ctx, p.Halo, &halo.ListOptions{Params: params}) {
		if err != nil {
			if bulkTimedOut(ctx, err) {
				// As with the full bulk walk: the listing does not work on
				// this tenant. The queued tickets are read one by one, now
				// and from now on.
				bulk := false
				st.BulkActions = &bulk
				p.logger().Warn("narrowed actions listing timed out; reading actions per ticket", "err", err)
				return nil
			}
			return err
		}
		if first {
			first = false
			// A walk longer than the per-ticket reads it replaces is not
			// worth it: stop after its first page.
			if pages := (page.RecordCount + 99) / 100; page.RecordCount < 0 || pages >= len(queued) {
				break
			}
		}
		for _, a := range page.Rows {
			tid, _, at := actionOf(a)
			if tid == 0 || (at != nil && at.Before(bound)) {
				// Rows older than the bound: the server ignored startdate.
				honoured := false
				st.IncrementalHonoured = &honoured
				p.logger().Info("Halo ignores startdate on the actions listing; reading actions per ticket")
				return nil
			}
			rows = append(rows, ar.track(store.Tables[entity.Actions.Name].RowOf(a)))
			latest[tid] = append(latest[tid], at)
		}
		ar.run.Fetched += int64(len(page.Rows) + len(page.Bad))
	}
	if len(rows) == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		res, err := p.Store.Upsert(ctx, tx, store.Tables[entity.Actions.Name], rows)
		if err != nil {
			return err
		}
		ar.run.Inserted += int64(res.Inserted)
		ar.run.Updated += int64(res.Updated)
		ar.run.Unchanged += int64(res.Unchanged)
		if err := p.reject(ctx, tx, ar, nil, res.Rejected); err != nil {
			return err
		}
		known, err := p.Store.TicketVersions(ctx, tx, queued)
		if err != nil {
			return err
		}
		var covered []int64
		for _, id := range queued {
			v, ok := known[id]
			if !ok || v.LastActionDate == nil {
				continue
			}
			for _, dt := range latest[id] {
				if dt != nil && sameTime(dt, v.LastActionDate) {
					covered = append(covered, id)
					break
				}
			}
		}
		if err := p.Store.DequeueActions(ctx, tx, covered); err != nil {
			return fmt.Errorf("dequeue covered tickets: %w", err)
		}
		return nil
	})
}
