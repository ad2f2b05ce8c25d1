-- Push: local edits of the mirror flow back to Halo.
--
-- Triggers on halo.tickets, actions, clients, sites, users, assets and contracts capture every INSERT, UPDATE
-- and DELETE made by anyone but halosync itself (the sync marks its own transactions with
-- SET LOCAL halosync.origin = 'sync') into halosync.outbox, in the same transaction, and NOTIFY
-- halosync_push. The worker pushes each outbox row to Halo, resolving conflicts field by field; every field
-- changed on both sides is written to halosync.conflicts.

-- +goose Up

-- ---------------------------------------------------------------------------------------------------------
-- Which columns a user may change. One row per (entity, column); everything else is refused by the trigger.
CREATE TABLE halosync.writable_columns (
    entity      text NOT NULL,
    column_name text NOT NULL,
    PRIMARY KEY (entity, column_name)
);
COMMENT ON TABLE halosync.writable_columns IS 'Columns of the halo.* mirror tables that may be changed with INSERT/UPDATE; the change is pushed to Halo. Any other column is refused with an error (name mirrors such as client_name, raw, halo_updated_at, synced_at, deleted_at follow from Halo).';
COMMENT ON COLUMN halosync.writable_columns.entity IS 'Mirror table name in schema halo (e.g. tickets).';
COMMENT ON COLUMN halosync.writable_columns.column_name IS 'Writable column of that table; sent to Halo under the same field name.';

INSERT INTO halosync.writable_columns (entity, column_name)
SELECT e, unnest(c) FROM (VALUES
    ('tickets', ARRAY['summary', 'details', 'details_html', 'client_id', 'site_id', 'user_id', 'agent_id', 'team',
                      'status_id', 'priority_id', 'tickettype_id', 'category_1', 'fixbydate', 'targetdate']),
    ('actions', ARRAY['outcome', 'outcome_id', 'note', 'note_html', 'hiddenfromuser', 'important', 'new_status',
                      'timetaken']),
    ('clients', ARRAY['name', 'toplevel_id', 'inactive', 'is_vip']),
    ('sites', ARRAY['name', 'client_id', 'inactive', 'timezone', 'sla_id']),
    ('users', ARRAY['name', 'firstname', 'surname', 'emailaddress', 'site_id', 'client_id', 'inactive',
                    'isserviceaccount']),
    ('assets', ARRAY['inventory_number', 'key_field', 'client_id', 'site_id', 'assettype_id', 'status_id',
                     'inactive']),
    ('contracts', ARRAY['client_id', 'site_id', 'ref', 'start_date', 'end_date', 'billingperiod'])
) AS v(e, c);

