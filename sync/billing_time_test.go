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
	// The first pull that reaches Halo also reads its version (hourly): pay for it here, so each test's runs
	// count their own list requests only.
	e.pullOne(t, "statuses", false)
	return e
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

// TestTimesheets: one row per agent and day, keyed (agent_id, date), read by the same monthly windows.
func TestTimesheets(t *testing.T) {
	t.Parallel()
	e := newBillingEnv(t, halofake.Options{Seed: 6})
	want := map[string]bool{}
	for _, r := range e.fake.Records("timesheets") {
		day, err := time.Parse("2006-01-02T15:04:05", r["date"].(string))
		require.NoError(t, err)
		want[fmt.Sprintf("%d/%s", int64(r["agent_id"].(float64)), day.Format(time.DateOnly))] = true
	}
	require.NotEmpty(t, want)
	start := time.Now().UTC()
	run := e.pullOne(t, "timesheets", false)
	windows := monthsCovering(start.Add(-history), start.Add(24*time.Hour))
	require.Len(t, e.requestsTo("/api/timesheet"), windows)
	require.Equal(t, int64(windows), run.Requests)
	got := liveKeys(t, e, `SELECT agent_id || '/' || to_char(date AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM halo.timesheets WHERE deleted_at IS NULL`)
	require.Equal(t, want, got)
	require.Zero(t, rowsOf(t, e, `SELECT count(*) FROM halo.timesheets WHERE actual_hours IS NULL OR target_hours IS NULL`))

	// A second full pull finds nothing changed and tombstones nothing.
	run = e.pullOne(t, "timesheets", true)
	require.Zero(t, run.Tombstoned)
	require.Zero(t, run.Inserted+run.Updated)
}

// TestAppointments: paged walks that always send page_no (without it Halo returns every row); the
// incremental pull reads the window around today, not the calendar's history; a complete walk tombstones
// deleted appointments (Halo does not list them), a cut walk nothing.
func TestAppointments(t *testing.T) {
	t.Parallel()
	e := newBillingEnv(t, halofake.Options{Seed: 7})
	ctx := context.Background()
	run := e.pullOne(t, "appointments", false)
	reqs := e.requestsTo("/api/appointment")
	listed := len(e.fake.Records("appointments")) // deleted appointments are not listed (nor in Records)
	require.EqualValues(t, listed, run.Fetched)
	require.Len(t, reqs, listed/100+1, "minimum: the pages up to the first short one")
	deleted := e.fake.DeletedAppointments()
	require.NotEmpty(t, deleted)
	require.Zero(t, rowsOf(t, e, `SELECT count(*) FROM halo.appointments WHERE id = ANY($1)`, deleted), "deleted appointments are not mirrored")
	for _, r := range reqs {
		require.NotEmpty(t, r.Query.Get("page_no"), "every appointments request carries page_no")
		require.Empty(t, r.Query.Get("includedeleted"))
	}
	require.Equal(t, int64(len(reqs)), run.Requests)
	live := rowsOf(t, e, `SELECT count(*) FROM halo.appointments WHERE deleted_at IS NULL`)
	require.Equal(t, int(run.Fetched), live)

	t.Run("Incremental", func(t *testing.T) {
		// Rescheduled to next week: the incremental window (last month, next year) reads it in one page.
		var id int64
		require.NoError(t, e.pool.QueryRow(ctx, `SELECT id FROM halo.appointments WHERE deleted_at IS NULL ORDER BY id LIMIT 1`).Scan(&id))
		next := time.Now().UTC().Add(7 * 24 * time.Hour).Truncate(time.Hour)
		e.fake.Update("appointments", id, map[string]any{"start_date": next.Format("2006-01-02T15:04:05"),
			"end_date": next.Add(time.Hour).Format("2006-01-02T15:04:05"), "subject": "Moved"})
		run := e.pullOne(t, "appointments", false)
		require.Equal(t, "incremental", run.Mode)
		reqs := e.requestsTo("/api/appointment")
		require.Len(t, reqs, 1)
		require.NotEmpty(t, reqs[0].Query.Get("page_no"))
		require.NotEmpty(t, reqs[0].Query.Get("start_date"))
		require.Equal(t, int64(1), run.Fetched, "only the appointments of the window, not the calendar's history")
		require.Equal(t, 1, rowsOf(t, e, `SELECT count(*) FROM halo.appointments WHERE id = $1 AND subject = 'Moved'`, id))
	})

	t.Run("Reconcile", func(t *testing.T) {
		var gone, kept int64
		require.NoError(t, e.pool.QueryRow(ctx, `SELECT min(id), max(id) FROM halo.appointments WHERE deleted_at IS NULL`).Scan(&gone, &kept))
		e.fake.Delete("appointments", kept)
		e.fake.Delete("appointments", gone)
		cut := newEnvFor(t, e.fake, failing(t, e.fake, "/api/Appointment", 2), e.pool)
		_, err := cut.puller.Pull(ctx, "appointments", true)
		require.ErrorContains(t, err, "cut by the test")
		require.Zero(t, rowsOf(t, e, `SELECT count(*) FROM halo.appointments WHERE deleted_at IS NOT NULL`), "a cut walk tombstones nothing")

		// the next full pull goes on from where the cut walk stopped, and completes it
		run := e.pullOne(t, "appointments", true)
		require.Equal(t, int64(2), run.Tombstoned)
		require.Equal(t, 2, rowsOf(t, e, `SELECT count(*) FROM halo.appointments WHERE id IN ($1, $2) AND deleted_at IS NOT NULL`, gone, kept))
	})
}

