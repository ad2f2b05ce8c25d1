-- Custom fields as rows (issue 18 item 3).
--
-- * halo.custom_fields mirrors Halo's field definitions (GET /api/FieldInfo), like any mirror table.
-- * halo.custom_field_values holds one row per (record, field) for every mirrored record whose JSON carries a
--   "customfields" array: the values are derived from the record's raw JSON by halosync.store_custom_fields,
--   which the one upsert path (store.Upsert) calls in the transaction that writes the record, for the records
--   it wrote. Deriving them in the database from the stored raw keeps them equal to what the record holds
--   whoever wrote it (a pull, a targeted fetch, a push reply), and lets this migration fill them for records
--   already mirrored.
-- * Only a record whose JSON carries the array is authoritative: list rows often lack it (tickets without
--   include_custom_fields, most other lists), and such a row leaves the values learnt earlier alone. A field
--   no longer in a carried array is removed. A tombstoned record's values are soft-deleted with it and come
--   back with it.

-- +goose Up

-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE halo.custom_fields (
    id              bigint PRIMARY KEY,
    name            text,
    label           text,
    type            bigint,
    inputtype       bigint,
    custom          boolean,
    mandatory       boolean,
    characterlimit  bigint,
    usage           bigint,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
COMMENT ON TABLE halo.custom_fields IS 'Halo field definitions (GET /api/FieldInfo, a bare array; built-in and custom fields). customfields[].id on records is this id. One row per field id ever seen; fields gone from Halo keep their last state with deleted_at set.';
COMMENT ON COLUMN halo.custom_fields.id IS 'Halo field id (primary key); the id of the field in the customfields arrays of records and in halo.custom_field_values.field_id.';
COMMENT ON COLUMN halo.custom_fields.name IS 'Field name, e.g. CFimpact (custom fields start with CF); also accepted by Halo when writing customfields.';
COMMENT ON COLUMN halo.custom_fields.label IS 'Label shown in Halo, e.g. Impact.';
COMMENT ON COLUMN halo.custom_fields.type IS 'Field type: 0 text, 1 memo, 2 single select (value = option id), 3 multi select, 4 date, 5 time, 6 checkbox, 10 rich text.';
COMMENT ON COLUMN halo.custom_fields.inputtype IS 'Halo input type of the field (how it is entered; meaning depends on type).';
COMMENT ON COLUMN halo.custom_fields.custom IS 'True for custom fields (defined by the tenant), false for Halo''s built-in fields.';
COMMENT ON COLUMN halo.custom_fields.mandatory IS 'True when Halo requires a value.';
COMMENT ON COLUMN halo.custom_fields.characterlimit IS 'Maximum length of a text value (0 = none).';
COMMENT ON COLUMN halo.custom_fields.usage IS 'What the field belongs to (1 = tickets; published schema only). halosync asks the ticket list for the values of the usage-1 fields.';
COMMENT ON COLUMN halo.custom_fields.raw IS 'The definition exactly as Halo returned it (JSON).';
COMMENT ON COLUMN halo.custom_fields.halo_updated_at IS 'Always NULL: Halo sends no modification time for field definitions.';
COMMENT ON COLUMN halo.custom_fields.synced_at IS 'When halosync last wrote this row.';
COMMENT ON COLUMN halo.custom_fields.deleted_at IS 'When halosync found the field gone from Halo (soft delete); NULL while it exists.';

-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE halo.custom_field_values (
    entity          text NOT NULL,
    record_key      text NOT NULL,
    record_id       bigint,
    field_id        bigint NOT NULL,
    name            text,
    label           text,
    type            bigint,
    value           text,
    display         text,
    value_number    numeric,
    value_date      timestamptz,
    value_bool      boolean,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    PRIMARY KEY (entity, record_key, field_id)
);
CREATE INDEX custom_field_values_record_idx ON halo.custom_field_values (entity, record_id);
CREATE INDEX custom_field_values_field_idx ON halo.custom_field_values (field_id, entity);
COMMENT ON TABLE halo.custom_field_values IS 'Custom field values of mirrored records, one row per record and field, taken from the customfields array of the record''s JSON whenever halosync stores a copy of the record that carries the array (a copy without it, such as most list rows, leaves the values as they were). A field no longer in the array is removed; values of a deleted record keep their last state with deleted_at set. halosync_editor may UPDATE value: the change is pushed to Halo on the owner record.';
COMMENT ON COLUMN halo.custom_field_values.entity IS 'Mirror table of the owner record (tickets, clients, sites, users, assets, actions, …).';
COMMENT ON COLUMN halo.custom_field_values.record_key IS 'Key of the owner record as text: its id, or "ticket_id/id" for actions (as in halosync.rejects and halosync.outbox).';
COMMENT ON COLUMN halo.custom_field_values.record_id IS 'The owner record''s id (for actions the action id; see record_key for the ticket). Join with e.g. halo.tickets.id where entity = ''tickets''.';
COMMENT ON COLUMN halo.custom_field_values.field_id IS 'Field id (halo.custom_fields.id).';
COMMENT ON COLUMN halo.custom_field_values.name IS 'Field name as the record carries it, e.g. CFimpact.';
COMMENT ON COLUMN halo.custom_field_values.label IS 'Field label as the record carries it, e.g. Impact.';
COMMENT ON COLUMN halo.custom_field_values.type IS 'Field type as the record carries it: 0 text, 1 memo, 2 single select, 3 multi select, 4 date, 5 time, 6 checkbox, 10 rich text.';
COMMENT ON COLUMN halo.custom_field_values.value IS 'The value as text, as Halo holds it: text as is, a single select''s option id (0 = unset), a date as ISO text, a multi select as JSON; NULL when Halo sent "" or nothing. Writable by halosync_editor: the new value is pushed to Halo as customfields [{id, value}] on the owner record.';
COMMENT ON COLUMN halo.custom_field_values.display IS 'The value as Halo displays it: a select''s option text, a date in the tenant''s locale; NULL when empty.';
COMMENT ON COLUMN halo.custom_field_values.value_number IS 'The value as a number when it is one (a JSON number, or a numeric text on select fields); NULL for an unset select (0).';
COMMENT ON COLUMN halo.custom_field_values.value_date IS 'Date and time fields: the value as a UTC timestamp (Halo''s values without a zone are UTC); NULL when unset or one of Halo''s 1900-style empty dates.';
COMMENT ON COLUMN halo.custom_field_values.value_bool IS 'The value as a boolean when it is one (a JSON true/false; for checkboxes also 1/0 and "true"/"false").';
COMMENT ON COLUMN halo.custom_field_values.raw IS 'The element of the record''s customfields array exactly as Halo sent it (JSON).';
COMMENT ON COLUMN halo.custom_field_values.halo_updated_at IS 'Halo''s last-modified time of the owner record when the value was taken (custom fields carry none of their own).';
COMMENT ON COLUMN halo.custom_field_values.synced_at IS 'When halosync last wrote this row.';
COMMENT ON COLUMN halo.custom_field_values.deleted_at IS 'Set when the owner record was deleted (soft delete); cleared if the record comes back.';

-- One row per record with its custom fields as JSON objects, for a pivot without a join per field:
-- SELECT t.id, f.displays->>'CFimpact' FROM halo.tickets t JOIN halo.record_custom_fields f ON f.entity = 'tickets' AND f.record_id = t.id
CREATE VIEW halo.record_custom_fields AS
SELECT entity, record_key, min(record_id) AS record_id,
       jsonb_object_agg(coalesce(name, field_id::text), value) AS "values",
       jsonb_object_agg(coalesce(name, field_id::text), display) AS displays
FROM halo.custom_field_values
WHERE deleted_at IS NULL
GROUP BY entity, record_key;
COMMENT ON VIEW halo.record_custom_fields IS 'One row per record that has live custom field values, with all of them as JSON objects keyed by field name (CFimpact, …; the field id when Halo sent no name): f.displays->>''CFimpact''. Join on entity and record_id (or record_key).';
COMMENT ON COLUMN halo.record_custom_fields.entity IS 'Mirror table of the record (tickets, clients, …).';
COMMENT ON COLUMN halo.record_custom_fields.record_key IS 'Key of the record as text (the id; "ticket_id/id" for actions).';
COMMENT ON COLUMN halo.record_custom_fields.record_id IS 'The record''s id (halo.tickets.id for tickets).';
COMMENT ON COLUMN halo.record_custom_fields."values" IS 'Field name → value as text (halo.custom_field_values.value; a select''s option id), JSON null when empty.';
COMMENT ON COLUMN halo.record_custom_fields.displays IS 'Field name → display text (a select''s option text, a date in the tenant''s locale), JSON null when empty.';

-- Change tracking as on every mirror table (00011).
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['custom_fields', 'custom_field_values'] LOOP
        EXECUTE format('ALTER TABLE halo.%I ADD COLUMN change_xid xid8', t);
        EXECUTE format('COMMENT ON COLUMN halo.%I.change_xid IS %L', t,
            'Id of the transaction that last inserted, changed or tombstoned this row (pg_current_xact_id()). '
            || 'To follow changes without missing any: with each read also take pg_snapshot_xmin(pg_current_snapshot()) in the same statement, '
            || 'and next time read WHERE change_xid >= that value (rows may repeat, none is missed). Indexed.');
        EXECUTE format('CREATE INDEX %I ON halo.%I (change_xid)', t || '_change_xid_idx', t);
        -- Named to fire after every other BEFORE trigger (they fire in name order), as in 00011.
        EXECUTE format('CREATE TRIGGER zz_halosync_stamp_change BEFORE INSERT OR UPDATE ON halo.%I FOR EACH ROW EXECUTE FUNCTION halosync.stamp_change()', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- halo.changes lists every mirror table: rebuilt from the catalogue (halosync.rebuild_changes, 00014).
SELECT halosync.rebuild_changes();

-- ---------------------------------------------------------------------------------------------------------
-- Typed readings of a customfields element's value (v) given the field's type (t). They never fail: a value
-- that does not read as the type gives NULL. No SET search_path: it would keep the SQL ones from being
-- inlined and cost every call a configuration save and restore (ten times slower over 100,000 values); they
-- use only built-in functions and operators, which resolve in pg_catalog whatever the caller's search_path.

-- +goose StatementBegin
CREATE FUNCTION halosync.custom_field_number(v jsonb, t bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    -- (one expression, so that it is inlined.) Text fields keep numeric-looking text (codes, phone
    -- numbers) as text only; a single select's option id 0 means unset.
    SELECT CASE
        WHEN jsonb_typeof(v) = 'number' AND NOT (t = 2 AND v::text::numeric = 0) THEN v::text::numeric
        WHEN jsonb_typeof(v) = 'string' AND t IN (2, 3) AND btrim(v #>> '{}') ~ '^-?[0-9]{1,30}(\.[0-9]{1,30})?$'
             AND NOT (t = 2 AND btrim(v #>> '{}')::numeric = 0) THEN btrim(v #>> '{}')::numeric
    END
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.custom_field_number(jsonb, bigint) IS 'value_number of a custom field value: a JSON number, or numeric text on select fields; NULL for an unset single select (0) and anything else.';

-- +goose StatementBegin
CREATE FUNCTION halosync.custom_field_time(v jsonb, t bigint) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    s text;
BEGIN
    -- the rules of halo.ParseTime: no zone = UTC, 0-7 fractional digits, any year up to 1901 = empty
    IF jsonb_typeof(v) IS DISTINCT FROM 'string' OR t IN (0, 1, 10) THEN
        RETURN NULL;
    END IF;
    s := btrim(v #>> '{}');
    IF s !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$'
       OR left(s, 4)::int <= 1901 THEN
        RETURN NULL;
    END IF;
    BEGIN -- a block with a handler costs a subtransaction: only around the cast
        IF length(s) > 10 AND s ~ '(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN
            RETURN s::timestamptz;
        END IF;
        RETURN s::timestamp AT TIME ZONE 'UTC';
    EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
        RETURN NULL; -- 2024-13-45 and the like
    END;
END
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.custom_field_time(jsonb, bigint) IS 'value_date of a custom field value: ISO date/time text on non-text fields, read as UTC when it has no zone; NULL for Halo''s empty dates (year up to 1901) and anything else.';

-- +goose StatementBegin
CREATE FUNCTION halosync.custom_field_bool(v jsonb, t bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN jsonb_typeof(v) = 'boolean' THEN v::text::boolean
        WHEN t = 6 AND jsonb_typeof(v) = 'number' THEN v::text::numeric <> 0
        WHEN t = 6 AND jsonb_typeof(v) = 'string' THEN
            CASE lower(btrim(v #>> '{}')) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'false' THEN false WHEN '0' THEN false END
        END
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.custom_field_bool(jsonb, bigint) IS 'value_bool of a custom field value: a JSON boolean; on checkboxes (type 6) also 1/0 and "true"/"false".';

-- store_custom_fields brings the values of owner records just written by the sync in step with them
-- (parallel arrays: record key, record id, the record's customfields array or NULL when the copy carried
-- none, its halo_updated_at). The records are live, so their soft-deleted values come back; a record that
-- carries an array has exactly the values of that array: a field gone from it is removed. Elements without a
-- whole-number id are skipped; when one array repeats a field id, its last element counts. One statement:
-- the four changes touch disjoint rows (revived: records without an array; removed and written: records
-- with one, fields out of and in the array).
-- +goose StatementBegin
CREATE FUNCTION halosync.store_custom_fields(p_entity text, p_keys text[], p_ids bigint[], p_fields jsonb[], p_updated timestamptz[])
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
WITH owners AS MATERIALIZED (
    SELECT o.k, o.rid, o.upd, CASE WHEN jsonb_typeof(o.f) = 'array' THEN o.f END AS f
    FROM unnest(p_keys, p_ids, p_fields, p_updated) AS o(k, rid, f, upd)
), el AS MATERIALIZED (
    SELECT DISTINCT ON (e.k, e.fid) e.k, e.rid, e.fid, e.typ, e.v, e.el, e.upd
    FROM (
        SELECT o.k, o.rid, o.upd, x.el, x.n, x.el->'value' AS v, (x.el->>'id')::numeric::bigint AS fid,
               CASE WHEN jsonb_typeof(x.el->'type') = 'number' AND (x.el->>'type') ~ '^[0-9]{1,9}(\.0*)?$'
                    THEN (x.el->>'type')::numeric::bigint END AS typ
        FROM owners o, jsonb_array_elements(o.f) WITH ORDINALITY AS x(el, n)
        WHERE o.f IS NOT NULL AND jsonb_typeof(x.el) = 'object' AND (x.el->>'id') ~ '^[0-9]{1,18}(\.0*)?$'
    ) e
    ORDER BY e.k, e.fid, e.n DESC
), revived AS (
    UPDATE halo.custom_field_values v SET deleted_at = NULL, synced_at = now()
    FROM owners o
    WHERE o.f IS NULL AND v.entity = p_entity AND v.record_key = o.k AND v.deleted_at IS NOT NULL
), removed AS (
    DELETE FROM halo.custom_field_values v USING owners o
    WHERE o.f IS NOT NULL AND v.entity = p_entity AND v.record_key = o.k
      AND NOT EXISTS (SELECT FROM el WHERE el.k = v.record_key AND el.fid = v.field_id)
), written AS (
    INSERT INTO halo.custom_field_values AS v (entity, record_key, record_id, field_id, name, label, type, value, display,
        value_number, value_date, value_bool, raw, halo_updated_at)
    SELECT p_entity, e.k, e.rid, e.fid, nullif(e.el->>'name', ''), nullif(e.el->>'label', ''), e.typ,
           nullif(e.el->>'value', ''), nullif(e.el->>'display', ''), halosync.custom_field_number(e.v, e.typ),
           halosync.custom_field_time(e.v, e.typ), halosync.custom_field_bool(e.v, e.typ), e.el, e.upd
    FROM el e
    ON CONFLICT (entity, record_key, field_id) DO UPDATE SET
        record_id = EXCLUDED.record_id, name = EXCLUDED.name, label = EXCLUDED.label, type = EXCLUDED.type,
        value = EXCLUDED.value, display = EXCLUDED.display, value_number = EXCLUDED.value_number,
        value_date = EXCLUDED.value_date, value_bool = EXCLUDED.value_bool, raw = EXCLUDED.raw,
        halo_updated_at = EXCLUDED.halo_updated_at, synced_at = now(), deleted_at = NULL
    WHERE (v.record_id, v.name, v.label, v.type, v.value, v.display, v.raw, v.halo_updated_at, v.deleted_at)
          IS DISTINCT FROM (EXCLUDED.record_id, EXCLUDED.name, EXCLUDED.label, EXCLUDED.type, EXCLUDED.value,
                            EXCLUDED.display, EXCLUDED.raw, EXCLUDED.halo_updated_at, NULL::timestamptz)
)
SELECT
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.store_custom_fields(text, text[], bigint[], jsonb[], timestamptz[]) IS 'Called by the sync in the transaction that wrote owner records: revives their soft-deleted values, and makes the values of each record that carries a customfields array exactly that array''s.';

-- Values of the records already mirrored.
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'halo' AND c.relkind = 'r' AND c.relname NOT IN ('custom_fields', 'custom_field_values')
               AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'raw' AND NOT a.attisdropped)
               AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped
                           AND a.atttypid = 'bigint'::regtype)
             ORDER BY 1
    LOOP
        EXECUTE format($f$
            SELECT halosync.store_custom_fields(%L, array_agg(k), array_agg(id), array_agg(raw->'customfields'), array_agg(halo_updated_at))
            FROM (SELECT %s AS k, id, raw, halo_updated_at FROM halo.%I
                  WHERE deleted_at IS NULL AND jsonb_typeof(raw->'customfields') = 'array') r$f$,
            t, CASE WHEN t = 'actions' THEN $k$ticket_id::text || '/' || id::text$k$ ELSE 'id::text' END, t);
    END LOOP;
END
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION halosync.store_custom_fields(text, text[], bigint[], jsonb[], timestamptz[]) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------------
-- Pushing a value: UPDATE halo.custom_field_values SET value = … records the change in the owner record's
-- outbox row under the field "customfields.<field id>" (a flat key, so it merges with the owner's column edits
-- into one push like any column), with the value before the edit as its base. The pusher sends it as
-- customfields [{id, value}] on the owner's POST, under the owner's conflict rule.

-- Owner records whose custom fields may be pushed: those whose POST takes customfields (halo-api.md §7.1)
-- and that halosync pushes.
-- +goose StatementBegin
CREATE FUNCTION halosync.custom_field_owner(p_entity text) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT p_entity IN ('tickets', 'clients', 'sites', 'users', 'assets')
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.custom_field_owner(text) IS 'True for the entities whose custom field values may be edited and pushed (tickets, clients, sites, users, assets).';

-- custom_field_guard (BEFORE UPDATE on halo.custom_field_values): only value may change, on a live value of
-- a pushable owner; the typed columns follow the new value. Halo's own writes pass.
-- +goose StatementBegin
CREATE FUNCTION halosync.custom_field_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text;
    o jsonb;
    n jsonb;
BEGIN
    IF halosync.is_sync() THEN
        RETURN NEW;
    END IF;
    IF OLD.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'halosync: custom field % of % % is deleted (deleted_at is set) and cannot be changed',
            OLD.field_id, OLD.entity, OLD.record_key;
    END IF;
    IF NOT halosync.custom_field_owner(OLD.entity) THEN
        RAISE EXCEPTION 'halosync: custom fields of % are not pushed to Halo; only those of tickets, clients, sites, users and assets can be changed', OLD.entity
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    o := to_jsonb(OLD);
    n := to_jsonb(NEW);
    FOR k IN SELECT key FROM jsonb_each(n) ORDER BY key LOOP
        CONTINUE WHEN k IN ('value', 'value_number', 'value_date', 'value_bool');
        IF (n->k) IS DISTINCT FROM (o->k) THEN
            RAISE EXCEPTION 'halosync: column "%" of halo.custom_field_values is not writable', k
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = 'Only value may be changed; it is pushed to Halo on the owner record, and every other column follows Halo.';
        END IF;
    END LOOP;
    NEW.value_number := halosync.custom_field_number(to_jsonb(NEW.value), NEW.type);
    NEW.value_date := halosync.custom_field_time(to_jsonb(NEW.value), NEW.type);
    NEW.value_bool := halosync.custom_field_bool(to_jsonb(NEW.value), NEW.type);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.custom_field_guard() IS 'BEFORE trigger on halo.custom_field_values, run as its owner: lets a local edit change value only (on a live value of a ticket, client, site, user or asset) and recomputes the typed columns from it. Skipped for halosync''s own writes.';

-- custom_field_capture (AFTER UPDATE): records a changed value in the owner record's outbox row.
-- +goose StatementBegin
CREATE FUNCTION halosync.custom_field_capture() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF halosync.is_sync() OR NEW.value IS NOT DISTINCT FROM OLD.value THEN
        RETURN NULL;
    END IF;
    PERFORM halosync.outbox_record(NEW.entity, NEW.record_key, 'update',
        jsonb_build_object('customfields.' || NEW.field_id, NEW.value),
        jsonb_build_object('customfields.' || NEW.field_id, OLD.value));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.custom_field_capture() IS 'AFTER trigger on halo.custom_field_values: records a changed value in the owner record''s halosync.outbox row as field customfields.<field id> (base: the value before). Skipped for halosync''s own writes.';

-- UPDATE only: INSERT and DELETE are the sync's alone (no role but the owner has the privilege), and a row
-- trigger on them would cost every value a pull writes.
CREATE TRIGGER halosync_guard BEFORE UPDATE ON halo.custom_field_values
    FOR EACH ROW EXECUTE FUNCTION halosync.custom_field_guard();
CREATE TRIGGER halosync_capture AFTER UPDATE ON halo.custom_field_values
    FOR EACH ROW EXECUTE FUNCTION halosync.custom_field_capture();
REVOKE ALL ON FUNCTION halosync.custom_field_guard(), halosync.custom_field_capture() FROM PUBLIC;

-- The outbox merges an edit's base into the open row's: the values before the first edit of each field since
-- the last push win, and fields edited for the first time (a custom field after a column, or the other way
-- round) add theirs. (Before, the first edit's base was kept whole, which had every writable column.)
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
        base            = CASE WHEN o.base IS NULL THEN EXCLUDED.base ELSE coalesce(EXCLUDED.base, '{}'::jsonb) || o.base END,
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

-- Reading: both tables and the view (the schema's default privileges of 00001 and 00008 give the same to
-- tables the migrating role creates; said here for any other). Editing: value only (a column privilege; the
-- guard refuses the rest to anyone else).
GRANT SELECT ON halo.custom_fields, halo.custom_field_values, halo.record_custom_fields TO halosync_reader, halosync_editor;
GRANT UPDATE (value) ON halo.custom_field_values TO halosync_editor;

-- +goose Down
REVOKE UPDATE (value) ON halo.custom_field_values FROM halosync_editor;
DROP VIEW halo.record_custom_fields;
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
        state           = CASE WHEN o.state = 'sending'
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
-- halo.changes without the two tables, before they go
SELECT halosync.rebuild_changes(ARRAY['custom_fields', 'custom_field_values']);
DROP TABLE halo.custom_field_values;
DROP TABLE halo.custom_fields;
DROP FUNCTION halosync.custom_field_capture();
DROP FUNCTION halosync.custom_field_guard();
DROP FUNCTION halosync.custom_field_owner(text);
DROP FUNCTION halosync.store_custom_fields(text, text[], bigint[], jsonb[], timestamptz[]);
DROP FUNCTION halosync.custom_field_bool(jsonb, bigint);
DROP FUNCTION halosync.custom_field_time(jsonb, bigint);
DROP FUNCTION halosync.custom_field_number(jsonb, bigint);
