package store

import (
	"context"
	"fmt"
)

// Autovacuum's default analyze threshold: 50 rows plus 10 % of the table.
const (
	analyzeBaseRows = 50
	analyzeShare    = 0.1
)

// AnalyzeAfterWrites analyses the mirror table of run r when r wrote (inserted, changed or tombstoned) at
// least as many rows as autovacuum's default threshold (50 + 10 % of the table), or any row into a table
// never analysed. A first or full sync loads most of a table in minutes; until the planner has statistics
// it plans the report queries for an empty table (issue 21: the first-response query took 30.7 s instead of
// 152 ms on a server with autovacuum off, and autovacuum would only catch up a while later anyway).
//
// Where autovacuum is off (for the server or the table) it runs VACUUM (ANALYZE): the VACUUM part costs one
// more pass over the table, writing every page, and spares the analysts' first queries the work a fresh
// load leaves behind: it sets the hint bits (else the first reader dirties and writes every page), fills the
// visibility map (so index-only scans work), and reclaims the rows a full sync replaced. Where autovacuum
// runs, it vacuums a table after that many inserts itself (autovacuum_vacuum_insert_threshold, PostgreSQL
// 13 and later), in the background; the sync only runs ANALYZE, which reads a sample (issue 19: the
// VACUUM was 13 % of a first sync's time). It reports what it ran ("" when nothing).
func (s *Store) AnalyzeAfterWrites(ctx context.Context, r *Run) (string, error) {
	written := r.Inserted + r.Updated + r.Tombstoned
	if written == 0 {
		return "", nil
	}
	t, err := TableFor(r.Entity)
	if err != nil {
		return "", err
	}
	// reltuples is the planner's row estimate: -1 until the table was first analysed (or vacuumed).
	var reltuples float64
	var autovacuum bool
	if err := s.Pool.QueryRow(ctx, `SELECT c.reltuples,
  current_setting('autovacuum')::boolean AND current_setting('track_counts')::boolean
  AND coalesce((SELECT o.option_value FROM pg_options_to_table(c.reloptions) o
                WHERE o.option_name = 'autovacuum_enabled'), 'on')::boolean
FROM pg_class c WHERE c.oid = $1::regclass`, t.Name).Scan(&reltuples, &autovacuum); err != nil {
		return "", fmt.Errorf("error reading statistics of %s: %w", t.Name, err)
	}
	if reltuples >= 0 && float64(written) < analyzeBaseRows+analyzeShare*reltuples {
		return "", nil
	}
	stmt := "VACUUM (ANALYZE)"
	if autovacuum {
		stmt = "ANALYZE"
	}
	// VACUUM cannot run inside a transaction: a plain Exec on the pool is its own statement.
	if _, err := s.Pool.Exec(ctx, stmt+" "+t.Name); err != nil {
		return "", fmt.Errorf("error analysing %s: %w", t.Name, err)
	}
	return stmt, nil
}
