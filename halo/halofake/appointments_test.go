package halofake

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Without page_no /Appointment answers every row, whatever pageinate, page_size and count say; with
// page_no it pages.
func TestAppointmentsPageOnlyWithPageNo(t *testing.T) {
	f := startFake(t, Options{})
	hidden := len(f.DeletedAppointments())
	require.Positive(t, hidden, "some generated appointments are deleted")
	all := len(f.Records("appointments")) + hidden
	require.Equal(t, Small.Appointments, all)

	m := f.get(t, "/api/Appointment?pageinate=true&page_size=10&count=5").json(t)
	require.NotContains(t, m, "page_no")
	require.Len(t, rows(t, m, "appointments"), all-hidden)
	require.EqualValues(t, all-hidden, m["record_count"])

	m = f.get(t, "/api/Appointment?pageinate=true&page_size=10&page_no=2").json(t)
	require.EqualValues(t, 2, m["page_no"])
	require.Len(t, rows(t, m, "appointments"), 10)
	require.EqualValues(t, all-hidden, m["record_count"])

	var walked []int64
	for page := 1; ; page++ {
		rs := rows(t, f.get(t, fmt.Sprintf("/api/Appointment?pageinate=true&page_size=50&page_no=%d", page)).json(t), "appointments")
		if len(rs) == 0 {
			break
		}
		walked = append(walked, ids(rs)...)
	}
	require.Len(t, walked, all-hidden)

	// includedeleted lists the deleted ones too; list rows carry last_modified.
	m = f.get(t, "/api/Appointment?includedeleted=true").json(t)
	rs := rows(t, m, "appointments")
	require.Len(t, rs, all)
	for _, k := range []string{"id", "subject", "start_date", "end_date", "agent_id", "last_modified", "entity", "allday"} {
		require.Contains(t, rs[0], k)
	}
	require.NotContains(t, rs[0], "note_html", "bodies only by id")
	for _, r := range rs {
		require.NotContains(t, r, "deleted", "Halo's appointment rows carry no deleted flag")
	}
}

func TestAppointmentsDateFilterAndPublishedRows(t *testing.T) {
	f := startFake(t, Options{PublishedListRows: true})
	from, to := "2025-10-01T00:00:00", "2025-11-01T00:00:00"
	rs := rows(t, f.get(t, "/api/Appointment?start_date="+from+"&end_date="+to).json(t), "appointments")
	require.NotEmpty(t, rs)
	lo, hi := mustTime(from), mustTime(to)
	for _, r := range rs {
		st := mustTime(r["start_date"].(string))
		require.False(t, st.Before(lo) || st.After(hi), r["start_date"])
		require.NotContains(t, r, "last_modified", "Appointment_List has no last_modified")
	}
	require.Contains(t, f.get(t, "/api/Appointment/1").json(t), "last_modified")
	require.Equal(t, http.StatusBadRequest, f.get(t, "/api/Appointment?start_date=yesterday").status)
}

func TestAppointmentWrites(t *testing.T) {
	f := startFake(t, Options{})
	f.clock.Add(10 * time.Minute)
	r := f.post(t, "/api/Appointment", `[{"subject":"Site visit ✓","start_date":"2026-06-03T09:00:00","end_date":"2026-06-03T10:00:00","agents":[{"id":2,"use":"agent"}],"not_a_field":1}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	saved := r.json(t)
	id := int64(saved["id"].(float64))
	require.Equal(t, "Site visit ✓", saved["subject"])
	require.Equal(t, "2026-06-01T12:10:00", saved["last_modified"])
	require.NotContains(t, saved, "not_a_field", "dropped: outside the Appointment schema")
	require.EqualValues(t, 2, saved["agent_id"])
	require.NotContains(t, rows(t, f.get(t, "/api/Appointment").json(t), "appointments")[0], "agents", "agents only by id")

	f.clock.Add(time.Minute)
	r = f.post(t, "/api/Appointment", fmt.Sprintf(`[{"id":%d,"complete_status":1}]`, id))
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.EqualValues(t, id, r.json(t)["id"])
	require.Equal(t, "2026-06-01T12:11:00", r.json(t)["last_modified"])

	del := f.do(t, http.MethodDelete, fmt.Sprintf("/api/Appointment/%d", id), f.tok, "", nil)
	require.Equal(t, http.StatusOK, del.status)
	require.Equal(t, http.StatusNotFound, f.get(t, fmt.Sprintf("/api/Appointment/%d", id)).status)
	require.NotContains(t, ids(rows(t, f.get(t, "/api/Appointment").json(t), "appointments")), id)
	require.Contains(t, ids(rows(t, f.get(t, "/api/Appointment?includedeleted=true").json(t), "appointments")), id)
}

// Options.AppointmentNewIDOnUpdate: an update answers with another id and the old one is gone.
func TestAppointmentUpdateAnswersNewID(t *testing.T) {
	f := startFake(t, Options{AppointmentNewIDOnUpdate: true})
	before := f.get(t, "/api/Appointment/3").json(t)
	r := f.post(t, "/api/Appointment", `[{"id":3,"subject":"Moved"}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	saved := r.json(t)
	newID := int64(saved["id"].(float64))
	require.NotEqualValues(t, 3, newID)
	require.Equal(t, "Moved", saved["subject"])
	require.Equal(t, before["start_date"], saved["start_date"])
	require.Equal(t, http.StatusNotFound, f.get(t, "/api/Appointment/3").status)
	got := f.get(t, fmt.Sprintf("/api/Appointment/%d", newID)).json(t)
	require.Equal(t, "Moved", got["subject"])
	require.Equal(t, before["agent_id"], got["agent_id"])
	list := ids(rows(t, f.get(t, "/api/Appointment?includedeleted=true").json(t), "appointments"))
	require.NotContains(t, list, int64(3))
	require.Contains(t, list, newID)
}
