package sync_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/store"
)

// Pull, incremental, reconcile and quirks of the billing and time entities (issue 18): appointments, time
// entries, timesheets, invoices with their lines, items, quotes with their lines, suppliers. Row counts are
// chosen off multiples of 100 so the minimum number of requests of a paged walk is ⌈rows / 100⌉.
var billingSize = halofake.Size{Clients: 6, Sites: 12, Users: 30, Agents: 6, Tickets: 60, ActionsPerTicket: 2, Assets: 3, Contracts: 2,
	Appointments: 237, TimeEntries: 180, TimesheetDays: 10, Invoices: 143, Items: 57, Quotes: 31, Suppliers: 19}

// history reaches back over the fake's time entries, which end at its generation epoch (2026-01-01).
const history = 400 * 24 * time.Hour

func newBillingEnv(t *testing.T, opts halofake.Options) *env {
	t.Helper()
	e := newEnv(t, opts, billingSize)
	e.puller.History = history
	return e
}

// pullOne pulls one entity with a fresh request log and returns its ledger row.
func (e *env) pullOne(t *testing.T, entity string, full bool) *store.Run {
	t.Helper()
	e.fake.ResetRequests()
	runs, err := e.puller.Pull(context.Background(), entity, full)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.Empty(t, runs[0].Error)
	return runs[0]
}

// requestsTo lists the fake's logged requests to one API path (lower case, e.g. "/api/appointment").
func (e *env) requestsTo(path string) []halofake.RequestLog {
	var out []halofake.RequestLog
	for _, r := range e.fake.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func rowsOf(t *testing.T, e *env, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// monthsCovering is how many calendar months [from, to] touches: the windows a walk of time entries needs.
func monthsCovering(from, to time.Time) int {
	return (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month()) + 1
}

// timeEntryKey is a time entry's key as the README documents it, computed here from the fake's row.
func timeEntryKey(r map[string]any) string {
	num := func(k string) int64 { f, _ := r[k].(float64); return int64(f) }
	if num("ticket_id") > 0 && num("action_number") > 0 {
		return fmt.Sprintf("ticket/%d/%d", num("ticket_id"), num("action_number"))
	}
	start, err := time.Parse("2006-01-02T15:04:05", r["start_date"].(string))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("agent/%d/%s/%d", num("agent_id"), start.UTC().Format(time.RFC3339), num("event_type"))
}

func liveKeys(t *testing.T, e *env, sql string) map[string]bool {
	t.Helper()
	rows, err := e.pool.Query(context.Background(), sql)
	require.NoError(t, err)
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	out := map[string]bool{}
	for _, k := range keys {
		out[k] = true
	}
	return out
}

// failing serves the fake through a proxy that answers 400 to the n-th request (1-based) matching path,
// so a walk is cut there.
func failing(t *testing.T, fake *halofake.Server, path string, n int64) string {
	t.Helper()
	var seen atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.URL.Path, path) && seen.Add(1) == n {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"start_date":["cut by the test"]}`))
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestTimeEntries: time entries are read one calendar month per request from the configured history, never
// unbounded; an incremental pull reads the last month; a complete walk tombstones what Halo no longer lists
// and a cut one nothing.
func TestTimeEntries(t *testing.T) {
	t.Parallel()
	e := newBillingEnv(t, halofake.Options{Seed: 5})
	ctx := context.Background()

	want := map[string]bool{}
	for _, r := range e.fake.Records("time_entries") {
		want[timeEntryKey(r)] = true
	}
	start := time.Now().UTC()
	run := e.pullOne(t, "timesheet_events", false)
	reqs := e.requestsTo("/api/timesheetevent")
	windows := monthsCovering(start.Add(-history), start.Add(24*time.Hour))
	require.Len(t, reqs, windows, "one request per month of history, the minimum for date-bounded reads")
	require.Equal(t, int64(windows), run.Requests)
	for _, r := range reqs {
		from, to := r.Query.Get("start_date"), r.Query.Get("end_date")
		require.True(t, strings.Contains(from, "T") && strings.Contains(to, "T"), "bounds are ISO date-times: %v", r.Query)
	}
	got := liveKeys(t, e, `SELECT entry_key FROM halo.timesheet_events WHERE deleted_at IS NULL`)
	require.Equal(t, want, got)

	t.Run("Incremental", func(t *testing.T) {
		// Time logged yesterday is read by the next pull, which asks for the recent month(s) only.
		yesterday := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Hour)
		e.fake.Create("time_entries", map[string]any{"agent_id": 2, "start_date": yesterday.Format("2006-01-02T15:04:05"),
			"end_date": yesterday.Add(time.Hour).Format("2006-01-02T15:04:05"), "timetaken": 1, "ticket_id": 0, "action_number": 0, "event_type": 2})
		now := time.Now().UTC()
		run := e.pullOne(t, "timesheet_events", false)
		require.Equal(t, "incremental", run.Mode)
		require.Len(t, e.requestsTo("/api/timesheetevent"), monthsCovering(now.Add(-31*24*time.Hour), now.Add(24*time.Hour)))
		require.Equal(t, int64(1), run.Inserted)
		require.Equal(t, 1, rowsOf(t, e, `SELECT count(*) FROM halo.timesheet_events WHERE entry_key = $1`,
			fmt.Sprintf("agent/2/%s/2", yesterday.Format(time.RFC3339))))
	})

	// Two entries no other entry shares a key with (the fake logs time on random actions, so some keys
	// repeat), by the fake's internal ids (1-based, in Records order before any deletion; Halo never exposes
	// them).
	type entry struct {
		id  int64
		key string
	}
	var unique []entry
	{
		recs := e.fake.Records("time_entries")
		n := map[string]int{}
		for _, r := range recs {
			n[timeEntryKey(r)]++
		}
		for i, r := range recs {
			if k := timeEntryKey(r); n[k] == 1 && len(unique) < 2 {
				unique = append(unique, entry{int64(i + 1), k})
			}
		}
		require.Len(t, unique, 2)
	}

	t.Run("Reconcile", func(t *testing.T) {
		e.fake.Delete("time_entries", unique[0].id)
		run := e.pullOne(t, "timesheet_events", true)
		require.Equal(t, int64(1), run.Tombstoned)
		require.Equal(t, 1, rowsOf(t, e, `SELECT count(*) FROM halo.timesheet_events WHERE entry_key = $1 AND deleted_at IS NOT NULL`, unique[0].key))
	})

	t.Run("CutWalkTombstonesNothing", func(t *testing.T) {
		e.fake.Delete("time_entries", unique[1].id)
		cut := newEnvFor(t, e.fake, failing(t, e.fake, "/api/TimesheetEvent", 3), e.pool)
		cut.puller.History = history
		_, err := cut.puller.Pull(ctx, "timesheet_events", true)
		require.ErrorContains(t, err, "cut by the test")
		require.Equal(t, 1, rowsOf(t, e, `SELECT count(*) FROM halo.timesheet_events WHERE deleted_at IS NOT NULL`), "only the earlier deletion")
		// the same walk, complete, does tombstone it
		require.Equal(t, int64(1), e.pullOne(t, "timesheet_events", true).Tombstoned)
		require.Equal(t, 1, rowsOf(t, e, `SELECT count(*) FROM halo.timesheet_events WHERE entry_key = $1 AND deleted_at IS NOT NULL`, unique[1].key))
	})
}
