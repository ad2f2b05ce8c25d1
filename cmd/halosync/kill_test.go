package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/entity"
	decl "github.com/halosync/halosync/internal/entity" // where a variable is named entity
	hsync "github.com/halosync/halosync/sync"
)

// mirrorDiff names the first entity whose live mirror ids differ from the
// fake's records ("" when the mirror is exact).
func mirrorDiff(t *testing.T, fake *halofake.Server, pool *pgxpool.Pool) string {
	t.Helper()
	deleted := map[string]bool{}
	for _, r := range fake.Records("tickets") {
		if r["deleted"] == true {
			deleted[fmt.Sprint(r["id"])] = true
		}
	}
	for _, entity := range append(slices.Clone(hsync.PullOrder), entity.Actions.Name) {
		var want []string
		if d := decl.Must(entity); entity != "actions" && (len(d.Keys) != 1 || d.Keys[0].Name != "id") {
			// time entries and timesheets (Halo's id is 0): compare how many distinct keys
			if diff := keyCountDiff(t, fake, pool, d); diff != "" {
				return diff
			}
			continue
		}
		for _, r := range fake.Records(entity) {
			switch entity {
			case "tickets":
				if r["deleted"] == true {
					continue
				}
			case "actions":
				if deleted[fmt.Sprint(r["ticket_id"])] {
					continue
				}
				want = append(want, fmt.Sprintf("%v/%v", r["ticket_id"], r["id"]))
				continue
			}
			want = append(want, fmt.Sprint(r["id"]))
		}
		key := "id::text"
		if entity == "actions" {
			key = "ticket_id::text || '/' || id::text"
		}
		rows, err := pool.Query(context.Background(), fmt.Sprintf(`SELECT %s FROM halo.%s WHERE deleted_at IS NULL`, key, entity))
		require.NoError(t, err)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			return fmt.Sprintf("%s: want %d rows, mirror has %d", entity, len(want), len(got))
		}
	}
	return ""
}

