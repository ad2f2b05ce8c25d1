-- +goose Up

-- Cheaper statistics for the mirror tables (issue 19, ingest speed). After a first or full sync halosync
-- runs VACUUM (ANALYZE) on the tables it loaded (store.AnalyzeAfterWrites), and ANALYZE spent about a third
-- of its time on the raw column: every sampled record's whole JSON document detoasted and sorted for a
-- histogram of documents that are all different, which no query can use (a filter on raw->>'x' is
-- estimated from an expression index's statistics, never from these). The typed columns keep theirs.
-- Every halo table with a raw column as of this migration (later ones set it where they create the table).
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT c.table_name FROM information_schema.columns c
             JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
             WHERE c.table_schema = 'halo' AND c.column_name = 'raw' AND tb.table_type = 'BASE TABLE' LOOP
        EXECUTE format('ALTER TABLE halo.%I ALTER COLUMN raw SET STATISTICS 0', t);
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
    FOR t IN SELECT c.table_name FROM information_schema.columns c
             JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
             WHERE c.table_schema = 'halo' AND c.column_name = 'raw' AND tb.table_type = 'BASE TABLE' LOOP
        EXECUTE format('ALTER TABLE halo.%I ALTER COLUMN raw SET STATISTICS -1', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
