// Package migrations owns the database schema: halosync's own goose SQL files (embedded from this folder)
// and River's tables (through rivermigrate). Up is idempotent and safe to call from several replicas at once.
//
// Choice written down: River's tables come from rivermigrate at startup, not from goose copies of River's
// SQL, so upgrading River upgrades its schema without us copying files.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed *.sql
var files embed.FS

// VersionTable is goose's version table. It lives in halosync so schema public stays River's and the
// analysts' schema halo stays clean.
const VersionTable = "halosync.goose_db_version"

// Advisory lock ids (cluster-wide numbers, but advisory locks are scoped per database). Distinct from
// goose's own default id (lock.DefaultLockID) so the three phases never wait on each other by accident.
const (
	schemaLockID int64 = 0x68616c6f00000001 // "halo"…1: CREATE SCHEMA halosync
	riverLockID  int64 = 0x68616c6f00000002 // "halo"…2: rivermigrate up
)

// Up creates schema halosync if needed, applies all pending goose migrations under goose's Postgres session
// (advisory) lock, then applies River's migrations under an advisory lock of our own. Callers racing each
// other (replicas starting together) serialise on the locks; the losers find nothing left to do.
func Up(ctx context.Context, pool *pgxpool.Pool) error {
	if err := ensureStateSchema(ctx, pool); err != nil {
		return err
	}

	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()

	p, err := newProvider(db, true)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("error applying goose migrations: %w", err)
	}

	return riverUp(ctx, pool)
}

// Current reports whether every goose migration and every River migration is applied (used by /readyz).
// It takes no lock, so it never waits behind a running migration.
func Current(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, VersionTable).Scan(&exists); err != nil {
		return false, fmt.Errorf("error checking goose version table: %w", err)
	}
	if !exists {
		// Checking goose's status would create the table; an unmigrated database is simply not current.
		return false, nil
	}

	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := newProvider(db, false)
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("error checking pending goose migrations: %w", err)
	}
	if pending {
		return false, nil
	}

	migrator, err := newRiverMigrator(pool)
	if err != nil {
		return false, err
	}
	res, err := migrator.Validate(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("error validating river migrations: %w", err)
	}
	return res.OK, nil
}

// ensureStateSchema creates schema halosync (goose's version table lives there). CREATE SCHEMA IF NOT
// EXISTS is not race-free between sessions, hence the transaction-scoped advisory lock.
func ensureStateSchema(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("error beginning schema tx: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLockID); err != nil {
		return fmt.Errorf("error locking for schema creation: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS halosync`); err != nil {
		return fmt.Errorf("error creating schema halosync: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("error committing schema halosync: %w", err)
	}
	return nil
}

func newProvider(db *sql.DB, withLock bool) (*goose.Provider, error) {
	opts := []goose.ProviderOption{
		goose.WithTableName(VersionTable),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(slog.New(slog.DiscardHandler)),
	}
	if withLock {
		// Poll every second for up to 10 minutes: a replica waits for another one's long migration
		// instead of failing (goose's default polls every 5s for 5 minutes).
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, fmt.Errorf("error creating goose locker: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files, opts...)
	if err != nil {
		return nil, fmt.Errorf("error creating goose provider: %w", err)
	}
	return p, nil
}

func newRiverMigrator(pool *pgxpool.Pool) (*rivermigrate.Migrator[pgx.Tx], error) {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("error creating river migrator: %w", err)
	}
	return m, nil
}

// riverUp runs rivermigrate up while holding a session advisory lock on a dedicated connection, because
// rivermigrate itself does not guard against two replicas migrating at once.
func riverUp(ctx context.Context, pool *pgxpool.Pool) (retErr error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("error acquiring connection for river lock: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, riverLockID); err != nil {
		return fmt.Errorf("error taking river migration lock: %w", err)
	}
	defer func() {
		// Unlock even if ctx was cancelled; if that fails, drop the connection so the lock dies with it.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverLockID); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
			retErr = errors.Join(retErr, fmt.Errorf("error releasing river migration lock: %w", err))
		}
	}()

	migrator, err := newRiverMigrator(pool)
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("error applying river migrations: %w", err)
	}
	return nil
}
