package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Row is one Halo record ready for a mirror table: Keys and Values in the order of Table.Keys and
// Table.Columns, Raw the record's exact JSON bytes, UpdatedAt Halo's own last-modified time (nil if unknown).
// Values may be Go scalars, pointers to them (nil = NULL), named scalar types such as halo.Int, or any type
// with a `Ptr() *time.Time` method such as halo.Time.
type Row struct {
	Keys      []any
	Values    []any
	Raw       []byte
	UpdatedAt *time.Time
}

// RejectedRow is a Row Upsert refused to store, with the reason (e.g. a \u0000 Postgres cannot hold). The
// caller records it with Store.Reject.
type RejectedRow struct {
	Row    Row
	Reason string
}

// UpsertResult counts what one Upsert did. Inserted + Updated + Unchanged is the number of distinct keys
// among the storable rows; Duplicates counts storable rows whose key repeated an earlier row of the same
// call (the last one wins).
type UpsertResult struct {
	Inserted   int
	Updated    int
	Unchanged  int
	Duplicates int
	Rejected   []RejectedRow
}

// Upsert stores rows in t and counts inserted, updated and unchanged rows. It is one COPY into a
// transaction-local staging table plus one INSERT … ON CONFLICT DO UPDATE whose WHERE skips rows whose raw
// and typed values are unchanged (and not tombstoned), so re-reading a record that did not change rewrites
// nothing and leaves synced_at alone. A tombstoned row that is received again comes back (deleted_at NULL).
//
// Rows Postgres would refuse (NUL in text, invalid JSON…) are left out and returned in Rejected instead of
// failing the batch. Idempotent: running it again with the same rows reports them all unchanged.
// It must run inside tx, which it marks with SET LOCAL halosync.origin = 'sync'.
func (s *Store) Upsert(ctx context.Context, tx pgx.Tx, t *Table, rows []Row) (UpsertResult, error) {
	var res UpsertResult
	copyRows := make([][]any, 0, len(rows))
	seen := make(map[string]struct{}, len(rows))
	for _, r := range rows {
		if err := t.checkShape(r); err != nil {
			return UpsertResult{}, err
		}
		if err := t.checkRow(r); err != nil {
			res.Rejected = append(res.Rejected, RejectedRow{Row: r, Reason: err.Error()})
			continue
		}
		key := t.KeyString(r.Keys)
		if _, dup := seen[key]; dup {
			res.Duplicates++
		}
		seen[key] = struct{}{}
		copyRows = append(copyRows, t.stageValues(len(copyRows), r))
	}
	if len(copyRows) == 0 {
		return res, nil
	}

	// prepareStage also marks the transaction as the sync's own (markSyncOrigin), in the same round trip.
	stage, err := t.prepareStage(ctx, tx)
	if err != nil {
		return UpsertResult{}, err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage}, t.stageColumns(), pgx.CopyFromRows(copyRows)); err != nil {
		return UpsertResult{}, fmt.Errorf("error copying %s rows to staging: %w", t.Entity, err)
	}

	dbRows, err := tx.Query(ctx, t.upsertSQL(stage))
	if err != nil {
		return UpsertResult{}, fmt.Errorf("error upserting %s: %w", t.Entity, err)
	}
	inserted, err := pgx.CollectRows(dbRows, pgx.RowTo[bool])
	if err != nil {
		return UpsertResult{}, fmt.Errorf("error upserting %s: %w", t.Entity, err)
	}
	for _, ins := range inserted {
		if ins {
			res.Inserted++
		} else {
			res.Updated++
		}
	}
	res.Unchanged = len(seen) - res.Inserted - res.Updated
	return res, nil
}

// stageName is per entity so one transaction can upsert several entities.
func (t *Table) stageName() string { return "halosync_stage_" + t.Entity }

