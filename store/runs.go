package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Run is one row of the halosync.runs ledger: one pull of one entity and what it did.
type Run struct {
	ID         int64
	Entity     string
	Mode       string // full, incremental, reconcile, webhook…
	StartedAt  time.Time
	FinishedAt *time.Time // nil while running (or if the worker died)
	Requests   int64
	Fetched    int64
	Inserted   int64
	Updated    int64
	Unchanged  int64
	Tombstoned int64
	Rejected   int64
	Error      string // "" on success; stored as NULL
	// Notes are what the run noticed without failing (record_count
	// anomalies, a skipped reconcile and why), one line each; stored
	// newline-joined, NULL when empty.
	Notes []string
}

// Note adds a line to r.Notes.
func (r *Run) Note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// StartRun opens a ledger row on the pool (committed at once, so operators see running runs) and returns
// its id.
func (s *Store) StartRun(ctx context.Context, entity, mode string) (int64, error) {
	var id int64
	err := s.Pool.QueryRow(ctx, `INSERT INTO halosync.runs (entity, mode) VALUES ($1, $2) RETURNING id`,
		entity, mode).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("error starting %s run: %w", entity, err)
	}
	return id, nil
}

// FinishRun records r's counters and error on ledger row r.ID and sets finished_at (and r.FinishedAt),
// with the Halo version seen last (halosync.instance_versions, kept fresh by the pulls), so a change in
// what Halo sends can be traced to an upgrade. Pass the sync transaction as q to commit the ledger
// together with the data.
func (s *Store) FinishRun(ctx context.Context, q Querier, r *Run) error {
	var finished time.Time
	err := q.QueryRow(ctx, `UPDATE halosync.runs SET finished_at = now(), requests = $2, fetched = $3,
    inserted = $4, updated = $5, unchanged = $6, tombstoned = $7, rejected = $8, error = NULLIF($9, ''), notes = NULLIF($10, ''),
    halo_version = (SELECT app_version FROM halosync.instance_versions ORDER BY last_seen_at DESC LIMIT 1)
WHERE id = $1 RETURNING finished_at`, r.ID, r.Requests, r.Fetched, r.Inserted, r.Updated, r.Unchanged,
		r.Tombstoned, r.Rejected, sanitizeText(r.Error), sanitizeText(strings.Join(r.Notes, "\n"))).Scan(&finished)
	if err != nil {
		return fmt.Errorf("error finishing run %d: %w", r.ID, err)
	}
	r.FinishedAt = &finished
	return nil
}

// GetRun reads one ledger row.
func (s *Store) GetRun(ctx context.Context, q Querier, id int64) (*Run, error) {
	runs, err := s.listRuns(ctx, q, `WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("error reading run %d: %w", id, ErrNotFound)
	}
	return &runs[0], nil
}

// ListRuns returns the latest runs, newest first; entity "" means all entities, limit <= 0 means 100.
func (s *Store) ListRuns(ctx context.Context, q Querier, entity string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.listRuns(ctx, q, `WHERE $1 = '' OR entity = $1 ORDER BY started_at DESC, id DESC LIMIT $2`, entity, limit)
}

func (s *Store) listRuns(ctx context.Context, q Querier, where string, args ...any) ([]Run, error) {
	rows, err := q.Query(ctx, `SELECT id, entity, mode, started_at, finished_at, requests, fetched, inserted,
    updated, unchanged, tombstoned, rejected, coalesce(error, ''), coalesce(notes, '') FROM halosync.runs `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("error listing runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var notes string
		if err := rows.Scan(&r.ID, &r.Entity, &r.Mode, &r.StartedAt, &r.FinishedAt, &r.Requests, &r.Fetched,
			&r.Inserted, &r.Updated, &r.Unchanged, &r.Tombstoned, &r.Rejected, &r.Error, &notes); err != nil {
			return nil, fmt.Errorf("error scanning run: %w", err)
		}
		if notes != "" {
			r.Notes = strings.Split(notes, "\n")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("error listing runs: %w", err)
	}
	return out, nil
}
