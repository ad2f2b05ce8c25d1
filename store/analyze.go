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

// AnalyzeAfterWrites runs VACUUM (ANALYZE) on the mirror table of run r when r wrote (inserted, changed or
// tombstoned) at least as many rows as autovacuum's default threshold (50 + 10 % of the table), or any row
// into a table never analysed. A first or full sync loads most of a table in minutes; until the planner has
// statistics it plans the report queries for an empty table (issue 21: the first-response query took 30.7 s
// instead of 152 ms on a server with autovacuum off, and autovacuum would only catch up a while later
// anyway). The VACUUM part costs one more read of the table and spares the analysts' first queries the work
// a fresh load leaves behind: it sets the hint bits (else the first reader dirties and writes every page),
// fills the visibility map (so index-only scans work), and reclaims the rows a full sync replaced.
// It reports whether it ran.
func (s *Store) AnalyzeAfterWrites(ctx context.Context, r *Run) (bool, error) {
	written := r.Inserted + r.Updated + r.Tombstoned
	if written == 0 {
		return false, nil
	}
	t, err := TableFor(r.Entity)
	if err != nil {
		return false, err
	}
	// reltuples is the planner's row estimate: -1 until the table was first analysed (or vacuumed).
	var reltuples float64
	if err := s.Pool.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, t.Name).Scan(&reltuples); err != nil {
		return false, fmt.Errorf("error reading statistics of %s: %w", t.Name, err)
	}
	if reltuples >= 0 && float64(written) < analyzeBaseRows+analyzeShare*reltuples {
		return false, nil
	}
	// VACUUM cannot run inside a transaction: a plain Exec on the pool is its own statement.
	if _, err := s.Pool.Exec(ctx, `VACUUM (ANALYZE) `+t.Name); err != nil {
		return false, fmt.Errorf("error analysing %s: %w", t.Name, err)
	}
	return true, nil
}
