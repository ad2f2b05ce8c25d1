-- +goose Up

-- Our own writes are not Halo-side modifications (issue 17, seed 404). Halo keeps no modification time of an
-- action, so Halo's side of an action conflict is dated by its ticket's last_update; a ticket push of ours
-- moves that time too. The push records, in the transaction that stores Halo's reply, the ticket's
-- last_update before our write and the one our write produced, so a later action conflict can tell our own
-- write's time from an agent's.
CREATE TABLE halosync.own_ticket_writes (
    ticket_id     bigint PRIMARY KEY,
    halo_before   timestamptz NOT NULL,
    halo_after    timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE halosync.own_ticket_writes IS 'The latest ticket push halosync made per ticket: Halo''s last_update before and after our own POST. When an action conflict finds the ticket''s last_update still equal to halo_after, nobody but halosync wrote the ticket since, and Halo''s side of the conflict is dated halo_before instead. One row per ticket, replaced by each push.';
COMMENT ON COLUMN halosync.own_ticket_writes.ticket_id IS 'Halo ticket id.';
COMMENT ON COLUMN halosync.own_ticket_writes.halo_before IS 'The ticket''s last_update (Halo''s clock) read by the push before its POST, or carried over from the previous row when that read found our own previous write.';
COMMENT ON COLUMN halosync.own_ticket_writes.halo_after IS 'The ticket''s last_update (Halo''s clock) in Halo''s reply to our POST.';
COMMENT ON COLUMN halosync.own_ticket_writes.recorded_at IS 'When the reply was stored (our clock).';

-- +goose Down
DROP TABLE halosync.own_ticket_writes;