// keyCountDiff compares the live rows of an entity keyed by something else than an id with the distinct
// keys of the fake's records.
func keyCountDiff(t *testing.T, fake *halofake.Server, pool *pgxpool.Pool, d *decl.Entity) string {
	t.Helper()
	name := d.Name
	if name == decl.TimesheetEvents.Name {
		name = "time_entries"
	}
	keys := map[string]bool{}
	for _, r := range fake.Records(name) {
		raw, err := json.Marshal(r)
		require.NoError(t, err)
		rec, err := d.Decode(raw)
		require.NoError(t, err)
		keys[decl.KeyString(rec.Keys)] = true
	}
	var got int
	require.NoError(t, pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*) FROM halo.%s WHERE deleted_at IS NULL`, d.Name)).Scan(&got))
	if got != len(keys) {
		return fmt.Sprintf("%s: want %d rows, mirror has %d", d.Name, len(keys), got)
	}
	return ""
}

// startWorker starts `halosync worker` with env (on a free HTTP address); exited receives its Wait
// result. The process is killed at cleanup if still running.
func startWorker(t *testing.T, env map[string]string) (*exec.Cmd, *bytes.Buffer, chan error) {
	t.Helper()
	env["HALOSYNC_HTTP_ADDR"] = freeAddr(t)
	cmd := exec.Command(halosyncBinary(t), "worker")
	cmd.Env = binaryEnv(env)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, &logs, exited
}

// TestBinaryWorkerSIGKILLDuringPull kills the real worker with SIGKILL in
// the middle of the ticket walk and starts it again. River leaves the killed
// job "running" (and its unique key would block the periodic pull for
// RescueStuckJobsAfter, ten minutes); the restarted worker sees that the
// entity's advisory lock is free — the dead process's session took it along —
// makes the job available at once, and the mirror becomes exact.
func TestBinaryWorkerSIGKILLDuringPull(t *testing.T) {
	size := e2eSize
	size.Tickets = 3000
	fake, env, pool := fakeAndDBWith(t, 41, size, func(f *halofake.Server) {
		f.SetFault(halofake.Faults{Latency: 40 * time.Millisecond}) // a walk long enough to be killed in
	})
	env["HALO_RATE_LIMIT"] = "100000/1m"
	start := func() (*exec.Cmd, *bytes.Buffer, chan error) { return startWorker(t, env) }
	count := func(sql string, args ...any) int {
		var n int
		require.NoError(t, pool.QueryRow(context.Background(), sql, args...).Scan(&n))
		return n
	}

	first, logs, exited := start()
	deadline := time.Now().Add(2 * time.Minute)
	for count(`SELECT count(*) FROM halo.tickets`) == 0 {
		require.True(t, time.Now().Before(deadline), "the worker did not start the ticket walk; logs:\n%s", logs.String())
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	<-exited
	require.NotEmpty(t, mirrorDiff(t, fake, pool), "killed mid-pull: the mirror is incomplete")
	stuck := count(`SELECT count(*) FROM river_job WHERE kind = 'halosync_pull' AND state = 'running' AND args->>'entity' = 'tickets'`)
	require.Equal(t, 1, stuck, "River leaves the killed pull running")
	killed := count(`SELECT id FROM river_job WHERE kind = 'halosync_pull' AND state = 'running' AND args->>'entity' = 'tickets'`)

	_, logs, _ = start()
	deadline = time.Now().Add(2 * time.Minute)
	for {
		diff := mirrorDiff(t, fake, pool)
		if diff == "" {
			break
		}
		require.True(t, time.Now().Before(deadline), "the restarted worker did not complete the mirror (%s); logs:\n%s", diff, logs.String())
		time.Sleep(200 * time.Millisecond)
	}
	// The killed job itself was rescued and run to the end by the new worker
	// (not left running until River's rescuer, which waits far longer than
	// this test lives).
	for state := ""; state != "completed"; {
		require.NoError(t, pool.QueryRow(context.Background(), `SELECT state FROM river_job WHERE id = $1`, killed).Scan(&state))
		require.True(t, time.Now().Before(deadline), "the killed pull %d is %s, not completed; logs:\n%s", killed, state, logs.String())
		time.Sleep(100 * time.Millisecond)
	}
	require.Positive(t, count(`SELECT count(*) FROM halosync.runs WHERE entity = 'tickets' AND error IS NULL AND finished_at IS NOT NULL`))
}

// TestBinaryRunningWorkerResumesKilledPull: two workers run; the one pulling
// tickets is killed with SIGKILL. The other one, which started while the
// pull was alive (so its start-up rescue rightly left the job alone) and is
// never restarted, makes the orphaned pull available again with its periodic
// rescue and completes it: the mirror becomes exact within minutes, not after
// River's rescue delay.
func TestBinaryRunningWorkerResumesKilledPull(t *testing.T) {
	size := e2eSize
	size.Tickets = 3000
	fake, env, pool := fakeAndDBWith(t, 43, size, func(f *halofake.Server) {
		f.SetFault(halofake.Faults{Latency: 150 * time.Millisecond}) // a walk that outlives the second worker's start
	})
	env["HALO_RATE_LIMIT"] = "100000/1m"
	count := func(sql string) int {
		var n int
		require.NoError(t, pool.QueryRow(context.Background(), sql).Scan(&n))
		return n
	}

	first, logsA, exitedA := startWorker(t, env)
	deadline := time.Now().Add(2 * time.Minute)
	for count(`SELECT count(*) FROM halo.tickets`) == 0 {
		require.True(t, time.Now().Before(deadline), "the first worker did not start the ticket walk; logs:\n%s", logsA.String())
		time.Sleep(5 * time.Millisecond)
	}
	_, logsB, _ := startWorker(t, env)
	addrB := env["HALOSYNC_HTTP_ADDR"]
	for {
		resp, err := http.Get("http://" + addrB + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "the second worker did not come up; logs:\n%s", logsB.String())
		time.Sleep(20 * time.Millisecond)
	}
	killed := count(`SELECT id FROM river_job WHERE kind = 'halosync_pull' AND state = 'running' AND args->>'entity' = 'tickets'`)
	require.NotEmpty(t, mirrorDiff(t, fake, pool), "the ticket pull is still under way when the first worker is killed")
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	<-exitedA

	deadline = time.Now().Add(3 * time.Minute)
	for state := ""; state != "completed"; {
		require.NoError(t, pool.QueryRow(context.Background(), `SELECT state FROM river_job WHERE id = $1`, killed).Scan(&state))
		require.True(t, time.Now().Before(deadline), "the killed pull %d is %s, not completed by the running worker; logs:\n%s", killed, state, logsB.String())
		time.Sleep(200 * time.Millisecond)
	}
	require.Empty(t, mirrorDiff(t, fake, pool))
}
