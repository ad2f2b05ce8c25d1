package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// halosyncBinary builds the real binary once per test run.
func halosyncBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "halosync-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "halosync")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// binaryEnv is the environment of a halosync process under test: nothing
// from the host's halosync settings, only what the test gives.
func binaryEnv(kv map[string]string) []string {
	var env []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "HALO") || strings.HasPrefix(e, "DATABASE_URL=") {
			continue
		}
		env = append(env, e)
	}
	for k, v := range kv {
		env = append(env, k+"="+v)
	}
	return env
}

func runBinary(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(halosyncBinary(t), args...)
	cmd.Env = binaryEnv(env)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return o.String(), e.String(), code
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

const testSecret = "e2e-distinctive-s3cret"

// e2eSize is the tenant of the binary tests: small, but with paging.
var e2eSize = halofake.Size{Clients: 6, Sites: 12, Users: 40, Agents: 4, Tickets: 150, ActionsPerTicket: 2, Assets: 20, Contracts: 3}

func fakeAndDB(t *testing.T) (*halofake.Server, map[string]string, *pgxpool.Pool) {
	t.Helper()
	return fakeAndDBWith(t, 31, e2eSize, nil)
}

// fakeAndDBWith serves a fake Halo with the given tenant (after setup, e.g.
// faults, has run on it), creates a fresh migrated database, and returns the
// environment of a halosync process pointed at both.
func fakeAndDBWith(t *testing.T, seed int64, size halofake.Size, setup func(*halofake.Server)) (*halofake.Server, map[string]string, *pgxpool.Pool) {
	t.Helper()
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: seed, ClientSecret: testSecret})
	fake.Generate(size)
	if setup != nil {
		setup(fake)
	}
	base := fake.Start()
	t.Cleanup(fake.Close)
	pool := testdb.New(t)
	env := map[string]string{
		"DATABASE_URL":         testdb.URL(t),
		"HALO_RESOURCE_SERVER": base,
		"HALO_CLIENT_ID":       halofake.DefaultClientID,
		"HALO_CLIENT_SECRET":   testSecret,
		"HALOSYNC_LOG_FORMAT":  "json",
	}
	return fake, env, pool
}

func liveTickets(t *testing.T, pool *pgxpool.Pool) int {
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM halo.tickets WHERE deleted_at IS NULL`).Scan(&n))
	return n
}

func fakeLiveTickets(fake *halofake.Server) int {
	n := 0
	for _, r := range fake.Records("tickets") {
		if r["deleted"] != true {
			n++
		}
	}
	return n
}

func TestBinaryMigrateAndSyncOnce(t *testing.T) {
	fake, env, pool := fakeAndDB(t)

	out, errOut, code := runBinary(t, env, "migrate")
	require.Zero(t, code, errOut)
	require.Contains(t, out, "migrations applied")

	out, errOut, code = runBinary(t, env, "sync", "--once")
	require.Zero(t, code, errOut)
	require.Contains(t, out, "tickets")
	require.Contains(t, out, "actions")
	require.Equal(t, fakeLiveTickets(fake), liveTickets(t, pool))
	require.Contains(t, errOut, `"msg":"pull progress"`, "progress lines when not on a terminal")
	require.NotContains(t, out+errOut, testSecret)

	// A second run is incremental and writes nothing.
	out, errOut, code = runBinary(t, env, "sync", "--once", "--entity", "tickets")
	require.Zero(t, code, errOut)
	require.Contains(t, out, "incremental")
}

func TestBinaryFailsClearlyWithoutLeakingSecrets(t *testing.T) {
	_, env, _ := fakeAndDB(t)
	env["HALO_CLIENT_SECRET"] = "wrong-but-distinctive-s3cret"
	out, errOut, code := runBinary(t, env, "sync", "--once", "--entity", "clients")
	require.NotZero(t, code)
	require.NotContains(t, out+errOut, "wrong-but-distinctive-s3cret")
	require.Contains(t, errOut, "invalid_client")

	env["HALO_ON_PREMISE"] = "perhaps"
	_, errOut, code = runBinary(t, env, "sync", "--once")
	require.NotZero(t, code)
	require.Equal(t, "halosync: HALO_ON_PREMISE: expected true or false, got \"perhaps\"\n", errOut)

	_, errOut, code = runBinary(t, env, "sync", "--once", "--entity", "nonsense")
	require.NotZero(t, code)
	require.Contains(t, errOut, `--entity "nonsense": expected one of`)
}

// TestBinaryWorkerCatchesUpAndStopsOnSIGTERM: the worker pulls every stale
// entity at start, serves its health endpoints, and exits 0 on SIGTERM.
func TestBinaryWorkerCatchesUpAndStopsOnSIGTERM(t *testing.T) {
	fake, env, pool := fakeAndDB(t)
	addr := freeAddr(t)
	env["HALOSYNC_HTTP_ADDR"] = addr
	cmd := exec.Command(halosyncBinary(t), "worker")
	cmd.Env = binaryEnv(env)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	deadline := time.Now().Add(60 * time.Second)
	for liveTickets(t, pool) != fakeLiveTickets(fake) {
		require.True(t, time.Now().Before(deadline), "worker did not mirror the tickets in time; logs:\n%s", logs.String())
		time.Sleep(100 * time.Millisecond)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "exit status after SIGTERM; logs:\n%s", logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("worker did not stop after SIGTERM; logs:\n%s", logs.String())
	}
	require.NotContains(t, logs.String(), testSecret)
}
