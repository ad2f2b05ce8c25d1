package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
)

// TestBinaryWorkerSIGKILLDuringPush kills the real worker with SIGKILL in the worst place for a push:
// Halo has applied a ticket create and a ticket update, and the worker has not stored either reply.
// A proxy in front of the fake lets the create's POST through to the fake and then, before answering,
// kills the worker; an update POST in flight at that moment loses its reply too. The restarted worker must finish both pushes without a second create in Halo (the create was
// committed "sending" with its correlation value, so the retry finds and adopts it), with the update
// applied exactly once, and with the mirror row moved to the ticket's real Halo id.
func TestBinaryWorkerSIGKILLDuringPush(t *testing.T) {
	const (
		createSummary = "made locally, pushed through a SIGKILL"
		updateSummary = "edited locally, pushed through a SIGKILL"
	)
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 43, ClientSecret: testSecret})
	fake.Generate(halofake.Size{Clients: 4, Sites: 6, Users: 12, Agents: 4, Tickets: 40, ActionsPerTicket: 2, Assets: 6, Contracts: 2})

	var (
		mu          sync.Mutex
		kill        func() // set once the edits are made; SIGKILLs the first worker and waits for its exit
		killed      = make(chan struct{})
		killOnce    sync.Once
		createPosts int // create POSTs of the local ticket that reached the fake
		updatePosts int // update POSTs carrying the local summary that the fake applied
	)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.EqualFold(r.URL.Path, "/api/Tickets") {
			fake.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		isCreate := bytes.Contains(body, []byte(createSummary))
		isUpdate := bytes.Contains(body, []byte(updateSummary))
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, r) // Halo applies the write …
		applied := rec.Code >= 200 && rec.Code < 300
		mu.Lock()
		if isCreate {
			createPosts++
		}
		if isUpdate && applied {
			updatePosts++
		}
		k := kill
		mu.Unlock()
		switch {
		case k != nil && applied && isCreate:
			// … and the worker dies before it hears the reply.
			killOnce.Do(k)
		case k != nil && applied && isUpdate:
			// The update, if it is in flight while the create is posted, loses its reply too.
			select {
			case <-killed:
			case <-time.After(10 * time.Second):
			}
		}
		for key, vs := range rec.Header() {
			w.Header()[key] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(proxy.Close)

	pool := testdb.New(t)
	env := map[string]string{
		"DATABASE_URL":         testdb.URL(t),
		"HALO_RESOURCE_SERVER": proxy.URL,
		"HALO_CLIENT_ID":       halofake.DefaultClientID,
		"HALO_CLIENT_SECRET":   testSecret,
		"HALO_RATE_LIMIT":      "100000/1m",
		"HALOSYNC_LOG_FORMAT":  "json",
	}
	ctx := context.Background()
	count := func(sql string, args ...any) int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, sql, args...).Scan(&n))
		return n
	}
	waitMirror := func(logs *bytes.Buffer, what string) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			diff := mirrorDiff(t, fake, pool)
			if diff == "" {
				return
			}
			require.True(t, time.Now().Before(deadline), "%s: the mirror is not exact (%s); logs:\n%s", what, diff, logs.String())
			time.Sleep(100 * time.Millisecond)
		}
	}

	first, logs, exited := startWorker(t, env)
	waitMirror(logs, "first sync")

	mu.Lock()
	kill = func() {
		_ = first.Process.Signal(syscall.SIGKILL)
		<-exited
		close(killed)
	}
	mu.Unlock()

	var updateID int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT min(id) FROM halo.tickets WHERE id > 0 AND deleted_at IS NULL`).Scan(&updateID))
	var tempID int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO halo.tickets (summary, details) VALUES ($1, 'x') RETURNING id`, createSummary).Scan(&tempID))
	require.Negative(t, tempID, "a local insert gets a temporary id")
	_, err := pool.Exec(ctx, `UPDATE halo.tickets SET summary = $1 WHERE id = $2`, updateSummary, updateID)
	require.NoError(t, err)

	select {
	case <-killed:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the worker never posted the local changes; logs:\n%s", logs.String())
	}
	// The kill struck between Halo's write and the local commit: Halo has the record, the mirror does not
	// know it yet.
	var createState string
	var correlation *string
	require.NoError(t, pool.QueryRow(ctx, `SELECT state, correlation FROM halosync.outbox WHERE entity = 'tickets' AND op = 'create'`).Scan(&createState, &correlation))
	require.Equal(t, "sending", createState, "killed after the create's POST: the local commit never happened")
	require.NotNil(t, correlation)
	require.Equal(t, 1, count(`SELECT count(*) FROM halo.tickets WHERE id = $1`, tempID), "still under its temporary id")
	mu.Lock()
	require.Equal(t, 1, createPosts, "Halo has the record")
	mu.Unlock()

	_, logs, _ = startWorker(t, env)
	deadline := time.Now().Add(2 * time.Minute)
	for count(`SELECT count(*) FROM halosync.outbox WHERE state <> 'done'`) > 0 {
		require.True(t, time.Now().Before(deadline), "the restarted worker did not finish the pushes; outbox: %s; logs:\n%s",
			outboxDump(t, pool), logs.String())
		time.Sleep(100 * time.Millisecond)
	}
	// Every ticket of Halo in the mirror under its Halo id, and nothing else. (Actions Halo adds on its
	// own to the created ticket arrive with the next actions pull; not this test's business.)
	var want []string
	for _, r := range fake.Records("tickets") {
		if r["deleted"] != true {
			want = append(want, fmt.Sprint(r["id"]))
		}
	}
	rows, err := pool.Query(ctx, `SELECT id::text FROM halo.tickets WHERE deleted_at IS NULL`)
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.ElementsMatch(t, want, got, "the ticket mirror is exact")

	// The create: exactly one ticket in Halo, and the mirror row carries its Halo id.
	var matches []map[string]any
	for _, r := range fake.Records("tickets") {
		if r["summary"] == createSummary {
			matches = append(matches, r)
		}
	}
	require.Len(t, matches, 1, "no duplicate create in Halo")
	var haloID int64
	var finalCorr string
	require.NoError(t, pool.QueryRow(ctx, `SELECT halo_id, correlation FROM halosync.outbox WHERE entity = 'tickets' AND op = 'create' AND state = 'done' AND last_error IS NULL`).Scan(&haloID, &finalCorr))
	require.Equal(t, fmt.Sprint(haloID), fmt.Sprint(matches[0]["id"]))
	require.Equal(t, finalCorr, matches[0]["third_party_id_string"], "the record Halo has is the one the create posted")
	require.Zero(t, count(`SELECT count(*) FROM halo.tickets WHERE id < 0`), "no row left under a temporary id")
	require.Equal(t, 1, count(`SELECT count(*) FROM halo.tickets WHERE id = $1 AND summary = $2 AND deleted_at IS NULL`, haloID, createSummary))
	mu.Lock()
	require.Equal(t, 1, createPosts, "the retried create adopted Halo's record instead of posting again")
	require.Equal(t, 1, updatePosts, "the update was applied in Halo exactly once")
	mu.Unlock()

	// The update reached Halo and the mirror.
	var updated map[string]any
	for _, r := range fake.Records("tickets") {
		if fmt.Sprint(r["id"]) == fmt.Sprint(updateID) {
			updated = r
		}
	}
	require.NotNil(t, updated)
	require.Equal(t, updateSummary, updated["summary"])
	require.Equal(t, 1, count(`SELECT count(*) FROM halo.tickets WHERE id = $1 AND summary = $2`, updateID, updateSummary))
	require.Equal(t, 2, count(`SELECT count(*) FROM halosync.outbox`), "one outbox row per local change; the sync's own writes recorded nothing")
	require.Zero(t, count(`SELECT count(*) FROM halosync.conflicts`))
}

// outboxDump renders the outbox for failure messages.
func outboxDump(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT coalesce(json_agg(json_build_object('id', id, 'op', op,
		'key', record_key, 'state', state, 'attempts', attempts, 'error', last_error) ORDER BY id)::text, '[]') FROM halosync.outbox`).Scan(&s))
	var j string
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT coalesce(json_agg(json_build_object('id', id, 'kind', kind,
		'args', args, 'state', state, 'attempt', attempt, 'errors', errors, 'scheduled_at', scheduled_at) ORDER BY id)::text, '[]') FROM river_job WHERE kind LIKE 'halosync_push%'`).Scan(&j))
	s += "\njobs: " + j
	return s
}
