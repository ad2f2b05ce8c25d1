-- +goose Up
CREATE TABLE halosync.rate_budget (
    name          text PRIMARY KEY,
    limit_count   integer NOT NULL CHECK (limit_count > 0),
    window_len    interval NOT NULL CHECK (window_len > interval '0'),
    hits          timestamptz[] NOT NULL DEFAULT '{}',
    blocked_until timestamptz,
    granted       bigint NOT NULL DEFAULT 0,
    refused       bigint NOT NULL DEFAULT 0,
    rate_limited  bigint NOT NULL DEFAULT 0,
    last_granted  boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE halosync.rate_budget IS 'Halo request budget shared by every halosync process: a sliding-window log like Halo''s own rolling limit (300 requests per 5 minutes by default, HALO_RATE_LIMIT). A request may leave only after one atomic UPDATE ... RETURNING has added it to hits. Bulk pulls may use only part of the window; pushes and webhook fetches may use all of it.';
COMMENT ON COLUMN halosync.rate_budget.name IS 'Budget name: one per Halo API application (''halo'').';
COMMENT ON COLUMN halosync.rate_budget.limit_count IS 'Requests allowed per window (from HALO_RATE_LIMIT; the last process to start writes it).';
COMMENT ON COLUMN halosync.rate_budget.window_len IS 'Length of the rolling window (from HALO_RATE_LIMIT).';
COMMENT ON COLUMN halosync.rate_budget.hits IS 'Times at which requests were granted within the current window, oldest first; older entries are dropped on every take.';
COMMENT ON COLUMN halosync.rate_budget.blocked_until IS 'After a 429 (Halo sends no Retry-After) no request is granted before this time: the window must roll first.';
COMMENT ON COLUMN halosync.rate_budget.granted IS 'Requests granted since the row was created.';
COMMENT ON COLUMN halosync.rate_budget.refused IS 'Takes refused (the caller waited or its job was snoozed) since the row was created.';
COMMENT ON COLUMN halosync.rate_budget.rate_limited IS '429 answers from Halo since the row was created; should stay near zero when the budget matches Halo''s limit.';
COMMENT ON COLUMN halosync.rate_budget.last_granted IS 'Whether the latest take was granted (returned by the take''s UPDATE ... RETURNING).';
COMMENT ON COLUMN halosync.rate_budget.updated_at IS 'Time of the latest take or 429.';

CREATE TABLE halosync.endpoint_health (
    endpoint           text PRIMARY KEY,
    breaker_state      text NOT NULL DEFAULT 'closed' CHECK (breaker_state IN ('closed', 'open', 'half-open')),
    last_status        integer,
    last_error         text,
    last_error_at      timestamptz,
    last_success_at    timestamptz,
    requests           bigint NOT NULL DEFAULT 0,
    errors             bigint NOT NULL DEFAULT 0,
    rate_limited_count bigint NOT NULL DEFAULT 0,
    snooze_count       bigint NOT NULL DEFAULT 0,
    open_until         timestamptz,
    fix_hint           text,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE halosync.endpoint_health IS 'Health of each Halo endpoint as the circuit breakers see it, for operators and `halosync status`. Endpoint ''*'' is the connection-wide breaker (5xx, timeouts, 429s, rejected credentials); the others are per method and path without ids (e.g. ''GET /api/tickets''), opened by 403s. Breakers live in each worker process: with several replicas the row shows the latest writer''s view.';
COMMENT ON COLUMN halosync.endpoint_health.endpoint IS 'Method and lower-cased path without ids, e.g. ''GET /api/tickets''; ''*'' for the whole connection.';
COMMENT ON COLUMN halosync.endpoint_health.breaker_state IS 'closed (requests flow), open (no request leaves before open_until) or half-open (one probe request decides).';
COMMENT ON COLUMN halosync.endpoint_health.last_status IS 'HTTP status of the latest request, 0 when no response arrived (timeout, connection error).';
COMMENT ON COLUMN halosync.endpoint_health.last_error IS 'Latest error (secrets redacted); kept after recovery for post-mortems.';
COMMENT ON COLUMN halosync.endpoint_health.last_error_at IS 'When last_error happened.';
COMMENT ON COLUMN halosync.endpoint_health.last_success_at IS 'When a request to the endpoint last succeeded (written when the state changes, not on every success).';
COMMENT ON COLUMN halosync.endpoint_health.requests IS 'Requests whose outcome was recorded here (failures always; successes only when they change the state).';
COMMENT ON COLUMN halosync.endpoint_health.errors IS 'Failed requests: 5xx, timeouts, connection errors, 401 after refresh, 403, 429.';
COMMENT ON COLUMN halosync.endpoint_health.rate_limited_count IS '429 answers from Halo.';
COMMENT ON COLUMN halosync.endpoint_health.snooze_count IS 'Times a request was held back because the breaker was open or the rate budget was spent and the job was snoozed (or the caller waited).';
COMMENT ON COLUMN halosync.endpoint_health.open_until IS 'While the breaker is open: the earliest time of the next (probe) request.';
COMMENT ON COLUMN halosync.endpoint_health.fix_hint IS 'What the operator should do about the latest error, e.g. the permission to grant for a 403; NULL when nothing is known.';
COMMENT ON COLUMN halosync.endpoint_health.updated_at IS 'When the row was last written.';

-- +goose Down
DROP TABLE halosync.endpoint_health;
DROP TABLE halosync.rate_budget;
