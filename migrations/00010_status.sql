-- +goose Up
-- Halo request budget use per minute, for the /status page's last-hour chart and post-mortems. The
-- rate_budget row keeps only the current window (hits) and lifetime counters, so a trigger on it adds
-- each take's and each 429's increments to the row of the current minute: every replica's requests land
-- here without any caller changing.
CREATE TABLE halosync.budget_minutes (
    name         text NOT NULL,
    minute       timestamptz NOT NULL,
    granted      integer NOT NULL DEFAULT 0,
    refused      integer NOT NULL DEFAULT 0,
    rate_limited integer NOT NULL DEFAULT 0,
    PRIMARY KEY (name, minute)
);
COMMENT ON TABLE halosync.budget_minutes IS 'Halo request budget use per minute (from the changes of halosync.rate_budget, by trigger): how many requests were granted, refused (waited or snoozed) and answered 429 in each minute. Rows older than two days are pruned when a new minute starts.';
COMMENT ON COLUMN halosync.budget_minutes.name IS 'Budget name (halosync.rate_budget.name).';
COMMENT ON COLUMN halosync.budget_minutes.minute IS 'Start of the minute (date_trunc(''minute'', ...)).';
COMMENT ON COLUMN halosync.budget_minutes.granted IS 'Requests granted in this minute, all processes together.';
COMMENT ON COLUMN halosync.budget_minutes.refused IS 'Takes refused in this minute because the budget was spent or blocked after a 429.';
COMMENT ON COLUMN halosync.budget_minutes.rate_limited IS '429 answers from Halo in this minute.';

-- +goose StatementBegin
CREATE FUNCTION halosync.budget_minutes_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    g int := NEW.granted - OLD.granted;
    r int := NEW.refused - OLD.refused;
    l int := NEW.rate_limited - OLD.rate_limited;
    m timestamptz := date_trunc('minute', statement_timestamp());
    fresh boolean;
BEGIN
    IF g <= 0 AND r <= 0 AND l <= 0 THEN
        RETURN NEW;
    END IF;
    INSERT INTO halosync.budget_minutes AS b (name, minute, granted, refused, rate_limited)
    VALUES (NEW.name, m, greatest(g, 0), greatest(r, 0), greatest(l, 0))
    ON CONFLICT (name, minute) DO UPDATE SET granted = b.granted + EXCLUDED.granted,
        refused = b.refused + EXCLUDED.refused, rate_limited = b.rate_limited + EXCLUDED.rate_limited
    RETURNING (xmax = 0) INTO fresh;
    IF fresh THEN
        DELETE FROM halosync.budget_minutes WHERE name = NEW.name AND minute < m - interval '2 days';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.budget_minutes_track() IS 'Trigger of halosync.rate_budget: adds each change of its granted/refused/rate_limited counters to halosync.budget_minutes.';

CREATE TRIGGER rate_budget_minutes AFTER UPDATE OF granted, refused, rate_limited ON halosync.rate_budget
    FOR EACH ROW EXECUTE FUNCTION halosync.budget_minutes_track();

-- +goose Down
DROP TRIGGER rate_budget_minutes ON halosync.rate_budget;
DROP FUNCTION halosync.budget_minutes_track();
DROP TABLE halosync.budget_minutes;