// TestInvoices: invoices are walked in full with their lines (includelines=true), ⌈rows / 100⌉ requests; a
// line gone from its invoice and the lines of a deleted invoice are tombstoned; both tables refuse edits.
func TestInvoices(t *testing.T) {
	t.Parallel()
	e := newBillingEnv(t, halofake.Options{Seed: 8})
	ctx := context.Background()
	recs := e.fake.Records("invoices")
	lines := 0
	for _, r := range recs {
		lines += len(r["lines"].([]any))
	}
	run := e.pullOne(t, "invoices", false)
	reqs := e.requestsTo("/api/invoice")
	require.Len(t, reqs, ceilDiv(len(recs), 100))
	for _, r := range reqs {
		require.Equal(t, "true", r.Query.Get("includelines"))
	}
	require.Equal(t, len(recs), rowsOf(t, e, `SELECT count(*) FROM halo.invoices WHERE deleted_at IS NULL`))
	require.Equal(t, lines, rowsOf(t, e, `SELECT count(*) FROM halo.invoice_lines WHERE deleted_at IS NULL`))
	require.Equal(t, len(recs), int(run.Fetched))
	require.Zero(t, rowsOf(t, e, `SELECT count(*) FROM halo.invoice_lines l LEFT JOIN halo.invoices i ON i.id = l.ihid WHERE i.id IS NULL`))

	t.Run("ReadOnly", func(t *testing.T) {
		for _, sql := range []string{`UPDATE halo.invoices SET invoicenumber = 'X'`, `DELETE FROM halo.invoice_lines`,
			`INSERT INTO halo.invoices (invoicenumber) VALUES ('X')`} {
			_, err := e.pool.Exec(ctx, sql)
			require.ErrorContains(t, err, "is read-only", sql)
		}
	})

	t.Run("Reconcile", func(t *testing.T) {
		// Invoice A loses a line in Halo; invoice B is deleted.
		var a, b int64
		require.NoError(t, e.pool.QueryRow(ctx, `SELECT min(ihid), max(ihid) FROM halo.invoice_lines WHERE ihid IN
			(SELECT ihid FROM halo.invoice_lines GROUP BY ihid HAVING count(*) > 1)`).Scan(&a, &b))
		require.NotEqual(t, a, b)
		var keep []any
		var dropped int64
		for _, r := range e.fake.Records("invoices") {
			if int64(r["id"].(float64)) == a {
				ls := r["lines"].([]any)
				keep = ls[1:]
				dropped = int64(ls[0].(map[string]any)["id"].(float64))
			}
		}
		e.fake.Update("invoices", a, map[string]any{"lines": keep})
		e.fake.Delete("invoices", b)
		bLines := rowsOf(t, e, `SELECT count(*) FROM halo.invoice_lines WHERE ihid = $1`, b)

		run := e.pullOne(t, "invoices", true)
		require.Equal(t, int64(1), run.Tombstoned)
		require.Equal(t, 1, rowsOf(t, e, `SELECT count(*) FROM halo.invoice_lines WHERE (ihid, id) = ($1, $2) AND deleted_at IS NOT NULL`, a, dropped))
		require.Equal(t, len(keep), rowsOf(t, e, `SELECT count(*) FROM halo.invoice_lines WHERE ihid = $1 AND deleted_at IS NULL`, a))
		require.Equal(t, bLines, rowsOf(t, e, `SELECT count(*) FROM halo.invoice_lines WHERE ihid = $1 AND deleted_at IS NOT NULL`, b))
		require.Equal(t, 1+bLines, rowsOf(t, e, `SELECT count(*) FROM halo.invoice_lines WHERE deleted_at IS NOT NULL`))
	})
}

