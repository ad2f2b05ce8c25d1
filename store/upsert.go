package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

	// rawCheck caches CheckRaw(Raw) when RowOf or RowFrom built the row; it is ignored if Raw was replaced since.
	rawCheck *rawCheck
}

type rawCheck struct {
	raw []byte
	err error
}

// checkRaw is CheckRaw(r.Raw), from the cache when it is still about the same bytes.
func (r Row) checkRaw() error {
	if c := r.rawCheck; c != nil && len(c.raw) == len(r.Raw) && (len(r.Raw) == 0 || &c.raw[0] == &r.Raw[0]) {
		return c.err
	}
	return CheckRaw(r.Raw)
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
// A row whose stored halo_updated_at is later than the incoming copy's is kept as it is: an older copy
// (a page read ahead, a slow page of a walk) never undoes a newer one (a webhook fetch, a push reply)
// that landed in between; it counts as unchanged.
//
// Rows Postgres would refuse are rejected, never the batch: the ones checkRow can tell (NUL in text,
// invalid JSON, keys ≤ 0…) are left out up front; the ones only the database can tell (a number jsonb
// cannot hold such as 1e999999, a key too long for its index…) fail their batch's savepoint, and the
// batch is split in halves and retried until the failing rows stand alone, each rejected with the
// database's message. All are returned in Rejected for the caller to record. Idempotent: running it
// again with the same rows reports them all unchanged. It must run inside tx, which it marks with
// SET LOCAL halosync.origin = 'sync'.
func (s *Store) Upsert(ctx context.Context, tx pgx.Tx, t *Table, rows []Row) (UpsertResult, error) {
	var res UpsertResult
	storable := make([]Row, 0, len(rows))
	for _, r := range rows {
		if err := t.checkShape(r); err != nil {
			return UpsertResult{}, err
		}
		if err := t.checkRow(r); err != nil {
			res.Rejected = append(res.Rejected, RejectedRow{Row: r, Reason: err.Error()})
			continue
		}
		storable = append(storable, r)
	}
	if err := t.upsertSplitting(ctx, tx, storable, &res); err != nil {
		return UpsertResult{}, err
	}
	return res, nil
}

// upsertSplitting stores rows under a savepoint. When Postgres refuses the content of some row (see
// rowDataError), the savepoint is rolled back and each half is tried on its own, down to single rows,
// which are rejected: a bad row costs about 2·log2(n) extra statements, and never the other rows.
func (t *Table) upsertSplitting(ctx context.Context, tx pgx.Tx, rows []Row, res *UpsertResult) error {
	return t.upsertUnder(ctx, tx, rows, res, true)
}

// upsertUnder is one savepoint's attempt of upsertSplitting. direct allows copyNew's straight COPY; when
// that COPY fails, the savepoint is rolled back and the same rows are tried once more without it (and so
// are the halves, if they must be split), so the general path stores them or reports the real error.
func (t *Table) upsertUnder(ctx context.Context, tx pgx.Tx, rows []Row, res *UpsertResult, direct bool) error {
	if len(rows) == 0 {
		return nil
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("error upserting %s: %w", t.Entity, err)
	}
	part, err := t.upsertOnce(ctx, sp, rows, direct)
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return fmt.Errorf("error upserting %s: %w", t.Entity, err)
		}
		res.Inserted += part.Inserted
		res.Updated += part.Updated
		res.Unchanged += part.Unchanged
		res.Duplicates += part.Duplicates
		return nil
	}
	if rerr := sp.Rollback(ctx); rerr != nil {
		return fmt.Errorf("%w (rolling back: %v)", err, rerr)
	}
	if errors.Is(err, errCopyRefused) {
		return t.upsertUnder(ctx, tx, rows, res, false)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || !rowDataError(pgErr) {
		return err
	}
	if len(rows) == 1 {
		res.Rejected = append(res.Rejected, RejectedRow{Row: rows[0], Reason: "Postgres refused the record: " + pgErr.Error()})
		return nil
	}
	mid := len(rows) / 2
	if err := t.upsertUnder(ctx, tx, rows[:mid], res, direct); err != nil {
		return err
	}
	return t.upsertUnder(ctx, tx, rows[mid:], res, direct)
}

// errCopyRefused is copyNew's failed COPY: a key inserted since the probe (say by a targeted fetch), or a
// row Postgres refuses. Either way the general path decides, under a fresh savepoint.
var errCopyRefused = errors.New("straight COPY refused")

