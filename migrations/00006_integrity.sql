-- +goose Up
ALTER TABLE halosync.runs ADD COLUMN notes text;
COMMENT ON COLUMN halosync.runs.notes IS 'What the run noticed without failing, one line each: Halo''s record_count disagreeing with the rows a walk listed, a delete reconciliation skipped and why, deleted tickets left to the next full reconcile. NULL when there was nothing to say.';

-- +goose Down
ALTER TABLE halosync.runs DROP COLUMN notes;