-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE halosync.outbox (
    id          bigserial PRIMARY KEY,
    entity      text NOT NULL,
    record_key  text NOT NULL,
    op          text NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    fields      jsonb NOT NULL DEFAULT '{}',
    base        jsonb,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'parked', 'done')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    correlation text,
    halo_id     bigint,
    sent_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    pushed_at   timestamptz
);
-- At most one open push per record: later edits merge into it.
CREATE UNIQUE INDEX outbox_open_idx ON halosync.outbox (entity, record_key) WHERE state IN ('pending', 'sending', 'parked');
CREATE INDEX outbox_state_idx ON halosync.outbox (state, id) WHERE state <> 'done';
COMMENT ON TABLE halosync.outbox IS 'Local changes of the mirror waiting to be pushed to Halo (and the history of pushed ones, state done). Written by triggers on the halo tables; at most one open (pending/sending/parked) row per record, later edits merge into it.';
COMMENT ON COLUMN halosync.outbox.id IS 'Outbox id (also the payload of NOTIFY halosync_push).';
COMMENT ON COLUMN halosync.outbox.entity IS 'Mirror table / entity (tickets, actions, clients, sites, users, assets, contracts).';
COMMENT ON COLUMN halosync.outbox.record_key IS 'Record key as text: the id, or "ticket_id/id" for actions. Negative ids are temporary local ids of rows not yet created in Halo; rewritten to the Halo id once created.';
COMMENT ON COLUMN halosync.outbox.op IS 'create (local INSERT), update (local UPDATE) or delete (local DELETE).';
COMMENT ON COLUMN halosync.outbox.fields IS 'Changed writable columns and their new local values (JSON object, column name → value). Merged across edits.';
COMMENT ON COLUMN halosync.outbox.base IS 'Writable columns of the row as last synced, before the first local edit since the last push: what "changed" is measured against. NULL for creates.';
COMMENT ON COLUMN halosync.outbox.changed_at IS 'When the latest local edit merged into this row was made (compared with Halo''s last-modified time on conflicts).';
COMMENT ON COLUMN halosync.outbox.state IS 'pending: to push; sending: a create was (possibly) posted, a retry looks it up in Halo first; parked: Halo rejected it (see last_error), waiting for a new edit or halosync push --retry; done: pushed (or cancelled, see last_error).';
COMMENT ON COLUMN halosync.outbox.attempts IS 'Push attempts so far (reset by a new edit).';
COMMENT ON COLUMN halosync.outbox.last_error IS 'Error of the last attempt: Halo''s message for parked rows. NULL after success.';
COMMENT ON COLUMN halosync.outbox.correlation IS 'Creates: the value that finds the record in Halo after a crash (tickets: thirdpartynumber sent with the create; others: "after=<highest id known before the send>", matched with the sent fields).';
COMMENT ON COLUMN halosync.outbox.halo_id IS 'Creates: the id Halo gave the record (per-ticket action id for actions).';
COMMENT ON COLUMN halosync.outbox.sent_at IS 'When the last create attempt was committed as sending (lookups search from 5 minutes before it).';
COMMENT ON COLUMN halosync.outbox.created_at IS 'When the first edit created this row.';
COMMENT ON COLUMN halosync.outbox.updated_at IS 'When this row was last written.';
COMMENT ON COLUMN halosync.outbox.pushed_at IS 'When the push completed (state done).';

CREATE TABLE halosync.conflicts (
    id                bigserial PRIMARY KEY,
    entity            text NOT NULL,
    record_key        text NOT NULL,
    field             text NOT NULL,
    local_value       jsonb,
    remote_value      jsonb,
    local_changed_at  timestamptz,
    remote_changed_at timestamptz,
    winner            text NOT NULL CHECK (winner IN ('local', 'halo')),
    detected_at       timestamptz NOT NULL DEFAULT now(),
    acknowledged_at   timestamptz
);
CREATE INDEX conflicts_open_idx ON halosync.conflicts (detected_at) WHERE acknowledged_at IS NULL;
COMMENT ON TABLE halosync.conflicts IS 'Fields changed both locally and in Halo since the last sync, with both values: the later change won, the loser is kept here. Field *deleted* means a pushed update found the record deleted in Halo.';
COMMENT ON COLUMN halosync.conflicts.id IS 'Conflict id.';
COMMENT ON COLUMN halosync.conflicts.entity IS 'Mirror table / entity (e.g. tickets).';
COMMENT ON COLUMN halosync.conflicts.record_key IS 'Record key as text: the id, or "ticket_id/id" for actions.';
COMMENT ON COLUMN halosync.conflicts.field IS 'Column in conflict, or *deleted* when the record was deleted in Halo while edited locally.';
COMMENT ON COLUMN halosync.conflicts.local_value IS 'The local value (JSON; for *deleted*: every local change).';
COMMENT ON COLUMN halosync.conflicts.remote_value IS 'Halo''s value at the time of the push (JSON).';
COMMENT ON COLUMN halosync.conflicts.local_changed_at IS 'When the local change was made.';
COMMENT ON COLUMN halosync.conflicts.remote_changed_at IS 'Halo''s last-modified time of the record, converted to our clock with the measured Halo clock offset.';
COMMENT ON COLUMN halosync.conflicts.winner IS 'Whose value is now in Halo and the mirror: local (later local change) or halo (later or equal Halo change).';
COMMENT ON COLUMN halosync.conflicts.detected_at IS 'When the push detected the conflict.';
COMMENT ON COLUMN halosync.conflicts.acknowledged_at IS 'When an operator acknowledged it; NULL = open.';

