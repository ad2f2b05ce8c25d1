package store

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// Custom field values (halo.custom_field_values, migration 00015) follow their owner record. They are derived
// in the database from the record's stored raw JSON (halosync.store_custom_fields), never from a row in
// flight: whatever copy of the record won the upsert (a newer stored copy beats an older incoming one) is the
// copy its values come from. Every entity gets them without code of its own: Upsert calls
// storeCustomFields for the records it wrote, and every tombstoning statement goes through tombstoneSQL,
// which soft-deletes the values of the records it tombstones.

// recordKeySQL is the SQL expression of a row's key as text, the form of KeyString ("42", "42/3" for
// actions): the record_key of custom field values, rejects and the outbox. alias qualifies the columns.
func (t *Table) recordKeySQL(alias string) string {
	parts := make([]string, len(t.Keys))
	for i, c := range t.Keys {
		parts[i] = alias + pgx.Identifier{c.Name}.Sanitize() + "::text"
	}
	return strings.Join(parts, " || '/' || ")
}

// recordIDSQL is the record_id of custom field values: the key column named id when it is a bigint (for
// actions the action id), else NULL.
func (t *Table) recordIDSQL(alias string) string {
	for _, c := range t.Keys {
		if c.Name == "id" && c.Type == TypeBigint {
			return alias + "id"
		}
	}
	return "NULL::bigint"
}

var customFieldsSQLs sync.Map // customFieldsKey → string

type customFieldsKey struct {
	t        *Table
	inserted bool
}

// customFieldsSQL reads the written records ($2… one key array per key column) back from t and hands their
// customfields values (NULL when the record carries none) to halosync.store_custom_fields, or, for records
// the transaction has just inserted, to halosync.insert_custom_fields. Both take anything but an array as
// no array, so the value is read out of raw once: each read decompresses the record (a fifth of a first
// sync's custom field time when it was read twice to test it first).
func (t *Table) customFieldsSQL(inserted bool) string {
	k := customFieldsKey{t, inserted}
	if s, ok := customFieldsSQLs.Load(k); ok {
		return s.(string)
	}
	fn := "store_custom_fields"
	if inserted {
		fn = "insert_custom_fields"
	}
	var names, arrays []string
	for i, c := range t.Keys {
		names = append(names, "t."+pgx.Identifier{c.Name}.Sanitize())
		arrays = append(arrays, fmt.Sprintf("$%d::%s[]", i+2, c.Type))
	}
	s := fmt.Sprintf(`SELECT halosync.%s($1, array_agg(%s), array_agg(%s),
	array_agg(t.raw->'customfields'), array_agg(t.halo_updated_at))
FROM %s t WHERE (%s) IN (SELECT * FROM unnest(%s))`,
		fn, t.recordKeySQL("t."), t.recordIDSQL("t."), t.Name, strings.Join(names, ", "), strings.Join(arrays, ", "))
	customFieldsSQLs.Store(k, s)
	return s
}

// storeCustomFields brings the custom field values of the records of t at keys (each following t.Keys),
// which this transaction just wrote, in step with their stored JSON. inserted says that none of the records
// had a row before (copyNew's COPY), so they have no values yet and the values are simply inserted; that
// insert fails on values it did not expect (see insert_custom_fields), and the error is errCopyRefused, for
// the caller to take the general path. It runs inside Upsert's savepoint, so a failure undoes the records'
// write with it.
func (t *Table) storeCustomFields(ctx context.Context, tx pgx.Tx, keys [][]any, inserted bool) error {
	if len(keys) == 0 {
		return nil
	}
	args := []any{t.Entity}
	for i, c := range t.Keys {
		col, err := keyColumn(c, i, keys)
		if err != nil {
			return fmt.Errorf("error storing custom fields of %s: %w", t.Entity, err)
		}
		args = append(args, col)
	}
	if _, err := tx.Exec(ctx, t.customFieldsSQL(inserted), args...); err != nil {
		if inserted {
			return fmt.Errorf("%w: custom fields of %s: %v", errCopyRefused, t.Entity, err)
		}
		return fmt.Errorf("error storing custom fields of %s: %w", t.Entity, err)
	}
	return nil
}

