-- Push without locks across Halo, pushes that end somewhere visible, and editing through the mirror with
-- nothing but DML rights on halo.* (issue 15).
--
-- * halosync.outbox gets what a push needs to send outside any transaction: the edit counter `edits` (bumped
--   by every merged edit), the fields being sent (`payload`) and the edit count they were read at
--   (`sent_edits`), so the transaction that applies Halo's reply can tell whether an edit landed meanwhile;
--   and `next_attempt_at`, so a failing push waits for its backoff (or the breaker's probe) instead of
--   being picked up by every sweep.
-- * The trigger functions run as their owner (SECURITY DEFINER, fixed search_path): a role with DML on the
--   mirror tables needs no rights on schema halosync. The local id of an inserted row is assigned by the
--   guard trigger instead of a column default (a default would run as the inserting role and need the
--   sequence).
-- * The sync's own writes are recognised by who the session is: the marker halosync.origin = 'sync' counts
--   only in sessions whose login is a member of the role that owns schema halosync (the role that migrated
--   and runs the worker). Anyone else may set it; it changes nothing. The guard's own soft-delete write is
--   told apart by a row in halosync.soft_deleting, which only the owner can write.
-- * halosync_editor: DML on the writable mirror tables, SELECT on the rest, nothing on halosync.* or River.

-- +goose Up

ALTER TABLE halosync.outbox
    ADD COLUMN edits           bigint NOT NULL DEFAULT 1,
    ADD COLUMN payload         jsonb,
    ADD COLUMN sent_edits      bigint,
    ADD COLUMN next_attempt_at timestamptz;
COMMENT ON COLUMN halosync.outbox.edits IS 'How many local edits were merged into this row (its version): the push that sent payload compares it with sent_edits before applying Halo''s reply, and an edit that landed meanwhile becomes the next push.';
COMMENT ON COLUMN halosync.outbox.payload IS 'State sending: the fields being sent to Halo (writable columns only, as decided by the merge), kept so a crash can be told apart and an operator can see what went out.';
COMMENT ON COLUMN halosync.outbox.sent_edits IS 'The value of edits when payload was decided.';
COMMENT ON COLUMN halosync.outbox.next_attempt_at IS 'No push attempt before this time (backoff after a failure, or the circuit breaker''s next probe after 401/403); NULL = now. A new local edit clears it.';
-- Creates of entities other than tickets were correlated by "after=<highest id>" and matched by content:
-- a guess that could adopt a record a person created. Such rows now park as "may already exist in Halo".
UPDATE halosync.outbox SET correlation = NULL WHERE correlation LIKE 'halosync:%:after=%' AND state <> 'done';
COMMENT ON COLUMN halosync.outbox.correlation IS 'Ticket creates: the value sent in the ticket''s create marker (HALOSYNC_CREATE_MARKER, third_party_id_string by default) that finds the ticket in Halo after a crash. NULL for other entities: Halo keeps no field that would prove a record ours, so an interrupted create of theirs is parked as "may already exist in Halo".';
CREATE INDEX outbox_due_idx ON halosync.outbox (next_attempt_at) WHERE state IN ('pending', 'sending');

CREATE TABLE halosync.soft_deleting (
    xact       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    entity     text NOT NULL,
    record_key text NOT NULL,
    PRIMARY KEY (xact, entity, record_key)
);
COMMENT ON TABLE halosync.soft_deleting IS 'Internal to the guard trigger: while it turns a DELETE into a soft delete (deleted_at), one row marks that write as its own for the length of one statement. Only the owner can write it, so no other role can pass a write off as the trigger''s.';
COMMENT ON COLUMN halosync.soft_deleting.xact IS 'Transaction doing the soft delete.';
COMMENT ON COLUMN halosync.soft_deleting.entity IS 'Mirror table of the row.';
COMMENT ON COLUMN halosync.soft_deleting.record_key IS 'Record key of the row ("id" or "ticket_id/id").';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION halosync.is_sync() RETURNS boolean LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(current_setting('halosync.origin', true), '') = 'sync'
       AND pg_has_role(session_user, (SELECT nspowner FROM pg_namespace WHERE nspname = 'halosync'), 'MEMBER')
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.is_sync() IS 'True inside halosync''s own transactions: the marker SET LOCAL halosync.origin = ''sync'' set by a session whose login is a member of the owner of schema halosync (the role that migrated and runs the worker). Set by any other role, the marker has no effect: its writes are captured and guarded like any edit.';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION halosync.outbox_record(p_entity text, p_key text, p_op text, p_fields jsonb, p_base jsonb)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO halosync.outbox AS o (entity, record_key, op, fields, base)
    VALUES (p_entity, p_key, p_op, coalesce(p_fields, '{}'), p_base)
    ON CONFLICT (entity, record_key) WHERE state IN ('pending', 'sending', 'parked') DO UPDATE SET
        op              = CASE WHEN EXCLUDED.op = 'delete' THEN 'delete' ELSE o.op END,
        fields          = CASE WHEN EXCLUDED.op = 'delete' THEN '{}'::jsonb ELSE o.fields || EXCLUDED.fields END,
        base            = coalesce(o.base, EXCLUDED.base),
        changed_at      = now(),
        -- a row being sent stays "sending": the push applying Halo's reply sees edits moved and leaves
        -- the new edit for the next push (a create that may be in Halo is looked up before a new POST)
        state           = CASE WHEN o.state = 'sending'
                                 -- a parked ticket create that was posted: its next attempt looks for it first
                                 OR (o.state = 'parked' AND o.op = 'create' AND o.correlation IS NOT NULL AND o.sent_at IS NOT NULL)
                               THEN 'sending' ELSE 'pending' END,
        edits           = o.edits + 1,
        attempts        = 0,
        last_error      = NULL,
        next_attempt_at = NULL,
        updated_at      = now()
    RETURNING id INTO v_id;
    PERFORM pg_notify('halosync_push', v_id::text);
    RETURN v_id;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION halosync.guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    writable  text[];
    generated text[];
    keycols   text[] := CASE WHEN TG_TABLE_NAME = 'actions' THEN ARRAY['ticket_id', 'id'] ELSE ARRAY['id'] END;
    o         jsonb;
    n         jsonb;
    k         text;
    rkey      text;
    open_id   bigint;
    open_op   text;
    open_st   text;
BEGIN
    IF halosync.is_sync() THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    SELECT coalesce(array_agg(column_name ORDER BY column_name), '{}') INTO writable
    FROM halosync.writable_columns WHERE entity = TG_TABLE_NAME;
    SELECT coalesce(array_agg(attname::text), '{}') INTO generated
    FROM pg_attribute WHERE attrelid = TG_RELID AND attnum > 0 AND attgenerated <> '';

    IF TG_OP = 'UPDATE' THEN
        o := to_jsonb(OLD);
        n := to_jsonb(NEW);
        rkey := CASE WHEN TG_TABLE_NAME = 'actions' THEN (o->>'ticket_id') || '/' || (o->>'id') ELSE o->>'id' END;
        -- this trigger's own soft delete (below): only deleted_at moves
        IF EXISTS (SELECT FROM halosync.soft_deleting WHERE xact = pg_current_xact_id()
                   AND entity = TG_TABLE_NAME AND record_key = rkey) THEN
            RETURN NEW;
        END IF;
        IF OLD.deleted_at IS NOT NULL THEN
            RAISE EXCEPTION 'halosync: %.% row % is deleted (deleted_at is set) and cannot be changed',
                TG_TABLE_SCHEMA, TG_TABLE_NAME, rkey;
        END IF;
        FOR k IN SELECT key FROM jsonb_each(n) ORDER BY key LOOP
            CONTINUE WHEN k = ANY(generated) OR k = ANY(writable);
            IF (n->k) IS DISTINCT FROM (o->k) THEN
                RAISE EXCEPTION 'halosync: column "%" of %.% is not writable', k, TG_TABLE_SCHEMA, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege',
                          DETAIL = format('Writable columns of %s.%s: %s. Their changes are pushed to Halo; every other column follows Halo.',
                                          TG_TABLE_SCHEMA, TG_TABLE_NAME, array_to_string(writable, ', ')),
                          HINT = 'See halosync.writable_columns.';
            END IF;
        END LOOP;
        RETURN NEW;
    END IF;

    IF TG_OP = 'INSERT' THEN
        IF NEW.id IS NULL THEN
            -- a temporary local id until Halo assigns the real one (negative: never collides with Halo's)
            NEW.id := -nextval('halosync.local_id_seq');
        END IF;
        n := to_jsonb(NEW);
        IF (n->>'id')::bigint > 0 THEN
            RAISE EXCEPTION 'halosync: leave id out when inserting into %.%: Halo assigns the id (the row gets a temporary negative id until it is created in Halo)',
                TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_TABLE_NAME = 'actions' AND (n->>'ticket_id') IS NULL THEN
            RAISE EXCEPTION 'halosync: an action needs a ticket_id' USING ERRCODE = 'not_null_violation';
        END IF;
        FOR k IN SELECT key FROM jsonb_each(n) ORDER BY key LOOP
            CONTINUE WHEN k = ANY(generated) OR k = ANY(writable) OR k = ANY(keycols) OR k = 'synced_at';
            IF k = 'raw' AND n->'raw' = '{}'::jsonb THEN CONTINUE; END IF;
            IF jsonb_typeof(n->k) <> 'null' THEN
                RAISE EXCEPTION 'halosync: column "%" of %.% is not writable', k, TG_TABLE_SCHEMA, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege',
                          DETAIL = format('Writable columns of %s.%s: %s (plus %s). Every other column follows Halo.',
                                          TG_TABLE_SCHEMA, TG_TABLE_NAME, array_to_string(writable, ', '),
                                          CASE WHEN TG_TABLE_NAME = 'actions' THEN 'ticket_id' ELSE 'nothing else' END),
                          HINT = 'See halosync.writable_columns.';
            END IF;
        END LOOP;
        RETURN NEW;
    END IF;

    -- DELETE
    IF OLD.deleted_at IS NOT NULL THEN
        RETURN NULL; -- already deleted; nothing to do
    END IF;
    o := to_jsonb(OLD);
    rkey := CASE WHEN TG_TABLE_NAME = 'actions' THEN (o->>'ticket_id') || '/' || (o->>'id') ELSE o->>'id' END;
    SELECT id, op, state INTO open_id, open_op, open_st FROM halosync.outbox
    WHERE entity = TG_TABLE_NAME AND record_key = rkey AND state IN ('pending', 'sending', 'parked');
    IF open_op = 'create' THEN
        IF open_st = 'sending' THEN
            RAISE EXCEPTION 'halosync: %.% row % is being created in Halo right now; delete it once it has its Halo id',
                TG_TABLE_SCHEMA, TG_TABLE_NAME, rkey;
        END IF;
        -- Never reached Halo: drop the row and cancel its create.
        UPDATE halosync.outbox SET state = 'done', last_error = 'cancelled: the row was deleted before it was created in Halo',
            updated_at = now() WHERE id = open_id;
        RETURN OLD;
    END IF;
    -- Soft delete: the row stays for analysts with deleted_at set; Halo gets a DELETE.
    INSERT INTO halosync.soft_deleting (entity, record_key) VALUES (TG_TABLE_NAME, rkey) ON CONFLICT DO NOTHING;
    IF TG_TABLE_NAME = 'actions' THEN
        EXECUTE format('UPDATE %I.%I SET deleted_at = now() WHERE ticket_id = $1 AND id = $2', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            USING (o->>'ticket_id')::bigint, (o->>'id')::bigint;
    ELSE
        EXECUTE format('UPDATE %I.%I SET deleted_at = now() WHERE id = $1', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            USING (o->>'id')::bigint;
    END IF;
    DELETE FROM halosync.soft_deleting WHERE xact = pg_current_xact_id() AND entity = TG_TABLE_NAME AND record_key = rkey;
    PERFORM halosync.outbox_record(TG_TABLE_NAME, rkey, 'delete', '{}'::jsonb, NULL);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

ALTER FUNCTION halosync.capture() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION halosync.remap_id(text, bigint, bigint, bigint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
-- Functions that run as their owner are the owner's to call (the triggers fire whatever the caller's rights).
REVOKE ALL ON FUNCTION halosync.guard(), halosync.capture(), halosync.outbox_record(text, text, text, jsonb, jsonb),
    halosync.remap_id(text, bigint, bigint, bigint), halosync.is_sync() FROM PUBLIC;
COMMENT ON FUNCTION halosync.guard() IS 'BEFORE trigger on pushable halo tables, run as its owner (SECURITY DEFINER): refuses changes to non-writable columns, gives inserted rows a temporary negative id, turns DELETE into a soft delete (deleted_at) plus an outbox delete. Skipped for halosync''s own writes (halosync.is_sync).';

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tickets', 'actions', 'clients', 'sites', 'users', 'assets', 'contracts'] LOOP
        -- a column default runs as the inserting role, which has no rights on halosync.local_id_seq
        EXECUTE format('ALTER TABLE halo.%I ALTER COLUMN id DROP DEFAULT', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- Editing role: roles are cluster-wide, so create it only if missing and tolerate a concurrent creator.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'halosync_editor') THEN
        CREATE ROLE halosync_editor NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA halo TO halosync_editor;
GRANT SELECT ON ALL TABLES IN SCHEMA halo TO halosync_editor;
ALTER DEFAULT PRIVILEGES IN SCHEMA halo GRANT SELECT ON TABLES TO halosync_editor;
GRANT INSERT, UPDATE, DELETE ON halo.tickets, halo.actions, halo.clients, halo.sites, halo.users, halo.assets,
    halo.contracts TO halosync_editor;

-- +goose Down
REVOKE INSERT, UPDATE, DELETE ON halo.tickets, halo.actions, halo.clients, halo.sites, halo.users, halo.assets,
    halo.contracts FROM halosync_editor;
ALTER DEFAULT PRIVILEGES IN SCHEMA halo REVOKE SELECT ON TABLES FROM halosync_editor;
REVOKE SELECT ON ALL TABLES IN SCHEMA halo FROM halosync_editor;
REVOKE USAGE ON SCHEMA halo FROM halosync_editor;
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tickets', 'actions', 'clients', 'sites', 'users', 'assets', 'contracts'] LOOP
        EXECUTE format('ALTER TABLE halo.%I ALTER COLUMN id SET DEFAULT -nextval(''halosync.local_id_seq'')', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION halosync.guard(), halosync.capture(), halosync.outbox_record(text, text, text, jsonb, jsonb),
    halosync.remap_id(text, bigint, bigint, bigint), halosync.is_sync() TO PUBLIC;
ALTER FUNCTION halosync.capture() SECURITY INVOKER RESET search_path;
ALTER FUNCTION halosync.remap_id(text, bigint, bigint, bigint) SECURITY INVOKER RESET search_path;
ALTER FUNCTION halosync.guard() SECURITY INVOKER RESET search_path;
ALTER FUNCTION halosync.outbox_record(text, text, text, jsonb, jsonb) SECURITY INVOKER RESET search_path;
ALTER FUNCTION halosync.is_sync() RESET search_path;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION halosync.is_sync() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('halosync.origin', true), '') = 'sync'
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION halosync.outbox_record(p_entity text, p_key text, p_op text, p_fields jsonb, p_base jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO halosync.outbox AS o (entity, record_key, op, fields, base)
    VALUES (p_entity, p_key, p_op, coalesce(p_fields, '{}'), p_base)
    ON CONFLICT (entity, record_key) WHERE state IN ('pending', 'sending', 'parked') DO UPDATE SET
        op         = CASE WHEN EXCLUDED.op = 'delete' THEN 'delete' ELSE o.op END,
        fields     = CASE WHEN EXCLUDED.op = 'delete' THEN '{}'::jsonb ELSE o.fields || EXCLUDED.fields END,
        base       = coalesce(o.base, EXCLUDED.base),
        changed_at = now(),
        -- a create that may already be in Halo stays "sending" so the next attempt looks it up first
        state      = CASE WHEN o.state = 'sending' THEN 'sending' ELSE 'pending' END,
        attempts   = 0,
        last_error = NULL,
        updated_at = now()
    RETURNING id INTO v_id;
    PERFORM pg_notify('halosync_push', v_id::text);
    RETURN v_id;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION halosync.guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    writable  text[];
    generated text[];
    keycols   text[] := CASE WHEN TG_TABLE_NAME = 'actions' THEN ARRAY['ticket_id', 'id'] ELSE ARRAY['id'] END;
    o         jsonb;
    n         jsonb;
    k         text;
    rkey      text;
    open_id   bigint;
    open_op   text;
    open_st   text;
    prev      text;
BEGIN
    IF halosync.is_sync() THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    SELECT coalesce(array_agg(column_name ORDER BY column_name), '{}') INTO writable
    FROM halosync.writable_columns WHERE entity = TG_TABLE_NAME;
    SELECT coalesce(array_agg(attname::text), '{}') INTO generated
    FROM pg_attribute WHERE attrelid = TG_RELID AND attnum > 0 AND attgenerated <> '';

    IF TG_OP = 'UPDATE' THEN
        IF OLD.deleted_at IS NOT NULL THEN
            RAISE EXCEPTION 'halosync: %.% row % is deleted (deleted_at is set) and cannot be changed',
                TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_TABLE_NAME = 'actions' THEN to_jsonb(OLD)->>'ticket_id' || '/' ELSE '' END || OLD.id;
        END IF;
        o := to_jsonb(OLD);
        n := to_jsonb(NEW);
        FOR k IN SELECT key FROM jsonb_each(n) ORDER BY key LOOP
            CONTINUE WHEN k = ANY(generated) OR k = ANY(writable);
            IF (n->k) IS DISTINCT FROM (o->k) THEN
                RAISE EXCEPTION 'halosync: column "%" of %.% is not writable', k, TG_TABLE_SCHEMA, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege',
                          DETAIL = format('Writable columns of %s.%s: %s. Their changes are pushed to Halo; every other column follows Halo.',
                                          TG_TABLE_SCHEMA, TG_TABLE_NAME, array_to_string(writable, ', ')),
                          HINT = 'See halosync.writable_columns.';
            END IF;
        END LOOP;
        RETURN NEW;
    END IF;

    IF TG_OP = 'INSERT' THEN
        n := to_jsonb(NEW);
        IF (n->>'id')::bigint > 0 THEN
            RAISE EXCEPTION 'halosync: leave id out when inserting into %.%: Halo assigns the id (the row gets a temporary negative id until it is created in Halo)',
                TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_TABLE_NAME = 'actions' AND (n->>'ticket_id') IS NULL THEN
            RAISE EXCEPTION 'halosync: an action needs a ticket_id' USING ERRCODE = 'not_null_violation';
        END IF;
        FOR k IN SELECT key FROM jsonb_each(n) ORDER BY key LOOP
            CONTINUE WHEN k = ANY(generated) OR k = ANY(writable) OR k = ANY(keycols) OR k = 'synced_at';
            IF k = 'raw' AND n->'raw' = '{}'::jsonb THEN CONTINUE; END IF;
            IF jsonb_typeof(n->k) <> 'null' THEN
                RAISE EXCEPTION 'halosync: column "%" of %.% is not writable', k, TG_TABLE_SCHEMA, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege',
                          DETAIL = format('Writable columns of %s.%s: %s (plus %s). Every other column follows Halo.',
                                          TG_TABLE_SCHEMA, TG_TABLE_NAME, array_to_string(writable, ', '),
                                          CASE WHEN TG_TABLE_NAME = 'actions' THEN 'ticket_id' ELSE 'nothing else' END),
                          HINT = 'See halosync.writable_columns.';
            END IF;
        END LOOP;
        RETURN NEW;
    END IF;

    -- DELETE
    IF OLD.deleted_at IS NOT NULL THEN
        RETURN NULL; -- already deleted; nothing to do
    END IF;
    o := to_jsonb(OLD);
    rkey := CASE WHEN TG_TABLE_NAME = 'actions' THEN (o->>'ticket_id') || '/' || (o->>'id') ELSE o->>'id' END;
    SELECT id, op, state INTO open_id, open_op, open_st FROM halosync.outbox
    WHERE entity = TG_TABLE_NAME AND record_key = rkey AND state IN ('pending', 'sending', 'parked');
    IF open_op = 'create' THEN
        IF open_st = 'sending' THEN
            RAISE EXCEPTION 'halosync: %.% row % is being created in Halo right now; delete it once it has its Halo id',
                TG_TABLE_SCHEMA, TG_TABLE_NAME, rkey;
        END IF;
        -- Never reached Halo: drop the row and cancel its create.
        UPDATE halosync.outbox SET state = 'done', last_error = 'cancelled: the row was deleted before it was created in Halo',
            updated_at = now() WHERE id = open_id;
        RETURN OLD;
    END IF;
    -- Soft delete: the row stays for analysts with deleted_at set; Halo gets a DELETE.
    prev := coalesce(current_setting('halosync.origin', true), '');
    PERFORM set_config('halosync.origin', 'sync', true);
    IF TG_TABLE_NAME = 'actions' THEN
        EXECUTE format('UPDATE %I.%I SET deleted_at = now() WHERE ticket_id = $1 AND id = $2', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            USING (o->>'ticket_id')::bigint, (o->>'id')::bigint;
    ELSE
        EXECUTE format('UPDATE %I.%I SET deleted_at = now() WHERE id = $1', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            USING (o->>'id')::bigint;
    END IF;
    PERFORM set_config('halosync.origin', prev, true);
    PERFORM halosync.outbox_record(TG_TABLE_NAME, rkey, 'delete', '{}'::jsonb, NULL);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

COMMENT ON FUNCTION halosync.is_sync() IS 'True inside halosync''s own transactions (SET LOCAL halosync.origin = ''sync''): their writes are not pushed back.';
COMMENT ON FUNCTION halosync.guard() IS 'BEFORE trigger on pushable halo tables: refuses changes to non-writable columns, turns DELETE into a soft delete (deleted_at) plus an outbox delete. Skipped for halosync''s own writes.';
DROP TABLE halosync.soft_deleting;
DROP INDEX halosync.outbox_due_idx;
COMMENT ON COLUMN halosync.outbox.correlation IS 'Creates: the value that finds the record in Halo after a crash (tickets: thirdpartynumber sent with the create; others: "after=<highest id known before the send>", matched with the sent fields).';
ALTER TABLE halosync.outbox DROP COLUMN edits, DROP COLUMN payload, DROP COLUMN sent_edits, DROP COLUMN next_attempt_at;
