package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

func (t *Table) keyWhere(first int) string {
	var w []string
	for i, c := range t.Keys {
		w = append(w, fmt.Sprintf("%s = $%d", pgx.Identifier{c.Name}.Sanitize(), first+i))
	}
	return strings.Join(w, " AND ")
}

// LockMirrorRow locks one mirror row FOR UPDATE and returns its typed columns as Values, or nil when the
// row does not exist. Lock it before its outbox row (LockOutbox), as the triggers do.
func (s *Store) LockMirrorRow(ctx context.Context, tx pgx.Tx, t *Table, keys []int64) (Values, error) {
	return s.mirrorRow(ctx, tx, t, keys, " FOR UPDATE")
}

// MirrorRow reads one mirror row as LockMirrorRow does, without locking.
func (s *Store) MirrorRow(ctx context.Context, q Querier, t *Table, keys []int64) (Values, error) {
	return s.mirrorRow(ctx, q, t, keys, "")
}

func (s *Store) mirrorRow(ctx context.Context, q Querier, t *Table, keys []int64, lock string) (Values, error) {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	cols := append(append([]Column{}, t.Keys...), t.Columns...)
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = pgx.Identifier{c.Name}.Sanitize()
		if c.Type == TypeNumeric {
			sel[i] += "::float8" // Values holds numeric as float64
		}
	}
	rows, err := q.Query(ctx, `SELECT `+strings.Join(sel, ", ")+` FROM `+t.Name+` WHERE `+t.keyWhere(1)+lock, args...)
	if err != nil {
		return nil, fmt.Errorf("error reading %s %v: %w", t.Entity, keys, err)
	}
	raw, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error reading %s %v: %w", t.Entity, keys, err)
	}
	out := make(Values, len(cols))
	for i, c := range cols {
		if out[c.Name], err = t.Canon(c.Name, raw[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// WritableColumns returns the columns of entity a local edit may change and a push may send
// (halosync.writable_columns, the list the guard trigger enforces).
func (s *Store) WritableColumns(ctx context.Context, q Querier, entity string) (map[string]bool, error) {
	rows, err := q.Query(ctx, `SELECT column_name FROM halosync.writable_columns WHERE entity = $1`, entity)
	if err != nil {
		return nil, fmt.Errorf("error reading writable columns of %s: %w", entity, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("error reading writable columns of %s: %w", entity, err)
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// RemapID moves a locally created row from its temporary id to its Halo id, with every reference to it in
// the mirror and in open outbox rows (halosync.remap_id). It runs as a sync write (no echo).
func (s *Store) RemapID(ctx context.Context, tx pgx.Tx, entity string, oldID, newID, ticketID int64) error {
	if err := markSyncOrigin(ctx, tx); err != nil {
		return err
	}
	var tid *int64
	if entity == "actions" {
		tid = &ticketID
	}
	// A pull may have stored the record under its Halo id before its create was confirmed here (a create
	// adopted after a crash): that copy gives way to the local row, which Halo's record then overwrites.
	t, ok := Tables[entity]
	if !ok {
		return fmt.Errorf("store: no mirror table %q", entity)
	}
	var err error
	if entity == "actions" {
		_, err = tx.Exec(ctx, `DELETE FROM halo.actions WHERE ticket_id = $1 AND id = $2`, ticketID, newID)
	} else {
		_, err = tx.Exec(ctx, `DELETE FROM `+t.Name+` WHERE id = $1`, newID)
	}
	if err != nil {
		return fmt.Errorf("error clearing the pulled copy of %s %d: %w", entity, newID, err)
	}
	if _, err := tx.Exec(ctx, `SELECT halosync.remap_id($1, $2, $3, $4)`, entity, oldID, newID, tid); err != nil {
		return fmt.Errorf("error moving %s %d to Halo id %d: %w", entity, oldID, newID, err)
	}
	return nil
}

// MarkSyncOrigin tags tx as halosync's own write (SET LOCAL halosync.origin = 'sync'), so the push triggers
// ignore it. The marker counts only for the worker's own login (halosync.is_sync).
func MarkSyncOrigin(ctx context.Context, tx pgx.Tx) error { return markSyncOrigin(ctx, tx) }
