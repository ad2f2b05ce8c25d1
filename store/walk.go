package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// A full walk of a large entity takes hours of Halo's request budget, so it
// is resumable (issue 19): every stored batch of pages records, in the same
// transaction as its rows, the next page to read and the keys the batch
// listed. A process killed at any point continues from the last committed
// batch; the keys let the resumed walk's delete reconciliation know what its
// earlier part saw, so "reconcile only after a complete walk" still holds.

// WalkSeen is what a walk's earlier parts listed.
type WalkSeen struct {
	IDs       []int64  // integer keys (actions: action ids)
	TicketIDs []int64  // actions: the ticket of each id, by position
	Text      []string // text keys (priorities)
}

// MarkWalkStart records when a walk of entity began, on Halo's clock, unless
// a walk in progress already recorded its start (a resumed walk keeps the
// first part's). Committed before or with the walk's first rows.
func (s *Store) MarkWalkStart(ctx context.Context, q Querier, entity string, at time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO halosync.entity_state AS e (entity, walk_started_at) VALUES ($1, $2)
ON CONFLICT (entity) DO UPDATE SET walk_started_at = coalesce(e.walk_started_at, EXCLUDED.walk_started_at)`, entity, at)
	if err != nil {
		return fmt.Errorf("record start of %s walk: %w", entity, err)
	}
	return nil
}

// SaveWalk records a walk's position (the next page to read and the rows
// listed so far) and the keys of the batch just stored, in one statement (one
// round trip of every stored batch). Call it with the transaction that stored
// the batch.
func (s *Store) SaveWalk(ctx context.Context, q Querier, entity string, nextPage int, listed int64, seen WalkSeen) error {
	_, err := q.Exec(ctx, `WITH position AS (
    INSERT INTO halosync.entity_state AS e (entity, walk_page, walk_listed) VALUES ($1, $2, $3)
    ON CONFLICT (entity) DO UPDATE SET walk_page = EXCLUDED.walk_page, walk_listed = EXCLUDED.walk_listed)
INSERT INTO halosync.walk_seen (entity, ids, ticket_ids, text_ids)
SELECT $1, $4, $5, $6 WHERE cardinality($4::bigint[]) > 0 OR cardinality($6::text[]) > 0`,
		entity, nextPage, listed, nonNilInt64s(seen.IDs), nonNilInt64s(seen.TicketIDs), nonNilStrings(seen.Text))
	if err != nil {
		return fmt.Errorf("record %s walk position and keys: %w", entity, err)
	}
	return nil
}

// LoadWalkSeen returns the keys the walk of entity in progress has listed:
// all of them, or with last > 0 those of its last batches only.
func (s *Store) LoadWalkSeen(ctx context.Context, q Querier, entity string, last int) (WalkSeen, error) {
	var w WalkSeen
	var limit *int
	if last > 0 {
		limit = &last
	}
	rows, err := q.Query(ctx, `SELECT ids, ticket_ids, text_ids FROM (
    SELECT seq, ids, ticket_ids, text_ids FROM halosync.walk_seen WHERE entity = $1 ORDER BY seq DESC LIMIT $2) b ORDER BY seq`, entity, limit)
	if err != nil {
		return w, fmt.Errorf("read %s walk keys: %w", entity, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ids, tickets []int64
		var text []string
		if err := rows.Scan(&ids, &tickets, &text); err != nil {
			return w, fmt.Errorf("read %s walk keys: %w", entity, err)
		}
		w.IDs = append(w.IDs, ids...)
		w.TicketIDs = append(w.TicketIDs, tickets...)
		w.Text = append(w.Text, text...)
	}
	if err := rows.Err(); err != nil {
		return w, fmt.Errorf("read %s walk keys: %w", entity, err)
	}
	return w, nil
}

// ClearWalk forgets the walk of entity: its position and keys, and with
// start also when it started. Called with start when a walk reaches its end,
// and without before a new walk starts from page 1 (the start a first sync's
// recent window recorded stays: it is the cursor the whole backfill earns).
func (s *Store) ClearWalk(ctx context.Context, q Querier, entity string, start bool) error {
	if _, err := q.Exec(ctx, `UPDATE halosync.entity_state SET walk_page = NULL, walk_listed = NULL,
    walk_started_at = CASE WHEN $2 THEN NULL ELSE walk_started_at END WHERE entity = $1`, entity, start); err != nil {
		return fmt.Errorf("clear %s walk: %w", entity, err)
	}
	if _, err := q.Exec(ctx, `DELETE FROM halosync.walk_seen WHERE entity = $1`, entity); err != nil {
		return fmt.Errorf("clear %s walk keys: %w", entity, err)
	}
	return nil
}

// SetRecentDone records that the first sync's recent window of entity is stored.
func (s *Store) SetRecentDone(ctx context.Context, q Querier, entity string, at time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO halosync.entity_state AS e (entity, recent_done_at) VALUES ($1, $2)
ON CONFLICT (entity) DO UPDATE SET recent_done_at = EXCLUDED.recent_done_at`, entity, at)
	if err != nil {
		return fmt.Errorf("record recent window of %s: %w", entity, err)
	}
	return nil
}

// walkedActions is the live actions the recorded bulk walk did not list. It must be planned as a hash or
// merge anti join (see noNestedLoops), so the walk's keys are unnested in the select list (a ProjectSet, in
// step like unnest(a, b)), which needs no nested loop at all.
const walkedActions = `FROM halo.actions a WHERE a.deleted_at IS NULL AND a.id > 0 AND a.ticket_id > 0 AND NOT EXISTS (
	SELECT 1 FROM (SELECT unnest(w.ticket_ids) AS ticket_id, unnest(w.ids) AS id FROM halosync.walk_seen w
	               WHERE w.entity = 'actions') s
	WHERE s.ticket_id = a.ticket_id AND s.id = a.id)`

// noNestedLoops keeps the planner off nested loops for the rest of the transaction (the reconcile's own).
// The reconcile runs right after a first sync COPYed the actions into a table never analyzed: with no
// statistics (IS NULL is guessed at 0.5 % of the rows) and unnest guessed at 10 rows an array, a nested
// loop anti join looks cheapest, and it compares every action with every listed key: 2.5 minutes for 59k
// actions (issue 19's ingest profile), days for 3M.
func noNestedLoops(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('enable_nestloop', 'off', true)`); err != nil {
		return fmt.Errorf("plan the actions reconcile: %w", err)
	}
	return nil
}

// CountActionsNotWalked counts live actions the bulk actions walk in
// progress has not listed (by its keys in halosync.walk_seen: a walk of
// millions of actions keeps them there, not in the worker's memory).
func (s *Store) CountActionsNotWalked(ctx context.Context, tx pgx.Tx) (int, error) {
	if err := noNestedLoops(ctx, tx); err != nil {
		return 0, err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) `+walkedActions).Scan(&n); err != nil {
		return 0, fmt.Errorf("count actions not listed: %w", err)
	}
	return n, nil
}

// TombstoneActionsNotWalked tombstones the live actions the bulk actions
// walk did not list.
func (s *Store) TombstoneActionsNotWalked(ctx context.Context, tx pgx.Tx) (int, error) {
	if err := markSyncOrigin(ctx, tx); err != nil {
		return 0, err
	}
	if err := noNestedLoops(ctx, tx); err != nil {
		return 0, err
	}
	tag, err := tx.Exec(ctx, `UPDATE halo.actions SET deleted_at = now(), synced_at = now() WHERE (ticket_id, id) IN (SELECT a.ticket_id, a.id `+walkedActions+`)`)
	if err != nil {
		return 0, fmt.Errorf("tombstone actions not listed: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
