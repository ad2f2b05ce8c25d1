package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ConnectionEndpoint is the endpoint_health row of the connection-wide breaker.
const ConnectionEndpoint = "*"

// EndpointHealth is one row of halosync.endpoint_health.
type EndpointHealth struct {
	Endpoint      string // "GET /api/tickets", or ConnectionEndpoint
	BreakerState  string // closed, open, half-open
	LastStatus    *int
	LastError     *string
	LastErrorAt   *time.Time
	LastSuccessAt *time.Time
	Requests      int64
	Errors        int64
	RateLimited   int64
	Snoozes       int64
	OpenUntil     *time.Time
	FixHint       *string
	UpdatedAt     time.Time
}

// HealthEvent is what the limiter reports about one endpoint: counters are added, the state and
// open_until replaced.
type HealthEvent struct {
	Endpoint    string
	State       string     // breaker state after the event
	OpenUntil   *time.Time // nil unless open
	Status      *int       // HTTP status of the request, nil for snoozes and state changes
	Err         string     // "" unless the request failed
	Success     bool       // the request succeeded (sets last_success_at)
	Request     bool       // count a request
	RateLimited bool       // the request got a 429
	Snooze      bool       // a request was held back (job snoozed or caller waited)
	Hint        *string    // replaces fix_hint when SetHint
	SetHint     bool
}

// RecordHealth adds e to the endpoint's row.
func (s *Store) RecordHealth(ctx context.Context, e HealthEvent) error {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	var errText *string
	if e.Err != "" {
		t := sanitizeText(e.Err)
		errText = &t
	}
	_, err := s.Pool.Exec(ctx, `INSERT INTO halosync.endpoint_health AS h (endpoint, breaker_state, last_status,
    last_error, last_error_at, last_success_at, requests, errors, rate_limited_count, snooze_count, open_until,
    fix_hint, updated_at)
VALUES ($1, $2, $3, $4, CASE WHEN $4::text IS NOT NULL THEN now() END, CASE WHEN $5 THEN now() END, $6, $7, $8,
    $9, $10, $11, now())
ON CONFLICT (endpoint) DO UPDATE SET
    breaker_state = EXCLUDED.breaker_state,
    last_status = coalesce(EXCLUDED.last_status, h.last_status),
    last_error = coalesce(EXCLUDED.last_error, h.last_error),
    last_error_at = coalesce(EXCLUDED.last_error_at, h.last_error_at),
    last_success_at = coalesce(EXCLUDED.last_success_at, h.last_success_at),
    requests = h.requests + EXCLUDED.requests,
    errors = h.errors + EXCLUDED.errors,
    rate_limited_count = h.rate_limited_count + EXCLUDED.rate_limited_count,
    snooze_count = h.snooze_count + EXCLUDED.snooze_count,
    open_until = EXCLUDED.open_until,
    fix_hint = CASE WHEN $12 THEN EXCLUDED.fix_hint ELSE h.fix_hint END,
    updated_at = now()`,
		e.Endpoint, e.State, e.Status, errText, e.Success, b(e.Request), b(e.Err != ""), b(e.RateLimited),
		b(e.Snooze), e.OpenUntil, e.Hint, e.SetHint)
	if err != nil {
		return fmt.Errorf("error recording health of %s: %w", e.Endpoint, err)
	}
	return nil
}

// ListHealth returns every endpoint_health row, the connection row first.
func (s *Store) ListHealth(ctx context.Context, q Querier) ([]EndpointHealth, error) {
	rows, err := q.Query(ctx, `SELECT endpoint, breaker_state, last_status, last_error, last_error_at,
    last_success_at, requests, errors, rate_limited_count, snooze_count, open_until, fix_hint, updated_at
FROM halosync.endpoint_health ORDER BY endpoint <> '*', endpoint`)
	if err != nil {
		return nil, fmt.Errorf("error listing endpoint health: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (EndpointHealth, error) {
		var h EndpointHealth
		err := r.Scan(&h.Endpoint, &h.BreakerState, &h.LastStatus, &h.LastError, &h.LastErrorAt, &h.LastSuccessAt,
			&h.Requests, &h.Errors, &h.RateLimited, &h.Snoozes, &h.OpenUntil, &h.FixHint, &h.UpdatedAt)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("error listing endpoint health: %w", err)
	}
	return out, nil
}
