package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/testdb"
)

// TestDemoScriptRuns runs the README's first command the way `make demo` does (deploy/local/demo.sh: build,
// migrate, fake Halo, check, first sync) on a small tenant against a test database, stopping before the
// worker (DEMO_ONCE). Every command the demo runs checks the settings, so the demo must give them before its
// first command: a demo whose `migrate` refused its own secrets once shipped with every unit test green.
func TestDemoScriptRuns(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("bash is needed to run deploy/local/demo.sh: %v", err)
	}
	dbURL, pool := testdb.NewURL(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "deploy", "local", "demo.sh"))
	cmd.Dir = root
	cmd.Env = binaryEnv(map[string]string{
		"DATABASE_URL":       dbURL,
		"FAKE_ADDR":          freeAddr(t),
		"HALOSYNC_HTTP_ADDR": freeAddr(t),
		"DEMO_SIZE":          "small",
		"DEMO_ONCE":          "1",
	})
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "demo.sh failed:\n%s", out)
	require.Contains(t, string(out), "DEMO_ONCE set: stopping after the first sync")

	var tickets int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM halo.tickets WHERE deleted_at IS NULL`).Scan(&tickets))
	require.Positive(t, tickets, "the demo's first sync mirrored tickets")
}
