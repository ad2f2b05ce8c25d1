// Package testdb gives each test a fresh, fully migrated Postgres database on the server named by
// TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). Databases are
// called halosync_test_<random hex> and dropped when the test ends.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/halosync/halosync/migrations"
)

// DefaultURL is the server used when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	mu   sync.Mutex
	urls = map[testing.TB]string{}
)

// ServerURL returns the admin URL of the test server.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// New creates a fresh database, applies migrations.Up to it and returns a pool on it. The pool is closed
// and the database dropped (WITH (FORCE)) at cleanup.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	dbURL := create(t)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatalf("testdb: connect: %v", err)
	}
	t.Cleanup(pool.Close) // runs before the drop registered by create (LIFO)
	if err := migrations.Up(ctx, pool); err != nil {
		t.Fatalf("testdb: migrate: %v", err)
	}
	return pool
}

// NewEmpty creates a fresh database without migrating it and returns its URL (for migration tests).
func NewEmpty(t testing.TB) string {
	t.Helper()
	return create(t)
}

// URL returns the URL of the database New created for t (for tests that run the binary).
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

func create(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin := ServerURL()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "halosync_test_" + hex.EncodeToString(b)

	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testdb: connect to %s (set TEST_DATABASE_URL): %v", redact(admin), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			t.Errorf("testdb: connect for drop: %v", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
		}
	})

	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("testdb: parse URL: %v", err)
	}
	u.Path = "/" + name
	mu.Lock()
	urls[t] = u.String()
	mu.Unlock()
	t.Cleanup(func() { mu.Lock(); delete(urls, t); mu.Unlock() })
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