// TestBillingLists: items, suppliers and quotes (with their lines) are walked in ⌈rows / 100⌉ requests each,
// inactive items and suppliers included; a quote row without its lines leaves the stored lines alone.
func TestBillingLists(t *testing.T) {
	t.Parallel()
	e := newBillingEnv(t, halofake.Options{Seed: 9})
	for _, c := range []struct {
		entity, fake, path string
		inactive           bool
	}{
		{"items", "items", "/api/item", true},
		{"suppliers", "suppliers", "/api/supplier", true},
		{"quotes", "quotes", "/api/quotation", false},
	} {
		t.Run(c.entity, func(t *testing.T) {
			n := len(e.fake.Records(c.fake))
			run := e.pullOne(t, c.entity, false)
			reqs := e.requestsTo(c.path)
			require.Len(t, reqs, ceilDiv(n, 100))
			require.Equal(t, int64(len(reqs)), run.Requests)
			for _, r := range reqs {
				if c.inactive {
					require.Equal(t, "true", r.Query.Get("includeinactive"))
				}
			}
			require.Equal(t, n, rowsOf(t, e, `SELECT count(*) FROM halo.`+c.entity+` WHERE deleted_at IS NULL`))
		})
	}
	// No modified-since filter for these: the next pull reads them whole and rewrites only what changed.
	item := num(e.fake.Records("items")[0]["id"]).(int64)
	e.fake.Update("items", item, map[string]any{"name": "Renamed in Halo"})
	run := e.pullOne(t, "items", false)
	require.Equal(t, int64(1), run.Updated)
	require.Equal(t, run.Fetched-1, run.Unchanged)
	require.Equal(t, 1, rowsOf(t, e, `SELECT count(*) FROM halo.items WHERE id = $1 AND name = 'Renamed in Halo'`, item))

	lines := 0
	for _, r := range e.fake.Records("quotes") {
		lines += len(r["lines"].([]any))
	}
	require.Equal(t, lines, rowsOf(t, e, `SELECT count(*) FROM halo.quote_lines WHERE deleted_at IS NULL`))

	// A quote listed without its lines (includelines not honoured) says nothing about them.
	var q int64
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT min(qhid) FROM halo.quote_lines`).Scan(&q))
	e.fake.Omit("quotes", q, "lines")
	e.pullOne(t, "quotes", true)
	require.Equal(t, lines, rowsOf(t, e, `SELECT count(*) FROM halo.quote_lines WHERE deleted_at IS NULL`))
	// and one listed with an empty lines array has none left
	e.fake.Update("quotes", q, map[string]any{"lines": []any{}})
	e.pullOne(t, "quotes", true)
	require.Zero(t, rowsOf(t, e, `SELECT count(*) FROM halo.quote_lines WHERE qhid = $1 AND deleted_at IS NULL`, q))
}