// rowDataError reports whether Postgres refused a statement for the content of the rows it carried
// (SQLSTATE classes 22 data exception, e.g. a jsonb number out of range or an invalid text
// representation; 23 integrity constraint violation; 54 program limit exceeded, e.g. an index row too
// large), as opposed to the connection, a lock or the server failing, which splitting cannot cure.
func rowDataError(e *pgconn.PgError) bool {
	switch e.Code[:2] {
	case "22", "23", "54":
		return true
	}
	return false
}

// upsertOnce is one attempt at storing rows (all checked): with direct, the straight COPY when no key is
// stored yet, else the staging table and the merge; then the custom field values of the rows it wrote. Any
// error leaves the transaction aborted; the caller's savepoint undoes it.
func (t *Table) upsertOnce(ctx context.Context, tx pgx.Tx, rows []Row, direct bool) (UpsertResult, error) {
	var res UpsertResult
	copyRows := make([][]any, 0, len(rows))
	seen := make(map[string]struct{}, len(rows))
	for _, r := range rows {
		key := t.KeyString(r.Keys)
		if _, dup := seen[key]; dup {
			res.Duplicates++
		}
		seen[key] = struct{}{}
		copyRows = append(copyRows, t.stageValues(len(copyRows), r))
	}

	if direct && res.Duplicates == 0 {
		n, ok, err := t.copyNew(ctx, tx, copyRows)
		if err != nil {
			return UpsertResult{}, err
		}
		if ok {
			res.Inserted = n
			keys := make([][]any, len(rows))
			for i, r := range rows {
				keys[i] = r.Keys
			}
			return res, t.storeCustomFields(ctx, tx, keys, true)
		}
	}

	// prepareStage also marks the transaction as the sync's own (markSyncOrigin), in the same round trip.
	stage, err := t.prepareStage(ctx, tx)
	if err != nil {
		return UpsertResult{}, err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage}, t.stageColumns(), pgx.CopyFromRows(copyRows)); err != nil {
		return UpsertResult{}, fmt.Errorf("error copying %s rows to staging: %w", t.Entity, err)
	}

	dbRows, err := tx.Query(ctx, t.upsertSQL(stage, res.Duplicates > 0))
	if err != nil {
		return UpsertResult{}, fmt.Errorf("error upserting %s: %w", t.Entity, err)
	}
	// Each written row: inserted (or updated), then its key columns.
	written, err := pgx.CollectRows(dbRows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
	if err != nil {
		return UpsertResult{}, fmt.Errorf("error upserting %s: %w", t.Entity, err)
	}
	keys := make([][]any, len(written))
	for i, w := range written {
		if w[0].(bool) {
			res.Inserted++
		} else {
			res.Updated++
		}
		keys[i] = w[1:]
	}
	res.Unchanged = len(seen) - res.Inserted - res.Updated
	return res, t.storeCustomFields(ctx, tx, keys, false)
}

// copyNew is Upsert's fast path for rows none of whose keys is in t yet (all of an initial sync, new records
// of later ones): it COPYs them straight into t, as plain COPY does, instead of staging them and merging
// with INSERT … ON CONFLICT (issue 11: about a tenth off an initial sync's wall time). One round trip
// marks the transaction as the sync's own (like markSyncOrigin) and probes the keys; if any exists, ok is
// false and the caller takes the general path. If the COPY fails (say a record inserted meanwhile by a
// targeted fetch) the error is errCopyRefused: the caller's savepoint is rolled back and the general path
// tried, which also reports any real error. The COPY has no savepoint of its own: that cost two round trips
// per batch, each several milliseconds on a loaded machine (issue 19). rows are Upsert's staged rows (ord
// first), without repeated keys.
func (t *Table) copyNew(ctx context.Context, tx pgx.Tx, rows [][]any) (n int, ok bool, err error) {
	args := make([]any, len(t.Keys))
	for i, c := range t.Keys {
		switch c.Type {
		case TypeBigint:
			keys := make([]int64, len(rows))
			for j, r := range rows {
				k, isInt := asInt64(r[1+i])
				if !isInt {
					return 0, false, nil
				}
				keys[j] = k
			}
			args[i] = keys
		case TypeText:
			keys := make([]string, len(rows))
			for j, r := range rows {
				k, isText := r[1+i].(string)
				if !isText {
					return 0, false, nil
				}
				keys[j] = k
			}
			args[i] = keys
		default:
			return 0, false, nil
		}
	}
	var origin string
	var exists bool
	if err := tx.QueryRow(ctx, t.probeSQL(), args...).Scan(&origin, &exists); err != nil {
		return 0, false, fmt.Errorf("error probing %s keys: %w", t.Entity, err)
	}
	if exists {
		return 0, false, nil
	}
	direct := make([][]any, len(rows))
	for i, r := range rows {
		direct[i] = r[1:]
	}
	copied, err := tx.CopyFrom(ctx, pgx.Identifier{"halo", t.Entity}, t.stageColumns()[1:], pgx.CopyFromRows(direct))
	if err != nil {
		return 0, false, fmt.Errorf("%w: %s: %v", errCopyRefused, t.Entity, err)
	}
	return int(copied), true, nil
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	}
	return 0, false
}

