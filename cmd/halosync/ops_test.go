package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
)

// runCmd runs the CLI in process with exactly env as halosync's environment and returns its output.
func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	clearEnv(t)
	setEnv(t, env)
	root := newRoot()
	var o, e bytes.Buffer
	root.SetOut(&o)
	root.SetErr(&e)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return o.String(), e.String(), err
}

// opsDB is a migrated database and the environment of commands that only need it.
func opsDB(t *testing.T) (map[string]string, *pgxpool.Pool) {
	t.Helper()
	u, pool := testdb.NewURL(t)
	return map[string]string{"DATABASE_URL": u, "HALOSYNC_LOG_FORMAT": "json", "HALOSYNC_LOG_LEVEL": "warn"}, pool
}

func sqlExec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	_, err := pool.Exec(context.Background(), sql, args...)
	require.NoError(t, err)
}

func insertClient(t *testing.T, pool *pgxpool.Pool) *river.Client[pgx.Tx] {
	t.Helper()
	rc, err := jobs.NewClient(jobs.Config{Pool: pool})
	require.NoError(t, err)
	return rc
}

func TestStatusCommand(t *testing.T) {
	ctx := context.Background()
	env, pool := opsDB(t)
	st := store.New(pool)
	ok := time.Now().Add(-2 * time.Minute)
	cursor := ok.Add(-time.Hour)
	msg := "halo: forbidden: no permission to GET /api/Asset (HTTP 403)"
	require.NoError(t, st.SaveState(ctx, pool, &store.EntityState{Entity: "tickets", LastSuccessAt: &ok, LastPullAt: &ok, Cursor: &cursor, Rows: 1234}))
	require.NoError(t, st.SaveState(ctx, pool, &store.EntityState{Entity: "assets", LastPullAt: &ok, LastError: &msg}))
	require.NoError(t, st.Reject(ctx, pool, "tickets", "77", []byte(`{"id":77}`), "bad date"))
	sqlExec(t, pool, `INSERT INTO halosync.outbox (entity, record_key, op, fields, state) VALUES
		('tickets', '5', 'update', '{"summary":"x"}', 'pending'), ('tickets', '6', 'update', '{"summary":"y"}', 'parked'),
		('clients', '9', 'update', '{"name":"z"}', 'done')`)
	sqlExec(t, pool, `INSERT INTO halosync.conflicts (entity, record_key, field, winner) VALUES ('tickets', '5', 'summary', 'halo')`)
	sqlExec(t, pool, `INSERT INTO halosync.endpoint_health (endpoint, breaker_state, last_status, last_error, last_error_at, rate_limited_count, snooze_count, fix_hint)
		VALUES ('GET /api/asset', 'open', 403, 'forbidden', now(), 2, 5, 'grant the agent asset access')`)
	rc := insertClient(t, pool)
	_, err := rc.Insert(ctx, jobs.PullArgs{Entity: "clients"}, nil)
	require.NoError(t, err)

	out, _, err := runCmd(t, env, "status")
	require.NoError(t, err)
	lines := strings.Split(out, "\n")
	require.Contains(t, lines[0], "LAST SUCCESS")
	var ticketsLine, assetsLine string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "tickets "):
			ticketsLine = l
		case strings.HasPrefix(l, "assets "):
			assetsLine = l
		}
	}
	require.Regexp(t, `^tickets\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+2m\d\ds\s+\S+ \S+\s+1234\s+1\s+1\s+1\s+1\s+-$`, ticketsLine)
	require.Contains(t, assetsLine, "forbidden")
	require.Contains(t, out, "GET /api/asset")
	require.Contains(t, out, "grant the agent asset access")
	require.Contains(t, out, "Pushes: 1 pending, 0 sending, 1 parked   Open conflicts: 1   Rejects: 1")
	require.Contains(t, out, "Jobs: available 1,")

	out, _, err = runCmd(t, env, "status", "--json")
	require.NoError(t, err)
	var rep statusReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Len(t, rep.Entities, len(statusEntities()), "every declared entity")
	var tickets entityStatus
	for _, e := range rep.Entities {
		if e.Entity == "tickets" {
			tickets = e
		}
	}
	require.Equal(t, int64(1234), tickets.Rows)
	require.NotNil(t, tickets.LagSeconds)
	require.InDelta(t, 120, *tickets.LagSeconds, 30)
	require.Equal(t, int64(1), tickets.PendingPushes)
	require.Equal(t, int64(1), tickets.ParkedPushes)
	require.Equal(t, int64(1), rep.Jobs["available"])
	require.Len(t, rep.Endpoints, 1)
	require.Equal(t, "open", rep.Endpoints[0].State)
	require.Equal(t, int64(2), rep.Endpoints[0].Count429)
	require.Equal(t, int64(5), rep.Endpoints[0].Snoozes)

	_, _, err = runCmd(t, map[string]string{}, "status")
	require.ErrorContains(t, err, "DATABASE_URL: required")
}

