package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Tombstone marks the rows with the given keys deleted (deleted_at = now(), synced_at = now()) unless they
// already are, and returns how many it marked. Each element of keys follows t.Keys. Rows stay in the table
// with their last values, so analysts keep history; Upsert of the same record brings a row back.
func (s *Store) Tombstone(ctx context.Context, tx pgx.Tx, t *Table, keys [][]any) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	args := make([]any, len(t.Keys))
	unnest := make([]string, len(t.Keys))
	for i, c := range t.Keys {
		col, err := keyColumn(c, i, keys)
		if err != nil {
			return 0, fmt.Errorf("error tombstoning %s: %w", t.Entity, err)
		}
		args[i] = col
		unnest[i] = fmt.Sprintf("$%d::%s[]", i+1, c.Type)
	}
	names := strings.Join(quoteAll(t.keyNames()), ", ")
	// The values of the records named go by key, not by the rows this statement marks: a record an analyst
	// deleted is soft-deleted by the guard trigger at once and tombstoned here when the push is done.
	textKeys := make([]string, len(keys))
	for i, k := range keys {
		textKeys[i] = t.KeyString(k)
	}
	args = append(args, textKeys)
	sql := fmt.Sprintf(`WITH gone AS (UPDATE %s SET deleted_at = now(), synced_at = now()
WHERE deleted_at IS NULL AND (%s) IN (SELECT * FROM unnest(%s)) RETURNING 1), cf AS (
UPDATE halo.custom_field_values SET deleted_at = now(), synced_at = now()
WHERE entity = %s AND record_key = ANY($%d::text[]) AND deleted_at IS NULL)
SELECT count(*) FROM gone`, t.Name, names, strings.Join(unnest, ", "), t.entityLiteral(), len(args))
	return s.tombstoneExec(ctx, tx, t, sql, args...)
}

// TombstoneMissing marks deleted every live row of t whose id is not in seenIDs: the delete half of a
// full reconciliation. t must have a single bigint key (not actions: see TombstoneMissingActions; not
// priorities: see TombstoneMissingText). An empty seenIDs tombstones the whole table, so callers must guard
// against a suspiciously short id list (mass-delete guard) before calling. "Not in seenIDs" is an anti
// join, for the reason CountMissing gives.
func (s *Store) TombstoneMissing(ctx context.Context, tx pgx.Tx, t *Table, seenIDs []int64) (int, error) {
	if len(t.Keys) != 1 || t.Keys[0].Type != TypeBigint {
		return 0, fmt.Errorf("store: TombstoneMissing needs a single bigint key; %s has %v", t.Entity, t.Keys)
	}
	sql := t.tombstoneSQL(fmt.Sprintf(`UPDATE %s SET deleted_at = now(), synced_at = now()
WHERE deleted_at IS NULL AND %[2]s > 0
AND NOT EXISTS (SELECT 1 FROM unnest($1::bigint[]) AS seen(k) WHERE seen.k = %[1]s.%[2]s)`, t.Name, pgx.Identifier{t.Keys[0].Name}.Sanitize()), "")
	return s.tombstoneExec(ctx, tx, t, sql, nonNilInt64s(seenIDs))
}

// TombstoneMissingText is TombstoneMissing for a table with a single text key (halo.priorities).
func (s *Store) TombstoneMissingText(ctx context.Context, tx pgx.Tx, t *Table, seenIDs []string) (int, error) {
	if len(t.Keys) != 1 || t.Keys[0].Type != TypeText {
		return 0, fmt.Errorf("store: TombstoneMissingText needs a single text key; %s has %v", t.Entity, t.Keys)
	}
	if seenIDs == nil {
		seenIDs = []string{}
	}
	sql := t.tombstoneSQL(fmt.Sprintf(`UPDATE %s SET deleted_at = now(), synced_at = now()
WHERE deleted_at IS NULL
AND NOT EXISTS (SELECT 1 FROM unnest($1::text[]) AS seen(k) WHERE seen.k = %[1]s.%[2]s)`, t.Name, pgx.Identifier{t.Keys[0].Name}.Sanitize()), "")
	return s.tombstoneExec(ctx, tx, t, sql, seenIDs)
}

// TombstoneMissingActions marks deleted the live actions of one ticket whose id is not in seenIDs (the
// ticket's actions were re-read in full). Other tickets' actions are untouched.
func (s *Store) TombstoneMissingActions(ctx context.Context, tx pgx.Tx, ticketID int64, seenIDs []int64) (int, error) {
	t := Tables["actions"]
	sql := t.tombstoneSQL(`UPDATE halo.actions SET deleted_at = now(), synced_at = now()
WHERE ticket_id = $1 AND deleted_at IS NULL AND id > 0 AND NOT (id = ANY($2::bigint[]))`, "")
	return s.tombstoneExec(ctx, tx, t, sql, ticketID, nonNilInt64s(seenIDs))
}

// tombstoneExec runs a tombstoning statement as the sync's own write. sql returns one row, the number of
// records it tombstoned, and soft-deletes their custom field values (see Table.tombstoneSQL).
func (s *Store) tombstoneExec(ctx context.Context, tx pgx.Tx, t *Table, sql string, args ...any) (int, error) {
	if err := markSyncOrigin(ctx, tx); err != nil {
		return 0, err
	}
	var n int
	if err := tx.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("error tombstoning %s: %w", t.Entity, err)
	}
	return n, nil
}

// keyColumn gathers the i-th key of every key tuple into a typed slice pgx can send as an array.
func keyColumn(c Column, i int, keys [][]any) (any, error) {
	switch c.Type {
	case TypeBigint:
		out := make([]int64, len(keys))
		for j, k := range keys {
			if len(k) <= i {
				return nil, fmt.Errorf("key %v has no %s", k, c.Name)
			}
			n, err := toInt64(k[i])
			if err != nil {
				return nil, fmt.Errorf("key %s: %w", c.Name, err)
			}
			out[j] = n
		}
		return out, nil
	case TypeText:
		out := make([]string, len(keys))
		for j, k := range keys {
			if len(k) <= i {
				return nil, fmt.Errorf("key %v has no %s", k, c.Name)
			}
			out[j], _ = columnValue(TypeText, k[i]).(string)
		}
		return out, nil
	case TypeTimestamptz:
		out := make([]time.Time, len(keys))
		for j, k := range keys {
			if len(k) <= i {
				return nil, fmt.Errorf("key %v has no %s", k, c.Name)
			}
			t, ok := k[i].(time.Time)
			if !ok {
				return nil, fmt.Errorf("key %s: %v (%T) is not a time", c.Name, k[i], k[i])
			}
			out[j] = t
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported key type %s", c.Type)
}

// toInt64 accepts any integer kind, including named ones such as halo.Int.
func toInt64(v any) (int64, error) {
	rv := reflect.ValueOf(normalizeValue(v))
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint()), nil
	}
	return 0, fmt.Errorf("%v (%T) is not an integer", v, v)
}

func nonNilInt64s(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