var probeSQLs sync.Map // *Table → string

// probeSQL marks the transaction as the sync's own and tells whether any of the keys ($1… one array per key
// column) is in t, tombstoned or not.
func (t *Table) probeSQL() string {
	if s, ok := probeSQLs.Load(t); ok {
		return s.(string)
	}
	var arrays, alias, on []string
	for i, c := range t.Keys {
		arrays = append(arrays, fmt.Sprintf("$%d::%s[]", i+1, c.Type))
		alias = append(alias, fmt.Sprintf("k%d", i+1))
		on = append(on, fmt.Sprintf("t.%s = k.k%d", pgx.Identifier{c.Name}.Sanitize(), i+1))
	}
	s := fmt.Sprintf(`SELECT set_config('halosync.origin', 'sync', true), EXISTS (
SELECT 1 FROM unnest(%s) AS k(%s) JOIN %s AS t ON %s)`,
		strings.Join(arrays, ", "), strings.Join(alias, ", "), t.Name, strings.Join(on, " AND "))
	probeSQLs.Store(t, s)
	return s
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

var upsertSQLs sync.Map // upsertKey → string

type upsertKey struct {
	t     *Table
	stage string
	dups  bool
}

// upsertSQL builds the one statement that moves staged rows into the mirror. When the staged rows repeat a
// key (dups), DISTINCT ON keeps the last staged row per key (ON CONFLICT cannot touch one row twice);
// otherwise the rows go in as staged, sparing a sort of the whole batch. The WHERE compares raw and the
// typed columns, so a row is rewritten only when Halo's record changed, when our mapping of it changed, or
// when it was tombstoned, and never by a copy older than the stored one (both halo_updated_at known, the
// stored one later). xmax = 0 tells a fresh insert from an update; the keys of the rows written follow it, for
// their custom field values (storeCustomFields).
func (t *Table) upsertSQL(stage string, dups bool) string {
	k := upsertKey{t, stage, dups}
	if s, ok := upsertSQLs.Load(k); ok {
		return s.(string)
	}
	s := t.buildUpsertSQL(stage, dups)
	upsertSQLs.Store(k, s)
	return s
}

func (t *Table) buildUpsertSQL(stage string, dups bool) string {
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

	sel := `SELECT %[2]s FROM %[4]s`
	if dups {
		sel = `SELECT DISTINCT ON (%[3]s) %[2]s FROM %[4]s ORDER BY %[3]s, ord DESC`
	}
	return fmt.Sprintf(`INSERT INTO %[1]s AS t (%[2]s)
`+sel+`
ON CONFLICT (%[3]s) DO UPDATE SET %[5]s
WHERE (t.deleted_at IS NOT NULL OR t.raw IS DISTINCT FROM EXCLUDED.raw OR (%[6]s) IS DISTINCT FROM (%[7]s))
  AND NOT coalesce(t.halo_updated_at > EXCLUDED.halo_updated_at, false)
RETURNING (xmax = 0) AS inserted, %[8]s`,
		t.Name, strings.Join(all, ", "), strings.Join(keys, ", "), pgx.Identifier{stage}.Sanitize(),
		strings.Join(sets, ", "), strings.Join(cur, ", "), strings.Join(exc, ", "), strings.Join(keys, ", "))
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = pgx.Identifier{n}.Sanitize()
	}
	return out
}
