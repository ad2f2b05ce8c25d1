-- +goose Up
CREATE TABLE halosync.action_queue (
    ticket_id bigint PRIMARY KEY,
    seq       bigserial NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE halosync.action_queue IS 'Tickets whose actions must be (re-)read from Halo. Written in the same transaction as the ticket rows, drained as their actions are stored, so a crash between a ticket and its actions loses nothing.';
COMMENT ON COLUMN halosync.action_queue.ticket_id IS 'Halo ticket id whose actions are due.';
COMMENT ON COLUMN halosync.action_queue.seq IS 'Queue order; a bulk actions walk drains every entry up to the sequence it started at.';
COMMENT ON COLUMN halosync.action_queue.queued_at IS 'When the ticket was (last) queued.';

-- +goose Down
DROP TABLE halosync.action_queue;
