package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// This file holds the history the /status page and the metrics draw from: the run ledger's successful
// pulls (lag over time), each entity's latest run, and the budget's use per minute (halosync.budget_minutes,
// filled by a trigger on halosync.rate_budget).

// WebhookMode is the ledger mode of targeted fetches (webhooks): they read one object and move no cursor,
// so they do not make an entity fresh.
const WebhookMode = "webhook"

// SuccessfulPulls returns, per entity of entities, the finish times of the successful pulls (not webhook
// fetches) that finished after since, oldest first, preceded by the latest one that finished before since
// (so the lag at since is known). Both halves use an index (runs_started_at_idx: a pull that finished
// after since started at most a job timeout, 6 h, before; runs_entity_started_at_idx per entity), so a
// ledger of months costs no more than a day of it.
func (s *Store) SuccessfulPulls(ctx context.Context, q Querier, entities []string, since time.Time) (map[string][]time.Time, error) {
	rows, err := q.Query(ctx, `
SELECT entity, finished_at FROM halosync.runs
WHERE started_at >= $1::timestamptz - interval '6 hours' AND finished_at >= $1 AND error IS NULL AND mode <> $2
    AND entity = ANY($3)
UNION ALL
SELECT e.entity, b.finished_at FROM unnest($3::text[]) AS e(entity)
CROSS JOIN LATERAL (SELECT finished_at FROM halosync.runs r
    WHERE r.entity = e.entity AND r.finished_at < $1 AND r.error IS NULL AND r.mode <> $2
    ORDER BY r.started_at DESC LIMIT 1) AS b
ORDER BY 1, 2`, since, WebhookMode, entities)
	if err != nil {
		return nil, fmt.Errorf("error listing successful pulls: %w", err)
	}
	out := map[string][]time.Time{}
	var (
		e  string
		at time.Time
	)
	if _, err := pgx.ForEachRow(rows, []any{&e, &at}, func() error { out[e] = append(out[e], at); return nil }); err != nil {
		return nil, fmt.Errorf("error listing successful pulls: %w", err)
	}
	return out, nil
}

// LatestRuns returns the latest finished run of each entity of entities that is not a webhook fetch.
func (s *Store) LatestRuns(ctx context.Context, q Querier, entities []string) (map[string]Run, error) {
	runs, err := s.listRuns(ctx, q, `WHERE id IN (SELECT l.id FROM unnest($2::text[]) AS e(entity)
    CROSS JOIN LATERAL (SELECT id FROM halosync.runs r WHERE r.entity = e.entity AND r.finished_at IS NOT NULL
        AND r.mode <> $1 ORDER BY r.started_at DESC LIMIT 1) AS l)`, WebhookMode, entities)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Run, len(runs))
	for _, r := range runs {
		out[r.Entity] = r
	}
	return out, nil
}

// BudgetMinute is one row of halosync.budget_minutes.
type BudgetMinute struct {
	Minute      time.Time
	Granted     int64
	Refused     int64
	RateLimited int64
}

// BudgetMinutes returns the budget's use per minute since since, oldest first (minutes without requests
// have no row).
func (s *Store) BudgetMinutes(ctx context.Context, q Querier, name string, since time.Time) ([]BudgetMinute, error) {
	rows, err := q.Query(ctx, `SELECT minute, granted, refused, rate_limited FROM halosync.budget_minutes
WHERE name = $1 AND minute >= date_trunc('minute', $2::timestamptz) ORDER BY minute`, name, since)
	if err != nil {
		return nil, fmt.Errorf("error reading budget history of %s: %w", name, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BudgetMinute, error) {
		var m BudgetMinute
		err := r.Scan(&m.Minute, &m.Granted, &m.Refused, &m.RateLimited)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("error reading budget history of %s: %w", name, err)
	}
	return out, nil
}

// HasPendingPushes reports whether any outbox row waits for a push now (a row PendingPushIDs would list:
// pending or sending, its backoff passed).
func (s *Store) HasPendingPushes(ctx context.Context, q Querier) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM halosync.outbox WHERE state IN ('pending', 'sending')
    AND (next_attempt_at IS NULL OR next_attempt_at <= now()))`).Scan(&ok); err != nil {
		return false, fmt.Errorf("error checking for pending pushes: %w", err)
	}
	return ok, nil
}