// prepareStage marks the transaction as the sync's own write (SET LOCAL halosync.origin = 'sync', like
// markSyncOrigin) and readies the staging table, in one round trip (no arguments: simple protocol). The
// staging table is created on the session's first use and then kept (it dies with the connection) and
// emptied with TRUNCATE on every use. Creating it per transaction with ON COMMIT DROP churned the catalogue:
// in issue 11's profile of an initial sync, CREATE + TRUNCATE + the drop at commit were half the database
// time. (ON COMMIT DELETE ROWS was slower still: every commit truncates every such table of the session;
// DELETE would grow a temporary table nothing vacuums.)
func (t *Table) prepareStage(ctx context.Context, tx pgx.Tx) (string, error) {
	name := t.stageName()
	if _, err := tx.Exec(ctx, t.stageSQL()); err != nil {
		return "", fmt.Errorf("error preparing staging table for %s: %w", t.Entity, err)
	}
	return name, nil
}

var stageSQLs sync.Map // *Table → string

func (t *Table) stageSQL() string {
	if s, ok := stageSQLs.Load(t); ok {
		return s.(string)
	}
	defs := []string{"ord bigint NOT NULL"}
	for _, c := range t.all() {
		defs = append(defs, pgx.Identifier{c.Name}.Sanitize()+" "+c.Type)
	}
	defs = append(defs, "raw jsonb NOT NULL", "halo_updated_at timestamptz")
	ident := pgx.Identifier{t.stageName()}.Sanitize()
	s := fmt.Sprintf(`SELECT set_config('halosync.origin', 'sync', true);
CREATE TEMP TABLE IF NOT EXISTS %s (%s);
TRUNCATE %s`, ident, strings.Join(defs, ", "), ident)
	stageSQLs.Store(t, s)
	return s
}

func (t *Table) stageColumns() []string {
	names := []string{"ord"}
	for _, c := range t.all() {
		names = append(names, c.Name)
	}
	return append(names, "raw", "halo_updated_at")
}

func (t *Table) stageValues(ord int, r Row) []any {
	vals := make([]any, 0, 3+len(r.Keys)+len(r.Values))
	vals = append(vals, int64(ord))
	for i, k := range r.Keys {
		vals = append(vals, columnValue(t.Keys[i].Type, k))
	}
	for i, v := range r.Values {
		vals = append(vals, columnValue(t.Columns[i].Type, v))
	}
	return append(vals, r.Raw, r.UpdatedAt)
}

// upsertSQL builds the one statement that moves staged rows into the mirror. DISTINCT ON keeps the last
// staged row per key (ON CONFLICT cannot touch one row twice). The WHERE compares raw and the typed
// columns, so a row is rewritten only when Halo's record changed, when our mapping of it changed, or
// when it was tombstoned. xmax = 0 tells a fresh insert from an update.
func (t *Table) upsertSQL(stage string) string {
	keys := quoteAll(t.keyNames())
	var cols []string
	for _, c := range t.Columns {
		cols = append(cols, pgx.Identifier{c.Name}.Sanitize())
	}
	cols = append(cols, "raw", "halo_updated_at")
	all := append(append([]string(nil), keys...), cols...)

	sets := make([]string, 0, len(cols)+2)
	cur := make([]string, 0, len(cols))
	exc := make([]string, 0, len(cols))
	for _, c := range cols {
		sets = append(sets, c+" = EXCLUDED."+c)
		cur = append(cur, "t."+c)
		exc = append(exc, "EXCLUDED."+c)
	}
	sets = append(sets, "synced_at = now()", "deleted_at = NULL")

	return fmt.Sprintf(`INSERT INTO %[1]s AS t (%[2]s)
SELECT DISTINCT ON (%[3]s) %[2]s FROM %[4]s ORDER BY %[3]s, ord DESC
ON CONFLICT (%[3]s) DO UPDATE SET %[5]s
WHERE t.deleted_at IS NOT NULL OR t.raw IS DISTINCT FROM EXCLUDED.raw OR (%[6]s) IS DISTINCT FROM (%[7]s)
RETURNING (xmax = 0) AS inserted`,
		t.Name, strings.Join(all, ", "), strings.Join(keys, ", "), pgx.Identifier{stage}.Sanitize(),
		strings.Join(sets, ", "), strings.Join(cur, ", "), strings.Join(exc, ", "))
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = pgx.Identifier{n}.Sanitize()
	}
	return out
}
