// Package testdb gives each test a fresh, fully migrated Postgres database on the test server (see
// ServerURL: TEST_DATABASE_URL, else the local cluster of deploy/local/postgres.sh, else
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). Databases are called
// halosync_test_<random hex> and dropped WITH (FORCE) when the test ends, so tests and test packages may
// run in parallel. Without a reachable server the test fails (never skips) and says how to get one.
//
// Set TESTDB_KEEP=1 to keep the databases after the run (their URLs are logged) for a post-mortem.
//
// Nothing here outlives the test: the admin work uses short-lived connections, not a process-wide pool, so
// goleak in TestMain stays quiet.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/halosync/halosync/migrations"
)

// maxConns caps each test pool. pgxpool's default (max(4, NumCPU)) is small enough that a test running
// River plus a few goroutines can starve itself; connections open lazily, so a higher cap costs nothing
// until used. A pool_max_conns in TEST_DATABASE_URL wins.
const maxConns = 16

// setupTimeout bounds create + migrate + drop, so a wedged server fails the test instead of hanging it.
const setupTimeout = 2 * time.Minute

var (
	mu   sync.Mutex
	urls = map[testing.TB]string{}
)

// New creates a fresh database, applies migrations.Up to it and returns a pool on it. The pool is closed
// and the database dropped at cleanup.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	_, pool := NewURL(t)
	return pool
}

// NewURL is New that also returns the database's URL (for tests that run the binary or open their own
// connections).
func NewURL(t testing.TB) (string, *pgxpool.Pool) {
	t.Helper()
	dbURL := create(t)
	pool := Connect(t, dbURL)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := migrations.Up(ctx, pool); err != nil {
		t.Fatalf("testdb: migrations.Up on %s: %v", redact(dbURL), err)
	}
	return dbURL, pool
}

// NewEmpty creates a fresh database without migrating it and returns its URL (for migration tests).
func NewEmpty(t testing.TB) string {
	t.Helper()
	return create(t)
}

// URL returns the URL of the database New/NewURL/NewEmpty last created for t (for tests that run the
// binary).
func URL(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	u, ok := urls[t]
	if !ok {
		t.Fatalf("testdb: URL called before New")
	}
	return u
}

// Connect opens a pool on dbURL with the test defaults and closes it at cleanup.
func Connect(t testing.TB, dbURL string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("testdb: parse %s: %v", redact(dbURL), err)
	}
	if !strings.Contains(dbURL, "pool_max_conns") {
		cfg.MaxConns = maxConns
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("testdb: connect to %s: %v", redact(dbURL), err)
	}
	t.Cleanup(pool.Close) // registered after create's drop, so it runs before it (LIFO)
	return pool
}

// Admin returns a pool on the test server's maintenance database (the one TEST_DATABASE_URL names), for
// tests that inspect the server itself. Closed at cleanup. Do not create schema objects there.
func Admin(t testing.TB) *pgxpool.Pool {
	t.Helper()
	admin := ServerURL()
	if !reachable(admin) {
		t.Fatalf("testdb: no Postgres at %s: %s", redact(admin), howToFix)
	}
	return Connect(t, admin)
}

// create makes an empty database halosync_test_<hex>, remembers its URL for URL(t) and registers its drop.
func create(t testing.TB) string {
	t.Helper()
	admin := ServerURL()
	name := "halosync_test_" + randomHex(8)
	dbURL, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("testdb: TEST_DATABASE_URL %s: %v", redact(admin), err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := adminExec(ctx, admin, createSQL(name)); err != nil {
		t.Fatalf("testdb: create database on %s: %v", redact(admin), err)
	}
	t.Cleanup(func() { drop(t, admin, name, dbURL) })

	mu.Lock()
	urls[t] = dbURL
	mu.Unlock()
	t.Cleanup(func() { mu.Lock(); delete(urls, t); mu.Unlock() })
	return dbURL
}

// createSQL clones template0, not template1: a developer's psql session on template1 would otherwise make
// CREATE DATABASE fail with "source database is being accessed by other users".
func createSQL(name string) string {
	return "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE template0 ENCODING 'UTF8'"
}

func drop(t testing.TB, admin, name, dbURL string) {
	if os.Getenv("TESTDB_KEEP") != "" {
		t.Logf("testdb: TESTDB_KEEP set, keeping %s", redact(dbURL))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	// FORCE ends sessions a test leaked (a River client not stopped, a pool not closed).
	q := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
	if err := adminExec(ctx, admin, q); err != nil {
		t.Errorf("testdb: drop database %s: %v", name, err)
	}
}

// adminExec runs one statement on a short-lived connection to the admin URL, retrying while the server
// reports the template or database busy (SQLSTATE 55006) — parallel packages creating databases at the same
// moment can hit that.
func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w (%s)", redact(admin), err, howToFix)
	}
	defer func() { _ = conn.Close(context.Background()) }()

	delay := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		_, err = conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" || attempt == 10 {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(delay):
		}
		delay *= 2
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24
	return hex.EncodeToString(b)
}
