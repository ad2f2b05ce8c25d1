package migrations_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/migrations"
)

func TestUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("IdempotentAndCurrent", func(t *testing.T) {
		t.Parallel()
		pool := testdb.New(t) // already migrated once
		require.NoError(t, migrations.Up(ctx, pool))
		ok, err := migrations.Current(ctx, pool)
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("ConcurrentCallers", func(t *testing.T) {
		t.Parallel()
		pool, err := pgxpool.New(ctx, testdb.NewEmpty(t))
		require.NoError(t, err)
		t.Cleanup(pool.Close)

		ok, err := migrations.Current(ctx, pool)
		require.NoError(t, err)
		require.False(t, ok, "empty database is not current")

		var g errgroup.Group
		for range 3 {
			g.Go(func() error { return migrations.Up(ctx, pool) })
		}
		require.NoError(t, g.Wait())

		ok, err = migrations.Current(ctx, pool)
		require.NoError(t, err)
		require.True(t, ok)

		var applied int
		require.NoError(t, pool.QueryRow(ctx,
			`SELECT count(*) FROM halosync.goose_db_version WHERE version_id = 1`).Scan(&applied))
		require.Equal(t, 1, applied, "migration 1 recorded exactly once")
	})
}

// TestComments fails when any table or column in schemas halo and halosync lacks a COMMENT: the mirror is
// documented in the database itself, for analysts.
func TestComments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)

	rows, err := pool.Query(ctx, `
SELECT n.nspname || '.' || c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('halo', 'halosync') AND c.relkind IN ('r', 'p', 'v', 'm')
  AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT n.nspname || '.' || c.relname || '.' || a.attname
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('halo', 'halosync') AND c.relkind IN ('r', 'p', 'v', 'm')
  AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL
ORDER BY 1`)
	require.NoError(t, err)
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Empty(t, missing, "tables/columns without COMMENT ON")

	var tables int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'halo'`).Scan(&tables))
	require.Equal(t, len(entity.All()), tables, "one table per declared entity (internal/entity checks which)")
}

// TestReaderRole checks halosync_reader can read every mirror table and write none.
func TestReaderRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)

	rows, err := pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'halo' ORDER BY 1`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NotEmpty(t, tables)

	asReader := func(t *testing.T, sql string) error {
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback(ctx) }()
		_, err = tx.Exec(ctx, `SET LOCAL ROLE halosync_reader`)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, sql)
		return err
	}
	for _, tbl := range tables {
		t.Run(tbl, func(t *testing.T) {
			require.NoError(t, asReader(t, `SELECT * FROM halo.`+tbl+` LIMIT 1`))
			err := asReader(t, `DELETE FROM halo.`+tbl)
			var pgErr *pgconn.PgError
			require.True(t, errors.As(err, &pgErr), "delete as reader: %v", err)
			require.Equal(t, "42501", pgErr.Code) // insufficient_privilege
		})
	}
	t.Run("NoStateAccess", func(t *testing.T) {
		require.Error(t, asReader(t, `SELECT * FROM halosync.entity_state`))
	})
}

// TestDownUp checks every Down section undoes its Up cleanly (goose run straight from the folder).
func TestDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { _ = db.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("."),
		goose.WithTableName(migrations.VersionTable), goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)

	_, err = p.DownTo(ctx, 0)
	require.NoError(t, err)
	var halo bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT to_regnamespace('halo') IS NOT NULL`).Scan(&halo))
	require.False(t, halo)

	require.NoError(t, migrations.Up(ctx, pool))
	ok, err := migrations.Current(ctx, pool)
	require.NoError(t, err)
	require.True(t, ok)
}
