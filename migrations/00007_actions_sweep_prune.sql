-- +goose Up

-- The actions sweep: where Halo's bulk Actions listing cannot be used, a full reconcile queues every live
-- ticket for a per-ticket re-read of its actions, and the pulls work those entries off a few at a time
-- (see README "How a pull works"), after the tickets queued because their lastactiondate moved.
ALTER TABLE halosync.action_queue ADD COLUMN sweep boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN halosync.action_queue.sweep IS 'true: queued by a full reconcile''s actions sweep (read a few per pull, after the others); false: queued because the ticket is new or its lastactiondate moved (read at the next pull).';
CREATE INDEX action_queue_sweep_seq_idx ON halosync.action_queue (sweep, seq);

-- Indexes of the periodic prune (halosync_prune job): each deletes by age, oldest first, in batches.
CREATE INDEX runs_started_at_idx ON halosync.runs (started_at);
CREATE INDEX outbox_done_updated_at_idx ON halosync.outbox (updated_at) WHERE state = 'done';
CREATE INDEX conflicts_acknowledged_at_idx ON halosync.conflicts (acknowledged_at) WHERE acknowledged_at IS NOT NULL;
COMMENT ON TABLE halosync.webhook_deliveries IS 'Halo webhook deliveries the worker accepted (POST /webhooks/halo), one row per delivery id: a repeated delivery (a manual re-send from Halo''s delivery log) finds its row and enqueues nothing. Pruned after HALOSYNC_RETAIN_WEBHOOKS (default 7 days).';

-- +goose Down
COMMENT ON TABLE halosync.webhook_deliveries IS 'Halo webhook deliveries the worker accepted (POST /webhooks/halo), one row per delivery id: a repeated delivery (a manual re-send from Halo''s delivery log) finds its row and enqueues nothing. Safe to prune rows older than a few days.';
DROP INDEX halosync.conflicts_acknowledged_at_idx;
DROP INDEX halosync.outbox_done_updated_at_idx;
DROP INDEX halosync.runs_started_at_idx;
DROP INDEX halosync.action_queue_sweep_seq_idx;
ALTER TABLE halosync.action_queue DROP COLUMN sweep;