func TestJobsCommands(t *testing.T) {
	ctx := context.Background()
	env, pool := opsDB(t)
	rc := insertClient(t, pool)
	a, err := rc.Insert(ctx, jobs.PullArgs{Entity: "clients"}, nil)
	require.NoError(t, err)
	b, err := rc.Insert(ctx, jobs.FetchTicketArgs{TicketID: 17}, nil)
	require.NoError(t, err)

	out, _, err := runCmd(t, env, "jobs", "list")
	require.NoError(t, err)
	require.Contains(t, out, "KIND")
	require.Contains(t, out, "halosync_fetch_ticket")
	require.Less(t, strings.Index(out, strconv.FormatInt(b.Job.ID, 10)+" "), strings.Index(out, "halosync_pull"), "newest first")

	out, _, err = runCmd(t, env, "jobs", "list", "--kind", "halosync_pull", "--state", "available", "--json")
	require.NoError(t, err)
	var views []jobView
	require.NoError(t, json.Unmarshal([]byte(out), &views))
	require.Len(t, views, 1)
	require.Equal(t, a.Job.ID, views[0].ID)
	require.JSONEq(t, `{"entity":"clients","full":false}`, string(views[0].Args))

	out, _, err = runCmd(t, env, "jobs", "cancel", strconv.FormatInt(a.Job.ID, 10))
	require.NoError(t, err)
	require.Contains(t, out, "cancelled")
	j, err := rc.JobGet(ctx, a.Job.ID)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateCancelled, j.State)

	out, _, err = runCmd(t, env, "jobs", "retry", strconv.FormatInt(a.Job.ID, 10))
	require.NoError(t, err)
	require.Contains(t, out, "available")
	j, err = rc.JobGet(ctx, a.Job.ID)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateAvailable, j.State)

	_, errOut, err := runCmd(t, env, "jobs", "retry", "999999")
	require.ErrorContains(t, err, "could not retry job(s) 999999")
	require.Contains(t, errOut, "job 999999: not found")

	_, _, err = runCmd(t, env, "jobs", "list", "--state", "stuck")
	require.ErrorContains(t, err, `--state "stuck": expected one of`)
	_, _, err = runCmd(t, env, "jobs", "cancel", "abc")
	require.ErrorContains(t, err, `"abc" is not an id`)
}

