package halofake

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// /TimesheetEvent: a bare array, paging ignored, id 0 on every row, unbounded = everything.
func TestTimeEntriesIgnorePagingAndHideIDs(t *testing.T) {
	f := startFake(t, Options{})
	all := f.get(t, "/api/TimesheetEvent").array(t)
	require.Len(t, all, Small.TimeEntries)
	paged := f.get(t, "/api/TimesheetEvent?pageinate=true&page_size=1&page_no=2&count=1").array(t)
	require.Len(t, paged, Small.TimeEntries)
	withTicket := 0
	for _, v := range all {
		r := v.(map[string]any)
		require.EqualValues(t, 0, r["id"])
		for _, k := range []string{"agent_id", "start_date", "end_date", "timetaken", "ticket_id", "action_number",
			"event_type", "subject", "note"} { // customer and charge_type_name drift
			require.Contains(t, r, k)
		}
		if r["ticket_id"].(float64) > 0 {
			withTicket++
			require.Positive(t, r["action_number"].(float64))
		}
	}
	require.Greater(t, withTicket, Small.TimeEntries*9/10, "ticket time comes from actions")
}

// Bounds are inclusive on start_date; a date-only end_date is that day's 00:00, so it leaves the day out.
func TestTimeEntriesBounds(t *testing.T) {
	f := startFake(t, Options{})
	all := f.get(t, "/api/TimesheetEvent").array(t)
	// the busiest day of the data set
	perDay := map[string]int{}
	for _, v := range all {
		perDay[v.(map[string]any)["start_date"].(string)[:10]]++
	}
	var day string
	for d, n := range perDay {
		if n > perDay[day] {
			day = d
		}
	}
	next := mustTime(day).Add(24 * time.Hour).Format("2006-01-02")
	iso := f.get(t, "/api/TimesheetEvent?start_date="+day+"T00:00:00Z&end_date="+day+"T23:59:59Z").array(t)
	require.Len(t, iso, perDay[day])
	naiveBounds := f.get(t, "/api/TimesheetEvent?start_date="+day+"T00:00:00&end_date="+next+"T00:00:00").array(t)
	require.GreaterOrEqual(t, len(naiveBounds), perDay[day])

	// Date-only: end_date=day is day 00:00, so the day's own entries are missing.
	dateOnly := f.get(t, "/api/TimesheetEvent?start_date="+day+"&end_date="+day).array(t)
	require.Less(t, len(dateOnly), perDay[day])

	// agent_id narrows.
	agent := all[0].(map[string]any)["agent_id"].(float64)
	for _, v := range f.get(t, fmt.Sprintf("/api/TimesheetEvent?agent_id=%d", int64(agent))).array(t) {
		require.Equal(t, agent, v.(map[string]any)["agent_id"])
	}
	require.Equal(t, http.StatusBadRequest, f.get(t, "/api/TimesheetEvent?start_date=last+week").status)
}

// /Timesheet: bare array, id 0, one row per (agent_id, date), hours from the time entries.
func TestTimesheetRows(t *testing.T) {
	f := startFake(t, Options{})
	rowsAll := f.get(t, "/api/Timesheet").array(t)
	require.Len(t, rowsAll, (Small.Agents-2)*Small.TimesheetDays)
	seen := map[string]bool{}
	var sum float64
	for _, v := range rowsAll {
		r := v.(map[string]any)
		require.EqualValues(t, 0, r["id"])
		k := fmt.Sprint(r["agent_id"], r["date"])
		require.False(t, seen[k], "one row per agent-day")
		seen[k] = true
		sum += r["actual_hours"].(float64)
	}
	var logged float64
	for _, v := range f.get(t, "/api/TimesheetEvent").array(t) {
		logged += v.(map[string]any)["timetaken"].(float64)
	}
	require.InDelta(t, logged, sum, 0.001)
	require.Len(t, f.Records("timesheets"), len(rowsAll))
	require.Equal(t, http.StatusBadRequest, f.post(t, "/api/Timesheet", `[{"agent_id":2}]`).status)
}
