-- +goose Up

-- Our own action writes are recorded too (issue 17, seeds 3638 and 4258): every write of an action moves its
-- ticket's last_update in Halo, and that time dates the ticket's own conflicts as well as its actions' (when
-- Halo sends no action last_updated). The table is unchanged; its comments now say what it holds.
COMMENT ON TABLE halosync.own_ticket_writes IS 'The latest write halosync made per ticket, of the ticket itself or of one of its actions: Halo''s last_update of the ticket before and after our write. When a conflict of the ticket (or of an action without last_updated) finds the ticket''s last_update still equal to halo_after, nobody but halosync wrote the ticket since, and Halo''s side of the conflict is dated halo_before instead. One row per ticket, replaced by each write.';
COMMENT ON COLUMN halosync.own_ticket_writes.halo_before IS 'The ticket''s last_update (Halo''s clock) read just before our write, or carried over from the previous row when that read found our own previous write.';
COMMENT ON COLUMN halosync.own_ticket_writes.halo_after IS 'The ticket''s last_update (Halo''s clock) our write produced: from Halo''s reply to a ticket POST, or read just after an action write.';
COMMENT ON COLUMN halosync.own_ticket_writes.recorded_at IS 'When the write was recorded (our clock).';

-- +goose Down

COMMENT ON TABLE halosync.own_ticket_writes IS 'The latest ticket push halosync made per ticket: Halo''s last_update before and after our own POST. When an action conflict finds the ticket''s last_update still equal to halo_after, nobody but halosync wrote the ticket since, and Halo''s side of the conflict is dated halo_before instead. One row per ticket, replaced by each push.';
COMMENT ON COLUMN halosync.own_ticket_writes.halo_before IS 'The ticket''s last_update (Halo''s clock) read by the push before its POST, or carried over from the previous row when that read found our own previous write.';
COMMENT ON COLUMN halosync.own_ticket_writes.halo_after IS 'The ticket''s last_update (Halo''s clock) in Halo''s reply to our POST.';
COMMENT ON COLUMN halosync.own_ticket_writes.recorded_at IS 'When the reply was stored (our clock).';
