-- Each run records the xmin of the database snapshot at its start (issue 19). The attachments read uses it
-- to find the tickets written since its last complete read exactly, by change_xid, instead of by synced_at
-- with an hour's margin: within the hour after a first sync that margin took in every ticket, and each pull
-- checked all of them (0.7 s a pull at 200k tickets).
--
-- Runs recorded before this migration keep NULL (their snapshot is unknown; the read falls back to the time
-- margin once).

-- +goose Up
ALTER TABLE halosync.runs ADD COLUMN snapshot_xmin xid8;
ALTER TABLE halosync.runs ALTER COLUMN snapshot_xmin SET DEFAULT pg_snapshot_xmin(pg_current_snapshot());
COMMENT ON COLUMN halosync.runs.snapshot_xmin IS 'xmin of the database snapshot when the run started: every transaction whose id is below it had ended. Rows with change_xid >= it were written after the run started or by transactions still open then. NULL for runs recorded before migration 00021.';

-- +goose Down
ALTER TABLE halosync.runs DROP COLUMN snapshot_xmin;
