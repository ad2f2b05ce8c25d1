-- +goose Up
CREATE TABLE halosync.webhook_deliveries (
    id          text PRIMARY KEY,
    event       text,
    object_id   bigint,
    received_at timestamptz NOT NULL DEFAULT now(),
    job_id      bigint
);
CREATE INDEX webhook_deliveries_received_at ON halosync.webhook_deliveries (received_at);
COMMENT ON TABLE halosync.webhook_deliveries IS 'Halo webhook deliveries the worker accepted (POST /webhooks/halo), one row per delivery id: a repeated delivery (a manual re-send from Halo''s delivery log) finds its row and enqueues nothing. Safe to prune rows older than a few days.';
COMMENT ON COLUMN halosync.webhook_deliveries.id IS 'The payload''s top-level id (a GUID per delivery), the de-duplication key.';
COMMENT ON COLUMN halosync.webhook_deliveries.event IS 'The payload''s event name, e.g. "ticket updated".';
COMMENT ON COLUMN halosync.webhook_deliveries.object_id IS 'The Halo object the event is about (object_id; for ticket events the ticket id); NULL when the payload named none.';
COMMENT ON COLUMN halosync.webhook_deliveries.received_at IS 'When the worker accepted the delivery.';
COMMENT ON COLUMN halosync.webhook_deliveries.job_id IS 'The River job (halosync_fetch_ticket) enqueued to re-fetch the object from Halo; NULL when nothing was enqueued.';

-- +goose Down
DROP TABLE halosync.webhook_deliveries;
