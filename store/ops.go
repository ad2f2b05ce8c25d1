package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// This file holds what operators' tools read and change: the webhook
// de-duplication table, the status overview and the queries behind the
// CLI's list commands. Tables other features own (the push outbox and
// conflicts, endpoint health) are read generically, as JSON rows, and only
// when they exist, so the operator tools work on any schema version.

// RecordDelivery remembers a webhook delivery by its id. It reports false,
// changing nothing, when the id was seen before (a re-sent delivery). Call it
// in the transaction that enqueues the delivery's work, so a delivery is
// either recorded with its job or not at all.
func (s *Store) RecordDelivery(ctx context.Context, q Querier, id, event string, objectID *int64) (bool, error) {
	var got string
	err := q.QueryRow(ctx, `INSERT INTO halosync.webhook_deliveries (id, event, object_id) VALUES ($1, NULLIF($2, ''), $3)
ON CONFLICT (id) DO NOTHING RETURNING id`, sanitizeText(id), sanitizeText(event), objectID).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("error recording webhook delivery %q: %w", id, err)
	}
	return true, nil
}

// SetDeliveryJob notes the job enqueued for delivery id.
func (s *Store) SetDeliveryJob(ctx context.Context, q Querier, id string, jobID int64) error {
	if _, err := q.Exec(ctx, `UPDATE halosync.webhook_deliveries SET job_id = $2 WHERE id = $1`, sanitizeText(id), jobID); err != nil {
		return fmt.Errorf("error noting job of webhook delivery %q: %w", id, err)
	}
	return nil
}

// ListStates returns every row of halosync.entity_state, by entity.
func (s *Store) ListStates(ctx context.Context, q Querier) (map[string]*EntityState, error) {
	rows, err := q.Query(ctx, `SELECT entity, cursor, last_pull_at, last_success_at, last_full_at, rows, last_error,
       incremental_honoured, bulk_actions, updated_at FROM halosync.entity_state`)
	if err != nil {
		return nil, fmt.Errorf("error listing entity state: %w", err)
	}
	out := map[string]*EntityState{}
	var st EntityState
	_, err = pgx.ForEachRow(rows, []any{&st.Entity, &st.Cursor, &st.LastPullAt, &st.LastSuccessAt, &st.LastFullAt,
		&st.Rows, &st.LastError, &st.IncrementalHonoured, &st.BulkActions, &st.UpdatedAt}, func() error {
		c := st
		out[st.Entity] = &c
		st = EntityState{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error listing entity state: %w", err)
	}
	return out, nil
}

// OutboxByState counts halosync.outbox rows by state.
func (s *Store) OutboxByState(ctx context.Context, q Querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT state, count(*) FROM halosync.outbox GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("error counting pushes by state: %w", err)
	}
	out := map[string]int64{}
	var (
		state string
		n     int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&state, &n}, func() error { out[state] = n; return nil }); err != nil {
		return nil, fmt.Errorf("error counting pushes by state: %w", err)
	}
	return out, nil
}

// RejectCounts returns the number of rejects per entity.
func (s *Store) RejectCounts(ctx context.Context, q Querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT entity, count(*) FROM halosync.rejects GROUP BY entity`)
	if err != nil {
		return nil, fmt.Errorf("error counting rejects: %w", err)
	}
	out := map[string]int64{}
	var (
		e string
		n int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&e, &n}, func() error { out[e] = n; return nil }); err != nil {
		return nil, fmt.Errorf("error counting rejects: %w", err)
	}
	return out, nil
}

// ClearRejects deletes the rejects of the given entities (all when none are
// given) and returns the entities that had any, each once.
func (s *Store) ClearRejects(ctx context.Context, q Querier, entities []string) ([]string, error) {
	rows, err := q.Query(ctx, `WITH d AS (DELETE FROM halosync.rejects WHERE coalesce(cardinality($1::text[]), 0) = 0 OR entity = ANY($1)
RETURNING entity) SELECT DISTINCT entity FROM d ORDER BY 1`, entities)
	if err != nil {
		return nil, fmt.Errorf("error clearing rejects: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("error clearing rejects: %w", err)
	}
	return out, nil
}

// QueueDepth counts River's jobs by state (River's tables in the search path).
func (s *Store) QueueDepth(ctx context.Context, q Querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT state::text, count(*) FROM river_job GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("error counting jobs: %w", err)
	}
	out := map[string]int64{}
	var (
		state string
		n     int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&state, &n}, func() error { out[state] = n; return nil }); err != nil {
		return nil, fmt.Errorf("error counting jobs: %w", err)
	}
	return out, nil
}

// Lag is how far the mirror of one entity may be behind Halo: the time since
// its last successful pull started to be current (nil: never pulled).
func Lag(st *EntityState, now time.Time) *time.Duration {
	if st == nil || st.LastSuccessAt == nil {
		return nil
	}
	d := max(now.Sub(*st.LastSuccessAt), 0)
	return &d
}

// OpenPushCounts counts open outbox rows (pending, sending, parked) by entity and state.
func (s *Store) OpenPushCounts(ctx context.Context, q Querier) (map[string]map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT entity, state, count(*) FROM halosync.outbox
WHERE state IN ('pending', 'sending', 'parked') GROUP BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("error counting pushes: %w", err)
	}
	out := map[string]map[string]int64{}
	var (
		e, st string
		n     int64
	)
	_, err = pgx.ForEachRow(rows, []any{&e, &st, &n}, func() error {
		if out[e] == nil {
			out[e] = map[string]int64{}
		}
		out[e][st] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error counting pushes: %w", err)
	}
	return out, nil
}

// OpenConflictCounts counts unacknowledged conflicts by entity.
func (s *Store) OpenConflictCounts(ctx context.Context, q Querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT entity, count(*) FROM halosync.conflicts WHERE acknowledged_at IS NULL GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("error counting conflicts: %w", err)
	}
	out := map[string]int64{}
	var (
		e string
		n int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&e, &n}, func() error { out[e] = n; return nil }); err != nil {
		return nil, fmt.Errorf("error counting conflicts: %w", err)
	}
	return out, nil
}

// PushedCounts counts completed pushes (outbox rows done with pushed_at set) by entity.
func (s *Store) PushedCounts(ctx context.Context, q Querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT entity, count(*) FROM halosync.outbox WHERE state = 'done' AND pushed_at IS NOT NULL GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("error counting pushes: %w", err)
	}
	out := map[string]int64{}
	var (
		e string
		n int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&e, &n}, func() error { out[e] = n; return nil }); err != nil {
		return nil, fmt.Errorf("error counting pushes: %w", err)
	}
	return out, nil
}
