-- +goose Up

-- Resumable backfills (issue 19): a first or full walk records where it is in the same transaction as the
-- rows it stored, so a process killed at any point continues from there instead of from page 1.
ALTER TABLE halosync.entity_state
    ADD COLUMN walk_page integer,
    ADD COLUMN walk_listed bigint,
    ADD COLUMN walk_started_at timestamptz,
    ADD COLUMN recent_done_at timestamptz;
COMMENT ON COLUMN halosync.entity_state.walk_page IS 'Full walk in progress: the next page to read (Halo page_no). Written in the transaction that stored the page before it; NULL when no full walk is in progress. A restarted pull continues from here.';
COMMENT ON COLUMN halosync.entity_state.walk_listed IS 'Full walk in progress: rows listed so far (compared with record_count at the end of the walk).';
COMMENT ON COLUMN halosync.entity_state.walk_started_at IS 'Full walk in progress: when its first part started, on Halo''s clock. When the walk completes the cursor moves here (not to the newest row seen), so a record changed while the walk ran is read by the next incremental pull.';
COMMENT ON COLUMN halosync.entity_state.recent_done_at IS 'Tickets only: when the first sync''s recent window (tickets updated and actions dated in the last 30 days) was stored, before the history. NULL until then.';

CREATE TABLE halosync.walk_seen (
    entity    text NOT NULL,
    seq       bigint GENERATED ALWAYS AS IDENTITY,
    ids       bigint[] NOT NULL DEFAULT '{}',
    ticket_ids bigint[] NOT NULL DEFAULT '{}',
    text_ids  text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (entity, seq)
);
COMMENT ON TABLE halosync.walk_seen IS 'Keys a full walk in progress has listed, one row per stored batch, written with the batch. A resumed walk reads them back, so its delete reconciliation knows the records listed before the restart. Emptied when the walk ends.';
COMMENT ON COLUMN halosync.walk_seen.entity IS 'Entity being walked (e.g. tickets, actions).';
COMMENT ON COLUMN halosync.walk_seen.seq IS 'Order of the batches.';
COMMENT ON COLUMN halosync.walk_seen.ids IS 'Integer keys listed (for actions: the action ids, paired by position with ticket_ids).';
COMMENT ON COLUMN halosync.walk_seen.ticket_ids IS 'Actions only: the ticket id of each action in ids.';
COMMENT ON COLUMN halosync.walk_seen.text_ids IS 'Text keys listed (priorities).';

-- +goose Down
DROP TABLE halosync.walk_seen;
ALTER TABLE halosync.entity_state
    DROP COLUMN walk_page,
    DROP COLUMN walk_listed,
    DROP COLUMN walk_started_at,
    DROP COLUMN recent_done_at;