func TestConflictsCommands(t *testing.T) {
	ctx := context.Background()
	env, pool := opsDB(t)
	st := store.New(pool)
	now := time.Now()
	require.NoError(t, st.RecordConflict(ctx, pool, store.Conflict{Entity: "tickets", RecordKey: "5", Field: "summary",
		LocalValue: "local text", RemoteValue: "halo text", LocalChangedAt: &now, RemoteChangedAt: &now, Winner: "halo"}))
	var id int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT id FROM halosync.conflicts`).Scan(&id))

	out, _, err := runCmd(t, env, "conflicts")
	require.NoError(t, err)
	require.Contains(t, out, "summary")
	require.Contains(t, out, `"local text"`)
	require.Contains(t, out, "halo")

	out, _, err = runCmd(t, env, "conflicts", "--json")
	require.NoError(t, err)
	var list []store.Conflict
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 1)

	out, _, err = runCmd(t, env, "conflicts", "ack", strconv.FormatInt(id, 10))
	require.NoError(t, err)
	require.Contains(t, out, "acknowledged")
	out, _, err = runCmd(t, env, "conflicts")
	require.NoError(t, err)
	require.Equal(t, "no open conflicts\n", out)
	out, _, err = runCmd(t, env, "conflicts", "--all")
	require.NoError(t, err)
	require.Contains(t, out, "ACKNOWLEDGED")
	_, _, err = runCmd(t, env, "conflicts", "ack", strconv.FormatInt(id, 10))
	require.ErrorContains(t, err, "could not acknowledge")
}

func TestRejectsCommands(t *testing.T) {
	ctx := context.Background()
	env, pool := opsDB(t)
	st := store.New(pool)
	require.NoError(t, st.Reject(ctx, pool, "actions", "12/3", []byte(`{"id":3}`), "ticket_id missing"))
	require.NoError(t, st.Reject(ctx, pool, "clients", "9", []byte(`not json`), "invalid JSON"))

	out, _, err := runCmd(t, env, "rejects")
	require.NoError(t, err)
	require.Contains(t, out, "12/3")
	require.Contains(t, out, "invalid JSON")

	out, _, err = runCmd(t, env, "rejects", "--entity", "clients", "--json")
	require.NoError(t, err)
	var views []rejectView
	require.NoError(t, json.Unmarshal([]byte(out), &views))
	require.Len(t, views, 1)
	require.Equal(t, "not json", views[0].Raw)
	_, _, err = runCmd(t, env, "rejects", "--entity", "client")
	require.ErrorContains(t, err, `--entity "client": expected one of`, "a misspelt entity is refused, not answered with no rejects")

	out, _, err = runCmd(t, env, "rejects", "retry")
	require.NoError(t, err)
	require.Contains(t, out, "cleared the rejects of actions, clients")
	require.Contains(t, out, "enqueued a full pull of tickets")
	require.Contains(t, out, "enqueued a full pull of clients")
	list, err := st.ListRejects(ctx, pool, "")
	require.NoError(t, err)
	require.Empty(t, list)
	rc := insertClient(t, pool)
	res, err := rc.JobList(ctx, river.NewJobListParams().Kinds("halosync_pull"))
	require.NoError(t, err)
	var args []string
	for _, j := range res.Jobs {
		args = append(args, string(j.EncodedArgs))
	}
	require.ElementsMatch(t, []string{`{"full": true, "entity": "tickets"}`, `{"full": true, "entity": "clients"}`}, args)

	out, _, err = runCmd(t, env, "rejects", "retry")
	require.NoError(t, err)
	require.Equal(t, "no rejects to retry\n", out)
	_, _, err = runCmd(t, env, "rejects", "retry", "--entity", "tickts")
	require.ErrorContains(t, err, `--entity "tickts"`)
}

func TestPushesCommands(t *testing.T) {
	ctx := context.Background()
	env, pool := opsDB(t)
	sqlExec(t, pool, `INSERT INTO halosync.outbox (entity, record_key, op, fields, state, attempts, last_error) VALUES
		('tickets', '5', 'update', '{"summary":"x"}', 'pending', 0, NULL),
		('tickets', '7', 'update', '{"summary":"y"}', 'pending', 2, 'no permission to GET /api/Tickets/7 (HTTP 403)'),
		('tickets', '6', 'update', '{"status_id":99}', 'parked', 1, 'halo: POST /api/Tickets: rejected (HTTP 400): unknown status'),
		('clients', '9', 'update', '{"name":"z"}', 'done', 1, NULL)`)
	var parked, pending int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT id FROM halosync.outbox WHERE state = 'parked'`).Scan(&parked))
	require.NoError(t, pool.QueryRow(ctx, `SELECT id FROM halosync.outbox WHERE state = 'pending' AND record_key = '5'`).Scan(&pending))
	sqlExec(t, pool, `UPDATE halosync.outbox SET next_attempt_at = '2031-05-06 07:08:09+00' WHERE record_key = '7'`)

	out, _, err := runCmd(t, env, "pushes")
	require.NoError(t, err)
	require.Contains(t, out, "parked")
	require.Contains(t, out, "unknown status")
	require.Contains(t, out, "NEXT ATTEMPT")
	require.Contains(t, out, "2031-05-06", "a waiting push says when it is tried again")
	require.Contains(t, out, "HTTP 403", "and why it waits")
	require.NotContains(t, out, "clients", "done pushes are not listed")

	out, _, err = runCmd(t, env, "pushes", "--json")
	require.NoError(t, err)
	var views []pushView
	require.NoError(t, json.Unmarshal([]byte(out), &views))
	require.Len(t, views, 3)

	out, _, err = runCmd(t, env, "pushes", "retry", strconv.FormatInt(parked, 10))
	require.NoError(t, err)
	require.Contains(t, out, "pending again, enqueued as job")
	var state string
	require.NoError(t, pool.QueryRow(ctx, `SELECT state FROM halosync.outbox WHERE id = $1`, parked).Scan(&state))
	require.Equal(t, "pending", state)
	res, err := insertClient(t, pool).JobList(ctx, river.NewJobListParams().Kinds(jobs.PushArgs{}.Kind()))
	require.NoError(t, err)
	require.Len(t, res.Jobs, 1)
	require.JSONEq(t, fmt.Sprintf(`{"outbox_id": %d}`, parked), string(res.Jobs[0].EncodedArgs))

	_, errOut, err := runCmd(t, env, "pushes", "retry", strconv.FormatInt(pending, 10))
	require.ErrorContains(t, err, "could not retry push(es)")
	require.Contains(t, errOut, "not parked")
}

