package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// QueueActionSweep queues every live ticket that has actions — by Halo's word (a lastactiondate) or in
// the mirror — for a per-ticket re-read of its actions, as a sweep entry (action_queue.sweep): the full
// reconcile of actions where Halo's bulk listing cannot be used. A ticket with neither has nothing to
// reconcile. Tickets already queued keep their entry and place, so re-queueing an unfinished sweep
// changes nothing. Returns how many tickets it added.
func (s *Store) QueueActionSweep(ctx context.Context, q Querier) (int, error) {
	tag, err := q.Exec(ctx, `INSERT INTO halosync.action_queue (ticket_id, sweep)
SELECT t.id, true FROM halo.tickets t WHERE t.deleted_at IS NULL AND t.id > 0
    AND (t.lastactiondate IS NOT NULL OR EXISTS (SELECT 1 FROM halo.actions a WHERE a.ticket_id = t.id AND a.deleted_at IS NULL))
ORDER BY t.id
ON CONFLICT (ticket_id) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("queue actions sweep: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// DueActions lists the queued tickets a pull reads: every ticket queued because it changed, in queue
// order, and up to sweepLimit sweep entries (all of them when sweepLimit <= 0), oldest first.
func (s *Store) DueActions(ctx context.Context, q Querier, sweepLimit int) (changed, sweep []int64, err error) {
	var limit *int
	if sweepLimit > 0 {
		limit = &sweepLimit
	}
	rows, err := q.Query(ctx, `(SELECT ticket_id, false FROM halosync.action_queue WHERE NOT sweep ORDER BY seq)
UNION ALL
(SELECT ticket_id, true FROM halosync.action_queue WHERE sweep ORDER BY seq LIMIT $1)`, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("list action queue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var isSweep bool
		if err := rows.Scan(&id, &isSweep); err != nil {
			return nil, nil, fmt.Errorf("list action queue: %w", err)
		}
		if isSweep {
			sweep = append(sweep, id)
		} else {
			changed = append(changed, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("list action queue: %w", err)
	}
	return changed, sweep, nil
}

// TicketsWithoutActions returns those of ids that have no live action in the mirror.
func (s *Store) TicketsWithoutActions(ctx context.Context, q Querier, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT t FROM unnest($1::bigint[]) AS t
WHERE NOT EXISTS (SELECT 1 FROM halo.actions a WHERE a.ticket_id = t AND a.deleted_at IS NULL)`, ids)
	if err != nil {
		return nil, fmt.Errorf("tickets without actions: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("tickets without actions: %w", err)
	}
	return out, nil
}

// ExpectsActions reports whether the mirror says Halo has actions: a live action, or a live ticket with a
// lastactiondate. An empty bulk listing is then not believed (halo-api-more.md, corrections).
func (s *Store) ExpectsActions(ctx context.Context, q Querier) (bool, error) {
	var yes bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM halo.actions WHERE deleted_at IS NULL)
    OR EXISTS (SELECT 1 FROM halo.tickets WHERE deleted_at IS NULL AND lastactiondate IS NOT NULL)`).Scan(&yes)
	if err != nil {
		return false, fmt.Errorf("check for actions: %w", err)
	}
	return yes, nil
}
