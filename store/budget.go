package store

import (
	"context"
	"fmt"
	"time"
)

// Budget is the shared Halo request budget: one row of halosync.rate_budget, a sliding-window log that
// mirrors Halo's rolling limit (halo-api.md §8). Every process that talks to Halo takes from the same row,
// so N replicas together stay under the limit.
type Budget struct {
	Name   string
	Limit  int           // requests per Window
	Window time.Duration // rolling window
	// Margin widens the window we count against: a hit we record leaves a little before Halo counts it,
	// so without a margin our window would roll a moment before Halo's.
	Margin time.Duration
}

// EnsureBudget creates the budget row, or updates its limit and window to b's (the configuration of the
// process started last wins; all replicas should share HALO_RATE_LIMIT).
func (s *Store) EnsureBudget(ctx context.Context, b Budget) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO halosync.rate_budget (name, limit_count, window_len) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET limit_count = EXCLUDED.limit_count, window_len = EXCLUDED.window_len`,
		b.Name, b.Limit, b.Window)
	if err != nil {
		return fmt.Errorf("error creating rate budget %s: %w", b.Name, err)
	}
	return nil
}

// takeSQL is one atomic take. The row lock of the UPDATE serialises concurrent takers across processes;
// each re-evaluates the expressions on the latest row. $2 is the share of the window this caller may use
// (bulk pulls less than pushes), $3 the margin. live is the log without expired hits.
var takeSQL = func() string {
	const live = `ARRAY(SELECT h FROM unnest(b.hits) AS h WHERE h > statement_timestamp() - (b.window_len + $3::interval) ORDER BY h)`
	const allowed = `greatest(1, floor(b.limit_count * $2::float8))::int`
	ok := `((b.blocked_until IS NULL OR b.blocked_until <= statement_timestamp()) AND cardinality(` + live + `) < ` + allowed + `)`
	return `UPDATE halosync.rate_budget AS b SET
    hits = CASE WHEN ` + ok + ` THEN ` + live + ` || statement_timestamp() ELSE ` + live + ` END,
    last_granted = ` + ok + `,
    granted = b.granted + CASE WHEN ` + ok + ` THEN 1 ELSE 0 END,
    refused = b.refused + CASE WHEN ` + ok + ` THEN 0 ELSE 1 END,
    updated_at = statement_timestamp()
WHERE b.name = $1
RETURNING b.last_granted,
    CASE WHEN b.last_granted THEN NULL ELSE greatest(
        CASE WHEN b.blocked_until > statement_timestamp() THEN b.blocked_until END,
        b.hits[cardinality(b.hits) - ` + allowed + ` + 1] + b.window_len + $3::interval,
        statement_timestamp() + interval '10 milliseconds') END,
    statement_timestamp()`
}()

// Take asks for one request. share (0 < share ≤ 1) is the part of the window the caller may use. When the
// request may not go, granted is false and retryAt is when it may (the oldest hit leaves the window, or the
// 429 block ends), on the database's clock translated to ours.
func (s *Store) Take(ctx context.Context, b Budget, share float64) (granted bool, retryAt time.Time, err error) {
	var until *time.Time
	var dbNow time.Time
	err = s.Pool.QueryRow(ctx, takeSQL, b.Name, share, b.Margin).Scan(&granted, &until, &dbNow)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("error taking from rate budget %s: %w", b.Name, err)
	}
	if granted || until == nil {
		return granted, time.Time{}, nil
	}
	// Waits are measured on the database clock, slept on ours.
	return false, time.Now().Add(until.Sub(dbNow)), nil
}

// BudgetBlocked marks the budget spent after Halo answered 429: no request is granted for block (Halo
// sends no Retry-After and its window rolls over minutes, so a few seconds of waiting would not help).
func (s *Store) BudgetBlocked(ctx context.Context, b Budget, block time.Duration) error {
	_, err := s.Pool.Exec(ctx, `UPDATE halosync.rate_budget SET rate_limited = rate_limited + 1,
    blocked_until = greatest(blocked_until, statement_timestamp() + $2::interval), updated_at = statement_timestamp()
WHERE name = $1`, b.Name, block)
	if err != nil {
		return fmt.Errorf("error blocking rate budget %s: %w", b.Name, err)
	}
	return nil
}

// BudgetState is the visible state of a budget row.
type BudgetState struct {
	Name         string
	Limit        int
	Window       time.Duration
	InWindow     int // hits within the window now
	BlockedUntil *time.Time
	Granted      int64
	Refused      int64
	RateLimited  int64
}

// GetBudget reads a budget row for status displays and tests.
func (s *Store) GetBudget(ctx context.Context, name string) (*BudgetState, error) {
	st := &BudgetState{Name: name}
	err := s.Pool.QueryRow(ctx, `SELECT limit_count, window_len,
    (SELECT count(*) FROM unnest(hits) AS h WHERE h > statement_timestamp() - window_len)::int,
    blocked_until, granted, refused, rate_limited
FROM halosync.rate_budget WHERE name = $1`, name).Scan(&st.Limit, &st.Window, &st.InWindow, &st.BlockedUntil,
		&st.Granted, &st.Refused, &st.RateLimited)
	if err != nil {
		return nil, fmt.Errorf("error reading rate budget %s: %w", name, err)
	}
	return st, nil
}
