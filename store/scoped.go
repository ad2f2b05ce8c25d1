package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconciling part of a table: the rows a walk of date windows covered (time entries of the months walked), and
// the rows nested in the parent records a page carried (an invoice's lines). Whole-table reconciliation is
// TombstoneMissing.

// LiveKeysBetween returns the keys (in t.Keys order) of t's live rows whose column lies in [from, to): the
// rows a complete walk of date windows over that range must have listed.
func (s *Store) LiveKeysBetween(ctx context.Context, q Querier, t *Table, column string, from, to time.Time) ([][]any, error) {
	if !t.HasColumn(column) {
		return nil, fmt.Errorf("store: %s has no column %s", t.Entity, column)
	}
	col := pgx.Identifier{column}.Sanitize()
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE deleted_at IS NULL AND %s >= $1 AND %s < $2`,
		strings.Join(quoteAll(t.keyNames()), ", "), t.Name, col, col), from, to)
	if err != nil {
		return nil, fmt.Errorf("error reading %s keys between %s and %s: %w", t.Entity, from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
	if err != nil {
		return nil, fmt.Errorf("error reading %s keys: %w", t.Entity, err)
	}
	return keys, nil
}

// TombstoneMissingUnder marks deleted the live rows of child table t that belong to one of parents (t's first
// key column) and whose key is not in seen: the parents' records were read with every one of their nested
// rows (an invoice with its lines), so a row no longer among them is gone.
func (s *Store) TombstoneMissingUnder(ctx context.Context, tx pgx.Tx, t *Table, parents []int64, seen [][]any) (int, error) {
	if len(parents) == 0 {
		return 0, nil
	}
	args := []any{parents}
	unnest := make([]string, len(t.Keys))
	for i, c := range t.Keys {
		col, err := keyColumn(c, i, seen)
		if err != nil {
			return 0, fmt.Errorf("error tombstoning %s: %w", t.Entity, err)
		}
		args = append(args, col)
		unnest[i] = fmt.Sprintf("$%d::%s[]", i+2, c.Type)
	}
	sql := fmt.Sprintf(`UPDATE %s SET deleted_at = now(), synced_at = now()
WHERE deleted_at IS NULL AND %s = ANY($1::bigint[]) AND (%s) NOT IN (SELECT * FROM unnest(%s))`,
		t.Name, pgx.Identifier{t.Keys[0].Name}.Sanitize(), strings.Join(quoteAll(t.keyNames()), ", "), strings.Join(unnest, ", "))
	return s.tombstoneExec(ctx, tx, t, t.tombstoneSQL(sql, ""), args...)
}

// TombstoneUnderDeleted marks deleted the live rows of child table t whose parent (t's first key column, the
// parent's id) is deleted: an invoice's lines go with it.
func (s *Store) TombstoneUnderDeleted(ctx context.Context, tx pgx.Tx, t, parent *Table) (int, error) {
	sql := fmt.Sprintf(`UPDATE %s c SET deleted_at = now(), synced_at = now()
FROM %s p WHERE p.%s = c.%s AND p.deleted_at IS NOT NULL AND c.deleted_at IS NULL`,
		t.Name, parent.Name, pgx.Identifier{parent.Keys[0].Name}.Sanitize(), pgx.Identifier{t.Keys[0].Name}.Sanitize())
	return s.tombstoneExec(ctx, tx, t, t.tombstoneSQL(sql, "c"))
}