-- Temporary ids of rows inserted locally: negative, so they never collide with Halo's ids.
CREATE SEQUENCE halosync.local_id_seq;
COMMENT ON SEQUENCE halosync.local_id_seq IS 'Temporary local ids (used negated) for rows inserted into the mirror before Halo assigns their id.';

-- ---------------------------------------------------------------------------------------------------------
-- +goose StatementBegin
CREATE FUNCTION halosync.is_sync() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('halosync.origin', true), '') = 'sync'
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.is_sync() IS 'True inside halosync''s own transactions (SET LOCAL halosync.origin = ''sync''): their writes are not pushed back.';

-- outbox_record merges one change into the record's open outbox row (or opens one) and notifies the workers.
-- +goose StatementBegin
CREATE FUNCTION halosync.outbox_record(p_entity text, p_key text, p_op text, p_fields jsonb, p_base jsonb)
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
COMMENT ON FUNCTION halosync.outbox_record(text, text, text, jsonb, jsonb) IS 'Records a local change in halosync.outbox (merging into the open row of the record) and NOTIFYs halosync_push.';

-- guard (BEFORE INSERT/UPDATE/DELETE): refuses changes to non-writable columns and turns DELETE into a soft
-- delete plus an outbox "delete".
-- +goose StatementBegin
CREATE FUNCTION halosync.guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
COMMENT ON FUNCTION halosync.guard() IS 'BEFORE trigger on pushable halo tables: refuses changes to non-writable columns, turns DELETE into a soft delete (deleted_at) plus an outbox delete. Skipped for halosync''s own writes.';

-- capture (AFTER INSERT/UPDATE): records the changed writable columns in the outbox.
-- +goose StatementBegin
CREATE FUNCTION halosync.capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    writable text[];
    o        jsonb;
    n        jsonb;
    k        text;
    changed  jsonb := '{}';
    base     jsonb := '{}';
    rkey     text;
BEGIN
    IF halosync.is_sync() THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(array_agg(column_name), '{}') INTO writable
    FROM halosync.writable_columns WHERE entity = TG_TABLE_NAME;
    n := to_jsonb(NEW);
    rkey := CASE WHEN TG_TABLE_NAME = 'actions' THEN (n->>'ticket_id') || '/' || (n->>'id') ELSE n->>'id' END;
    IF TG_OP = 'INSERT' THEN
        FOREACH k IN ARRAY writable LOOP
            IF jsonb_typeof(n->k) <> 'null' THEN
                changed := changed || jsonb_build_object(k, n->k);
            END IF;
        END LOOP;
        PERFORM halosync.outbox_record(TG_TABLE_NAME, rkey, 'create', changed, NULL);
        RETURN NULL;
    END IF;
    o := to_jsonb(OLD);
    FOREACH k IN ARRAY writable LOOP
        base := base || jsonb_build_object(k, o->k);
        IF (n->k) IS DISTINCT FROM (o->k) THEN
            changed := changed || jsonb_build_object(k, n->k);
        END IF;
    END LOOP;
    IF changed <> '{}'::jsonb THEN
        PERFORM halosync.outbox_record(TG_TABLE_NAME, rkey, 'update', changed, base);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.capture() IS 'AFTER trigger on pushable halo tables: records inserted rows and changed writable columns in halosync.outbox. Skipped for halosync''s own writes.';

