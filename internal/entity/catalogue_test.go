package entity_test

import (
	"slices"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/internal/testdb"
)

// bookkeeping are the columns every mirror table has besides its declared ones.
var bookkeeping = map[string]string{
	"raw": "jsonb", "halo_updated_at": "timestamp with time zone", "synced_at": "timestamp with time zone",
	"deleted_at": "timestamp with time zone", "change_xid": "xid8",
}

// TestDeclarationsMatchCatalogue checks every declaration against the database the real migrations build:
// its table exists with the declared COMMENT; every key and typed column exists with its kind's type and
// exactly the declared COMMENT; generated columns are generated; the primary key is the declared key; the
// table has no column the declaration does not know; it is wired like every mirror table (change stamp,
// reader grant, halo.changes, and the push triggers when it is pushable); every halo.* table has a
// declaration; and halosync.writable_columns lists exactly the declared Writable columns.
func TestDeclarationsMatchCatalogue(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := t.Context()

	rows, err := pool.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'halo' AND c.relkind IN ('r', 'p') ORDER BY 1`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	declared := entity.Names(entity.All())
	require.ElementsMatch(t, declared, tables, "every halo.* table has a declaration and every declaration its table")

	for _, e := range entity.All() {
		t.Run(e.Name, func(t *testing.T) {
			var comment *string
			require.NoError(t, pool.QueryRow(ctx, `SELECT obj_description(('halo.' || quote_ident($1))::regclass, 'pg_class')`, e.Name).Scan(&comment))
			require.NotNil(t, comment, "table COMMENT")
			require.Equal(t, e.Comment, *comment, "table COMMENT")

			type col struct {
				Name, Type string
				Generated  bool
				Comment    *string
			}
			rows, err := pool.Query(ctx, `SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attgenerated <> '',
       col_description(a.attrelid, a.attnum)
FROM pg_attribute a WHERE a.attrelid = ('halo.' || quote_ident($1))::regclass AND a.attnum > 0 AND NOT a.attisdropped`, e.Name)
			require.NoError(t, err)
			got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[col])
			require.NoError(t, err)
			byName := map[string]col{}
			for _, c := range got {
				byName[c.Name] = c
			}
			typeName := map[string]string{"text": "text", "bigint": "bigint", "numeric": "numeric", "boolean": "boolean",
				"timestamptz": "timestamp with time zone"}
			for _, c := range append(append([]entity.Column(nil), e.Keys...), e.Columns...) {
				g, ok := byName[c.Name]
				require.True(t, ok, "column %s is declared but not in the table", c.Name)
				require.Equal(t, typeName[c.Kind.PGType()], g.Type, "type of %s", c.Name)
				require.False(t, g.Generated, "%s is declared as a typed column but is generated", c.Name)
				require.NotNil(t, g.Comment, "COMMENT of %s", c.Name)
				require.Equal(t, c.Comment, *g.Comment, "COMMENT of %s", c.Name)
				delete(byName, c.Name)
			}
			for _, name := range e.Generated {
				g, ok := byName[name]
				require.True(t, ok, "generated column %s is declared but not in the table", name)
				require.True(t, g.Generated, "%s is declared generated", name)
				require.NotNil(t, g.Comment, "COMMENT of %s", name)
				delete(byName, name)
			}
			for name, typ := range bookkeeping {
				require.Equal(t, typ, byName[name].Type, "bookkeeping column %s", name)
				require.NotNil(t, byName[name].Comment, "COMMENT of %s", name)
				delete(byName, name)
			}
			require.Empty(t, byName, "columns of halo.%s that its declaration does not know", e.Name)

			rows, err = pool.Query(ctx, `SELECT a.attname::text FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = ('halo.' || quote_ident($1))::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`, e.Name)
			require.NoError(t, err)
			pk, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			var keys []string
			for _, k := range e.Keys {
				keys = append(keys, k.Name)
			}
			require.Equal(t, keys, pk, "primary key")

			// The wiring every mirror table needs: its change stamp, the readers' grant, its rows in
			// halo.changes; and for a pushable one, the push guard and the capture of local edits.
			rows, err = pool.Query(ctx, `SELECT tgname::text FROM pg_trigger WHERE tgrelid = ('halo.' || quote_ident($1))::regclass AND NOT tgisinternal`, e.Name)
			require.NoError(t, err)
			triggers, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			require.Contains(t, triggers, "zz_halosync_stamp_change", "change_xid is stamped")
			if e.Pushable() {
				require.Contains(t, triggers, "halosync_guard", "local edits are checked")
				require.Contains(t, triggers, "halosync_capture", "local edits are pushed")
			}
			var readable, inChanges bool
			require.NoError(t, pool.QueryRow(ctx, `SELECT has_table_privilege('halosync_reader', ('halo.' || quote_ident($1))::regclass, 'SELECT'),
       EXISTS (SELECT FROM pg_rewrite r JOIN pg_depend d ON d.objid = r.oid
               WHERE r.ev_class = 'halo.changes'::regclass AND d.refobjid = ('halo.' || quote_ident($1))::regclass)`, e.Name).Scan(&readable, &inChanges))
			require.True(t, readable, "halosync_reader may read halo.%s", e.Name)
			require.True(t, inChanges, "halo.changes lists the rows of halo.%s", e.Name)

			rows, err = pool.Query(ctx, `SELECT column_name FROM halosync.writable_columns WHERE entity = $1`, e.Name)
			require.NoError(t, err)
			writable, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			writable = append([]string{}, writable...)
			want := append([]string{}, e.Writable()...)
			sort.Strings(want)
			slices.Sort(writable)
			require.Equal(t, want, writable, "halosync.writable_columns (a migration inserts the rows of the Writable columns)")
		})
	}

	// No writable_columns row names an entity without a declaration.
	rows, err = pool.Query(ctx, `SELECT DISTINCT entity FROM halosync.writable_columns`)
	require.NoError(t, err)
	withWritable, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	for _, name := range withWritable {
		require.Contains(t, declared, name, "halosync.writable_columns names an entity without a declaration")
	}
}
