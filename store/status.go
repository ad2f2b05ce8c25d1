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

// SuccessfulPulls returns, per entity, the finish times of the successful pulls (not webhook fetches) that
// finished after since, oldest first, preceded by the latest one that finished before since (so the lag
// at since is known).
func (s *Store) SuccessfulPulls(ctx context.Context, q Querier, since time.Time) (map[string][]time.Time, error) {
	rows, err := q.Query(ctx, `
WITH ok AS (SELECT entity, finished_at FROM halosync.runs
            WHERE finished_at IS NOT NULL AND error IS NULL AND mode <> $2)
SELECT entity, finished_at FROM ok WHERE finished_at >= $1
UNION ALL
SELECT entity, max(finished_at) FROM ok WHERE finished_at < $1 GROUP BY entity
ORDER BY 1, 2`, since, WebhookMode)
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

// LatestRuns returns each entity's latest finished run that is not a webhook fetch.
func (s *Store) LatestRuns(ctx context.Context, q Querier) (map[string]Run, error) {
	runs, err := s.listRuns(ctx, q, `WHERE id IN (SELECT DISTINCT ON (entity) id FROM halosync.runs
    WHERE finished_at IS NOT NULL AND mode <> $1 ORDER BY entity, finished_at DESC, id DESC)`, WebhookMode)
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

// HasPendingPushes reports whether any outbox row waits for a push (the rows PendingPushIDs lists).
func (s *Store) HasPendingPushes(ctx context.Context, q Querier) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM halosync.outbox WHERE state IN ('pending', 'sending'))`).Scan(&ok); err != nil {
		return false, fmt.Errorf("error checking for pending pushes: %w", err)
	}
	return ok, nil
}