-- remap_id moves a locally created row from its temporary id to the id Halo gave it, with every reference to
-- it in the mirror and in open outbox rows. Called by the pusher inside its (sync-origin) transaction.
-- +goose StatementBegin
CREATE FUNCTION halosync.remap_id(p_entity text, p_old bigint, p_new bigint, p_ticket bigint DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF p_entity = 'actions' THEN
        UPDATE halo.actions SET id = p_new WHERE ticket_id = p_ticket AND id = p_old;
        UPDATE halosync.outbox SET record_key = p_ticket || '/' || p_new, updated_at = now()
        WHERE entity = 'actions' AND record_key = p_ticket || '/' || p_old;
        RETURN;
    END IF;
    EXECUTE format('UPDATE halo.%I SET id = $1 WHERE id = $2', p_entity) USING p_new, p_old;
    UPDATE halosync.outbox SET record_key = p_new::text, updated_at = now()
    WHERE entity = p_entity AND record_key = p_old::text;
    IF p_entity = 'tickets' THEN
        UPDATE halo.actions SET ticket_id = p_new WHERE ticket_id = p_old;
        UPDATE halosync.outbox SET record_key = p_new || substr(record_key, length(p_old::text) + 1), updated_at = now(),
            state = CASE WHEN state = 'parked' AND last_error LIKE 'refers to %' THEN 'pending' ELSE state END
        WHERE entity = 'actions' AND record_key LIKE p_old || '/%';
    END IF;
    FOR r IN SELECT * FROM (VALUES
        ('clients', 'sites', 'client_id'), ('clients', 'users', 'client_id'), ('clients', 'tickets', 'client_id'),
        ('clients', 'assets', 'client_id'), ('clients', 'contracts', 'client_id'),
        ('sites', 'clients', 'main_site_id'), ('sites', 'users', 'site_id'), ('sites', 'tickets', 'site_id'),
        ('sites', 'assets', 'site_id'), ('sites', 'contracts', 'site_id'),
        ('users', 'tickets', 'user_id')) AS v(target, tbl, col)
        WHERE target = p_entity
    LOOP
        EXECUTE format('UPDATE halo.%I SET %I = $1 WHERE %I = $2', r.tbl, r.col, r.col) USING p_new, p_old;
        UPDATE halosync.outbox SET
            fields = CASE WHEN (fields->>r.col)::bigint = p_old THEN jsonb_set(fields, ARRAY[r.col], to_jsonb(p_new)) ELSE fields END,
            base = CASE WHEN (base->>r.col)::bigint = p_old THEN jsonb_set(base, ARRAY[r.col], to_jsonb(p_new)) ELSE base END,
            -- a push parked because its parent was not in Halo yet can go now
            state = CASE WHEN state = 'parked' AND last_error LIKE 'refers to %' THEN 'pending' ELSE state END,
            updated_at = now()
        WHERE entity = r.tbl AND state IN ('pending', 'sending', 'parked')
          AND ((fields->>r.col)::bigint = p_old OR (base->>r.col)::bigint = p_old);
    END LOOP;
END
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.remap_id(text, bigint, bigint, bigint) IS 'Moves a locally created row from its temporary negative id to its Halo id, with the references to it (mirror rows and open outbox rows). Run by the pusher with halosync.origin = sync.';

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tickets', 'actions', 'clients', 'sites', 'users', 'assets', 'contracts'] LOOP
        EXECUTE format('ALTER TABLE halo.%I ALTER COLUMN id SET DEFAULT -nextval(''halosync.local_id_seq'')', t);
        EXECUTE format('ALTER TABLE halo.%I ALTER COLUMN raw SET DEFAULT ''{}''::jsonb', t);
        EXECUTE format('CREATE TRIGGER halosync_guard BEFORE INSERT OR UPDATE OR DELETE ON halo.%I FOR EACH ROW EXECUTE FUNCTION halosync.guard()', t);
        EXECUTE format('CREATE TRIGGER halosync_capture AFTER INSERT OR UPDATE ON halo.%I FOR EACH ROW EXECUTE FUNCTION halosync.capture()', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tickets', 'actions', 'clients', 'sites', 'users', 'assets', 'contracts'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS halosync_capture ON halo.%I', t);
        EXECUTE format('DROP TRIGGER IF EXISTS halosync_guard ON halo.%I', t);
        EXECUTE format('ALTER TABLE halo.%I ALTER COLUMN id DROP DEFAULT', t);
        EXECUTE format('ALTER TABLE halo.%I ALTER COLUMN raw DROP DEFAULT', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION halosync.remap_id(text, bigint, bigint, bigint);
DROP FUNCTION halosync.capture();
DROP FUNCTION halosync.guard();
DROP FUNCTION halosync.outbox_record(text, text, text, jsonb, jsonb);
DROP FUNCTION halosync.is_sync();
DROP SEQUENCE halosync.local_id_seq;
DROP TABLE halosync.conflicts;
DROP TABLE halosync.outbox;
DROP TABLE halosync.writable_columns;
