-- Cheaper custom field value writes (issue 19: in the ingest profile of a first sync, deriving the values
-- took a fifth of the sync's database time, more than a COPY of the same rows).
--
-- * custom_field_time also reads an offset Postgres cannot hold (+16:00) as no date: it failed the write of
--   the record, which was then rejected.
-- * halosync.custom_field_elements is the one reading of a customfields array into value rows, shared by
--   the two writers below.
-- * store_custom_fields finds a record's existing values by the primary key (entity, record_key = ANY …):
--   joined to the list of records, the planner, going by the statistics of a table a first sync is
--   filling, read every value of the entity on each call.
-- * insert_custom_fields is for records the same transaction has just inserted (the sync's COPY of new
--   records): they have no values yet, so the values are inserted as they are, without looking for ones to
--   revive, remove or merge. A repeated field id, or values left by a record removed behind halosync's
--   back, makes the insert fail; the sync then takes the general path.

-- +goose Up

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION halosync.custom_field_time(v jsonb, t bigint) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    s text;
BEGIN
    -- the rules of halo.ParseTime: no zone = UTC, any fractional digits, any year up to 1901 = empty
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
    EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format OR invalid_time_zone_displacement_value THEN
        RETURN NULL; -- 2024-13-45, 2023-02-29, 25:00, +16:00 and the like
    END;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION halosync.custom_field_elements(p_keys text[], p_ids bigint[], p_fields jsonb[], p_updated timestamptz[])
RETURNS TABLE (record_key text, record_id bigint, field_id bigint, name text, label text, type bigint, value text,
               display text, value_number numeric, value_date timestamptz, value_bool boolean, raw jsonb,
               halo_updated_at timestamptz, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    -- (no SET clause, so that it is inlined into its callers, which set the search_path.)
    SELECT e.k, e.rid, e.fid, nullif(e.el->>'name', ''), nullif(e.el->>'label', ''), e.typ,
           nullif(e.el->>'value', ''), nullif(e.el->>'display', ''), halosync.custom_field_number(e.v, e.typ),
           halosync.custom_field_time(e.v, e.typ), halosync.custom_field_bool(e.v, e.typ), e.el, e.upd, e.n
    FROM (
        SELECT o.k, o.rid, o.upd, x.el, x.n, x.el->'value' AS v, (x.el->>'id')::numeric::bigint AS fid,
               CASE WHEN jsonb_typeof(x.el->'type') = 'number' AND (x.el->>'type') ~ '^[0-9]{1,9}(\.0*)?$'
                    THEN (x.el->>'type')::numeric::bigint END AS typ
        FROM unnest(p_keys, p_ids, p_fields, p_updated) AS o(k, rid, f, upd),
             jsonb_array_elements(CASE WHEN jsonb_typeof(o.f) = 'array' THEN o.f END) WITH ORDINALITY AS x(el, n)
        WHERE jsonb_typeof(x.el) = 'object' AND (x.el->>'id') ~ '^[0-9]{1,18}(\.0*)?$'
    ) e
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.custom_field_elements(text[], bigint[], jsonb[], timestamptz[]) IS 'The value rows of records'' customfields arrays (parallel arrays: record key, record id, the array or NULL, the record''s halo_updated_at), n the element''s position in its array. Elements without a whole-number id are skipped.';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION halosync.store_custom_fields(p_entity text, p_keys text[], p_ids bigint[], p_fields jsonb[], p_updated timestamptz[])
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
WITH owners AS MATERIALIZED (
    SELECT o.k, jsonb_typeof(o.f) = 'array' AS carried
    FROM unnest(p_keys, p_fields) AS o(k, f)
), el AS MATERIALIZED (
    SELECT DISTINCT ON (e.record_key, e.field_id) e.*
    FROM halosync.custom_field_elements(p_keys, p_ids, p_fields, p_updated) e
    ORDER BY e.record_key, e.field_id, e.n DESC
), revived AS (
    UPDATE halo.custom_field_values v SET deleted_at = NULL, synced_at = now()
    WHERE v.entity = p_entity AND v.record_key = ANY (ARRAY(SELECT k FROM owners WHERE carried IS NOT TRUE))
      AND v.deleted_at IS NOT NULL
), removed AS (
    DELETE FROM halo.custom_field_values v
    WHERE v.entity = p_entity AND v.record_key = ANY (ARRAY(SELECT k FROM owners WHERE carried))
      AND NOT EXISTS (SELECT FROM el WHERE el.record_key = v.record_key AND el.field_id = v.field_id)
), written AS (
    INSERT INTO halo.custom_field_values AS v (entity, record_key, record_id, field_id, name, label, type, value, display,
        value_number, value_date, value_bool, raw, halo_updated_at)
    SELECT p_entity, e.record_key, e.record_id, e.field_id, e.name, e.label, e.type, e.value, e.display,
           e.value_number, e.value_date, e.value_bool, e.raw, e.halo_updated_at
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

-- +goose StatementBegin
CREATE FUNCTION halosync.insert_custom_fields(p_entity text, p_keys text[], p_ids bigint[], p_fields jsonb[], p_updated timestamptz[])
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO halo.custom_field_values (entity, record_key, record_id, field_id, name, label, type, value, display,
        value_number, value_date, value_bool, raw, halo_updated_at)
    SELECT p_entity, e.record_key, e.record_id, e.field_id, e.name, e.label, e.type, e.value, e.display,
           e.value_number, e.value_date, e.value_bool, e.raw, e.halo_updated_at
    FROM halosync.custom_field_elements(p_keys, p_ids, p_fields, p_updated) e
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.insert_custom_fields(text, text[], bigint[], jsonb[], timestamptz[]) IS 'Called by the sync in the transaction that has just inserted owner records (none had a row before): inserts the values of their customfields arrays. Fails on a repeated field id or on values already present; the sync then calls store_custom_fields instead.';

REVOKE ALL ON FUNCTION halosync.insert_custom_fields(text, text[], bigint[], jsonb[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION halosync.custom_field_elements(text[], bigint[], jsonb[], timestamptz[]) FROM PUBLIC;

-- +goose Down

DROP FUNCTION halosync.insert_custom_fields(text, text[], bigint[], jsonb[], timestamptz[]);

-- store_custom_fields as 00015 made it
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION halosync.store_custom_fields(p_entity text, p_keys text[], p_ids bigint[], p_fields jsonb[], p_updated timestamptz[])
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

DROP FUNCTION halosync.custom_field_elements(text[], bigint[], jsonb[], timestamptz[]);

-- custom_field_time as 00015 made it
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION halosync.custom_field_time(v jsonb, t bigint) RETURNS timestamptz
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
