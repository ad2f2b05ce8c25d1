-- A record's custom field values are written only when they changed (issue 19). store_custom_fields
-- rewrote every value of a record whose last-modified time moved, though most edits of a ticket leave its
-- custom fields as they were: each rewrite is a new row version in three indexes, with the table's guard
-- and capture triggers, and on a 200k-ticket mirror it was the largest statement of an incremental pull
-- (14 ms for 50 tickets, 1.6 ms on a 10k mirror). Values as they are stored are now skipped before the
-- insert, which otherwise locks each conflicting row. halo_updated_at now says when the value last changed
-- as halosync saw it: the owner's last-modified time of the copy that brought the change.

-- +goose Up

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
    -- A value as it is already stored is left alone before the insert: on a conflict, even one its WHERE
    -- skips, the insert locks the row, a write to its page.
    WHERE NOT EXISTS (
        SELECT FROM halo.custom_field_values o
        WHERE o.entity = p_entity AND o.record_key = e.record_key AND o.field_id = e.field_id AND o.deleted_at IS NULL
          AND (o.record_id, o.name, o.label, o.type, o.value, o.display, o.raw)
              IS NOT DISTINCT FROM (e.record_id, e.name, e.label, e.type, e.value, e.display, e.raw))
    ON CONFLICT (entity, record_key, field_id) DO UPDATE SET
        record_id = EXCLUDED.record_id, name = EXCLUDED.name, label = EXCLUDED.label, type = EXCLUDED.type,
        value = EXCLUDED.value, display = EXCLUDED.display, value_number = EXCLUDED.value_number,
        value_date = EXCLUDED.value_date, value_bool = EXCLUDED.value_bool, raw = EXCLUDED.raw,
        halo_updated_at = EXCLUDED.halo_updated_at, synced_at = now(), deleted_at = NULL
    WHERE (v.record_id, v.name, v.label, v.type, v.value, v.display, v.raw, v.deleted_at)
          IS DISTINCT FROM (EXCLUDED.record_id, EXCLUDED.name, EXCLUDED.label, EXCLUDED.type, EXCLUDED.value,
                            EXCLUDED.display, EXCLUDED.raw, NULL::timestamptz)
)
SELECT
$$;
-- +goose StatementEnd

COMMENT ON COLUMN halo.custom_field_values.halo_updated_at IS 'Halo''s last-modified time of the owner record in the copy that brought this value as it is (custom fields carry no time of their own): a later edit of the record that leaves the value as it was does not move it.';

-- +goose Down

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

COMMENT ON COLUMN halo.custom_field_values.halo_updated_at IS 'Halo''s last-modified time of the owner record when the value was taken (custom fields carry none of their own).';