func TestCheckCommand(t *testing.T) {
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 5})
	fake.Generate(halofake.Size{Clients: 3, Sites: 6, Users: 10, Agents: 3, Tickets: 12, ActionsPerTicket: 2, Assets: 0, Contracts: 2})
	base := fake.Start()
	t.Cleanup(fake.Close)
	env := map[string]string{"HALO_RESOURCE_SERVER": base, "HALO_CLIENT_ID": halofake.DefaultClientID,
		"HALO_CLIENT_SECRET": halofake.DefaultClientSecret}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range env {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}

	t.Run("OK", func(t *testing.T) {
		fake.ResetRequests()
		out, _, err := runCmd(t, env, "check")
		require.NoError(t, err, out)
		require.Regexp(t, `(?m)^OK    token\s+issued`, out)
		require.Regexp(t, `(?m)^OK    tickets\s+12 visible`, out)
		require.Regexp(t, `(?m)^WARN  assets\s+0 records visible`, out, "an empty entity is a warning, not a failure")
		require.Contains(t, out, "Allow use of all Customers")
		require.Regexp(t, `(?m)^OK    create marker\s+third_party_id_string unused by the 12 newest tickets`, out)
		for _, r := range fake.Requests() {
			if r.Query.Get("order") == "id" {
				continue // the create-marker check reads one page of the newest tickets
			}
			if r.Query.Get("page_size") != "" {
				require.Equal(t, "1", r.Query.Get("page_size"), "cheap requests only: %s", r.Path)
			}
		}
	})
	t.Run("MarkerInUse", func(t *testing.T) {
		fake.Update("tickets", 3, map[string]any{"third_party_id_string": "CRM-0042"})
		out, _, err := runCmd(t, env, "check")
		require.NoError(t, err, out)
		require.Regexp(t, `(?m)^WARN  create marker\s+third_party_id_string is already used: 1 of the 12 newest`, out)
		require.Contains(t, out, "HALOSYNC_CREATE_MARKER")
		out, _, err = runCmd(t, with("HALOSYNC_CREATE_MARKER", "thirdparty number"), "check")
		require.Error(t, err)
		require.Contains(t, out, "HALOSYNC_CREATE_MARKER: expected a ticket field name")
	})
	t.Run("BadSecret", func(t *testing.T) {
		out, _, err := runCmd(t, with("HALO_CLIENT_SECRET", "wrong-secret-value"), "check")
		require.ErrorContains(t, err, "check failed")
		require.Regexp(t, `(?m)^FAIL  token\s+.*invalid_client`, out)
		require.Contains(t, out, "fix: the client ID or secret is wrong")
		require.Regexp(t, `(?m)^SKIP  tickets`, out)
		require.NotContains(t, out, "wrong-secret-value")
	})
	t.Run("BadScope", func(t *testing.T) {
		out, _, err := runCmd(t, with("HALO_SCOPE", "read:actions"), "check")
		require.Error(t, err)
		require.Contains(t, out, "invalid_scope")
		require.Contains(t, out, "set HALO_SCOPE=all")
	})
	t.Run("Forbidden", func(t *testing.T) {
		fake.SetFault(halofake.Faults{Forbidden: map[string]bool{"tickets": true, "clients": true}})
		t.Cleanup(func() { fake.SetFault(halofake.Faults{}) })
		out, _, err := runCmd(t, env, "check")
		require.ErrorContains(t, err, "2 problem(s)")
		require.Regexp(t, `(?m)^FAIL  tickets\s+no permission to read tickets \(HTTP 403\)`, out)
		require.Contains(t, out, "membership of the teams")
		require.Regexp(t, `(?m)^FAIL  clients\s+no permission`, out)
		require.Contains(t, out, `"Allow use of all Customers"`)
		require.Regexp(t, `(?m)^OK    sites`, out)
	})
	t.Run("WrongHostForm", func(t *testing.T) {
		out, _, err := runCmd(t, with("HALO_RESOURCE_SERVER", "http://acme.halopsa.com"), "check")
		require.Error(t, err)
		require.Regexp(t, `(?m)^FAIL  config\s+HALO_RESOURCE_SERVER`, out)
		require.Contains(t, out, "fix: set HALO_RESOURCE_SERVER to your Halo web address")
	})
	t.Run("NotHalo", func(t *testing.T) {
		out, _, err := runCmd(t, with("HALO_RESOURCE_SERVER", base+"/somewhere"), "check", "--json")
		require.Error(t, err)
		var res []checkResult
		require.NoError(t, json.Unmarshal([]byte(out), &res))
		require.Equal(t, "token", res[1].Check)
		require.Equal(t, "FAIL", res[1].Status)
		require.Contains(t, res[1].Fix, "HALO_RESOURCE_SERVER must be the Halo web address")
	})
}

func TestOpsCommandsNeedMigratedDatabase(t *testing.T) {
	u := testdb.NewEmpty(t)
	for _, args := range [][]string{{"status"}, {"jobs", "list"}, {"rejects"}, {"conflicts"}, {"pushes"}} {
		_, _, err := runCmd(t, map[string]string{"DATABASE_URL": u}, args...)
		require.ErrorContains(t, err, "run `halosync migrate` first", args)
	}
}
