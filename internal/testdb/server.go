package testdb

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server used when TEST_DATABASE_URL is unset and no local cluster is running.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// howToFix ends every "no server" failure: tests never skip for lack of a database, they fail and say why.
const howToFix = "run the tests via `make test` (it starts a throwaway cluster with deploy/local/postgres.sh), " +
	"or start one with `make db-start`, or set TEST_DATABASE_URL to a server where this user may CREATE DATABASE"

var (
	serverOnce sync.Once
	serverURL  string
)

// ServerURL returns the admin URL of the test server: TEST_DATABASE_URL when set; otherwise the local
// cluster of deploy/local/postgres.sh if it answers (its URL is in <repo>/.local/pg.url while it runs);
// otherwise DefaultURL. The probe runs once per test binary.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	serverOnce.Do(func() {
		serverURL = DefaultURL
		if u := localClusterURL(); u != "" && reachable(u) {
			serverURL = u
		}
	})
	return serverURL
}

// localClusterURL reads .local/pg.url from the module root, found by walking up from the working
// directory (go test runs each package in its own folder). Empty when there is none.
func localClusterURL() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b, err := os.ReadFile(filepath.Join(dir, ".local", "pg.url"))
			if err != nil {
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func reachable(u string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return false
	}
	_ = conn.Close(ctx)
	return true
}

// withDatabase returns serverURL pointed at database name. Both URL and keyword/value
// ("host=… dbname=…") forms are accepted, as pgx accepts both.
func withDatabase(serverURL, name string) (string, error) {
	if strings.HasPrefix(serverURL, "postgres://") || strings.HasPrefix(serverURL, "postgresql://") {
		u, err := url.Parse(serverURL)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// pgconn lets a later keyword override an earlier one.
	return serverURL + " dbname=" + name, nil
}

// redact hides a password for error messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(keyword/value DSN)"
	}
	return u.Redacted()
}