// tombstoneSQL wraps update, an UPDATE of t (aliased as alias, "" for none) that sets deleted_at on the rows
// it tombstones, so that the same statement soft-deletes their custom field values and returns how many
// records it tombstoned. update must not have a RETURNING clause.
func (t *Table) tombstoneSQL(update, alias string) string {
	if alias != "" {
		alias += "."
	}
	return fmt.Sprintf(`WITH gone AS (%s
RETURNING %s AS record_key), cf AS (
UPDATE halo.custom_field_values v SET deleted_at = now(), synced_at = now()
FROM gone WHERE v.entity = %s AND v.record_key = gone.record_key AND v.deleted_at IS NULL)
SELECT count(*) FROM gone`, update, t.recordKeySQL(alias), t.entityLiteral())
}

// entityLiteral is t.Entity as an SQL string literal.
func (t *Table) entityLiteral() string { return "'" + strings.ReplaceAll(t.Entity, "'", "''") + "'" }

// TicketCustomFieldIDs returns the ids of the custom fields of tickets, ascending, for the ticket list's
// include_custom_fields (list rows carry no custom fields without it, and only the fields asked for with it):
// the live custom definitions whose usage is 1 (tickets), and every field already seen on a ticket (a GET
// by id carries them all), so that a list row's array, which replaces the ticket's values, leaves none out.
// When no definition carries a usage (Halo's published schema has it, no capture shows it), every live
// custom definition: Halo answers an include of another entity's field with nothing worse than no value.
func (s *Store) TicketCustomFieldIDs(ctx context.Context, q Querier) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT f.id FROM halo.custom_fields f
WHERE f.deleted_at IS NULL AND f.custom AND f.id > 0
  AND (f.usage = 1 OR NOT EXISTS (SELECT FROM halo.custom_fields WHERE usage <> 0))
UNION
SELECT f.id FROM halo.custom_fields f
WHERE EXISTS (SELECT FROM halo.custom_field_values v WHERE v.field_id = f.id AND v.entity = 'tickets')
ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("error reading ticket custom field ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("error reading ticket custom field ids: %w", err)
	}
	return ids, nil
}

// LockCustomFieldValues locks the custom field values of one record FOR UPDATE. A push locks them after the
// record's mirror row and before its outbox row: an edit of a value locks the value and then (its trigger)
// the outbox row, and the push's reply rewrites the values, so this order is the one that cannot deadlock.
func (s *Store) LockCustomFieldValues(ctx context.Context, tx pgx.Tx, entity, key string) error {
	if _, err := tx.Exec(ctx, `SELECT FROM halo.custom_field_values WHERE entity = $1 AND record_key = $2 FOR UPDATE`,
		entity, key); err != nil {
		return fmt.Errorf("error locking custom field values of %s %s: %w", entity, key, err)
	}
	return nil
}

// CustomFieldTypes returns the type of each custom field of one record (field id → type code), as the
// record last carried it, else as its definition says.
func (s *Store) CustomFieldTypes(ctx context.Context, q Querier, entity, key string) (map[int64]int64, error) {
	rows, err := q.Query(ctx, `SELECT v.field_id, coalesce(v.type, f.type, 0) FROM halo.custom_field_values v
LEFT JOIN halo.custom_fields f ON f.id = v.field_id WHERE v.entity = $1 AND v.record_key = $2`, entity, key)
	if err != nil {
		return nil, fmt.Errorf("error reading custom field types of %s %s: %w", entity, key, err)
	}
	out := map[int64]int64{}
	var id, typ int64
	_, err = pgx.ForEachRow(rows, []any{&id, &typ}, func() error {
		out[id] = typ
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error reading custom field types of %s %s: %w", entity, key, err)
	}
	return out, nil
}
