package entity

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
)

func TestTicket_LastUpdateNames(t *testing.T) {
	t.Parallel()
	want := utc(2024, 6, 20, 14, 45, 17, 152103300)
	for _, name := range []string{"last_update", "lastupdate", "flastupdate"} {
		body := `{"id": 5.0, "` + name + `": "2024-06-20T14:45:17.1521033Z"}`
		tk := decode(t, Tickets, []byte(body))
		require.Equal(t, []any{int64(5)}, tk.Keys)
		require.NotNil(t, tk.UpdatedAt, name)
		require.True(t, want.Equal(*tk.UpdatedAt), name)
		require.JSONEq(t, body, string(tk.Raw))
	}
	// last_update wins over the others; a sentinel is no time at all.
	tk := decode(t, Tickets, []byte(`{"id":1,"lastupdate":"2020-01-01T00:00:00","last_update":"2024-06-20T14:45:17.1521033Z"}`))
	require.True(t, want.Equal(*tk.UpdatedAt))
	tk = decode(t, Tickets, []byte(`{"id":1,"last_update":"1900-01-01T00:00:00","flastupdate":"2024-06-20T14:45:17.1521033Z"}`))
	require.True(t, want.Equal(*tk.UpdatedAt))
	require.Nil(t, decode(t, Tickets, []byte(`{"id":1}`)).UpdatedAt)
}

func TestTicket_DeletedKnown(t *testing.T) {
	t.Parallel()
	// The published list-row schema has no deleted: such a row says nothing.
	row := decode(t, Tickets, []byte(`{"id":1}`))
	require.False(t, row.Sent("deleted"))
	require.Equal(t, false, row.Value("deleted"))
	row = decode(t, Tickets, []byte(`{"id":1,"deleted":true}`))
	require.True(t, row.Sent("deleted"))
	require.Equal(t, true, row.Value("deleted"))
}

func TestEntities_TolerantFields(t *testing.T) {
	t.Parallel()

	a := decode(t, Assets, []byte(`{"id":"7","last_modified":"2025-01-02T03:04:05"}`))
	require.Equal(t, []any{int64(7)}, a.Keys)
	require.NotNil(t, a.UpdatedAt)
	a = decode(t, Assets, []byte(`{"id":7,"dlastupdate":"2025-02-02T03:04:05","last_modified":"2025-01-02T03:04:05"}`))
	require.Equal(t, time.February, a.UpdatedAt.Month())
	require.Equal(t, "In Stock", decode(t, Assets, []byte(`{"id":7,"status_id":2,"status_name":"In Stock"}`)).Value("status_name"))

	p := decode(t, Priorities, []byte(`{"id":"0b1e-guid","priorityid":2.0,"slaid":"1"}`))
	require.Equal(t, []any{"0b1e-guid"}, p.Keys)
	require.Equal(t, int64(2), p.Value("priorityid"))
	require.Equal(t, []any{"12"}, decode(t, Priorities, []byte(`{"id":12,"priorityid":2}`)).Keys)
	p = decode(t, Priorities, []byte(`{"id":"6f1c","slaid":2,"priorityid":1,"name":"Critical","fixtime":4.0,"fixunits":"hours","responsetime":1.0}`))
	require.Equal(t, float64(4), p.Value("fixtime"))
	require.Equal(t, "hours", p.Value("fixunits"))
	require.Equal(t, float64(1), p.Value("responsetime"))
	require.Nil(t, p.Value("responseunits"))

	s := decode(t, Sites, []byte(`{"id":3,"client_id":12.0,"slastupdate":"2023-10-18T09:54:26.177"}`))
	require.Equal(t, int64(12), s.Value("client_id"))
	require.NotNil(t, s.UpdatedAt)

	c := decode(t, Contracts, []byte(`{"id":1,"status":2,"contract_status":"Active","billingperiod":"3"}`))
	require.Equal(t, "2", c.Value("status"))
	require.Equal(t, int64(3), c.Value("billingperiod"))

	require.Equal(t, "1", decode(t, TicketTypes, []byte(`{"id":1,"use":1}`)).Value("use"))

	tk := decode(t, Tickets, []byte(`{"id":9,"estimate":-0.0,"site_id":-0.0,"client_id":"12","Summary":"case folded"}`))
	require.Nil(t, tk.Value("site_id"))
	require.Equal(t, int64(12), tk.Value("client_id"))
	require.Equal(t, "case folded", tk.Value("summary"), "fields match case-insensitively, as encoding/json did")

	// Names keep "" (and missing is ""); other text is NULL when empty.
	cl := decode(t, Clients, []byte(`{"id":1,"toplevel_name":""}`))
	require.Equal(t, "", cl.Value("name"))
	require.Nil(t, cl.Value("toplevel_name"))
}

func TestDecode_Rejects(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`[1]`, `"x"`, `{"id":1,"client_id":"abc"}`, `{"id":1.5}`, `{"id":1,"summary":{}}`,
		`{"id":1,"inactive":"perhaps"}`, `{"id":1,"dateoccurred":"yesterday"}`, `{"id":1,"last_update":12}`,
	} {
		_, err := Tickets.Decode([]byte(body))
		require.Error(t, err, body)
	}
}

func TestGet_ByKey(t *testing.T) {
	t.Parallel()
	c := testHalo(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/Actions/3":
			require.Equal(t, "9499", r.URL.Query().Get("ticket_id"))
			_, _ = w.Write([]byte(`{"id":3,"note":"no ticket_id in this reply"}`))
		case "/api/Client/12":
			_, _ = w.Write([]byte(`[{"id":12,"name":"DBT","alastupdate":"2023-10-18T09:54:25.75"}]`))
		default:
			t.Errorf("unexpected %s", r.URL)
		}
	})
	a, err := Actions.Get(t.Context(), c, []any{int64(9499), int64(3)})
	require.NoError(t, err)
	require.Equal(t, []any{int64(9499), int64(3)}, a.Keys, "ticket_id filled from the key asked for")
	cl, err := Clients.Get(t.Context(), c, []any{int64(12)})
	require.NoError(t, err)
	require.Equal(t, "DBT", cl.Value("name"))
	require.NotNil(t, cl.UpdatedAt)
	require.JSONEq(t, `{"id":12,"name":"DBT","alastupdate":"2023-10-18T09:54:25.75"}`, string(cl.Raw))
}

func TestList_PerParentFillsTheParentKey(t *testing.T) {
	t.Parallel()
	c := testHalo(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		require.Equal(t, "7", q.Get("ticket_id"))
		require.Equal(t, "true", q.Get("includehtmlnote"))
		require.Empty(t, q.Get("page_no"), "a list per parent is one unpaged reply")
		_, _ = w.Write([]byte(`{"actions":[{"id":1},{"id":2,"ticket_id":7},{"id":"x"}]}`))
	})
	var rows []Record
	for page, err := range Actions.List(t.Context(), c, &halo.ListOptions{Params: url.Values{"ticket_id": {"7"}}}) {
		require.NoError(t, err)
		rows = append(rows, page.Rows...)
		require.Len(t, page.Bad, 1, "a row that does not decode is a reject; the others are read")
	}
	require.Len(t, rows, 2)
	require.Equal(t, []any{int64(7), int64(1)}, rows[0].Keys)
	require.Equal(t, []any{int64(7), int64(2)}, rows[1].Keys)
}

func TestDecode_Identify(t *testing.T) {
	t.Parallel()
	// An entity whose Halo id is always 0 computes its key from its columns (not registered: a test value).
	e := &Entity{Name: "test_events", Comment: "c", Path: "/api/X", Filter: FullOnly,
		Keys: []Column{{Name: "event_key", Kind: Text, Comment: "c"}},
		Columns: []Column{
			{Name: "agent_id", Kind: Integer, Comment: "c"},
			{Name: "start_date", Kind: Timestamp, Comment: "c"},
		},
		Identify: func(r Record) ([]any, error) {
			start, ok := r.Value("start_date").(time.Time)
			if !ok {
				return nil, errors.New("no start_date")
			}
			return []any{KeyString([]any{r.Value("agent_id"), start})}, nil
		},
	}
	require.NoError(t, e.validate())
	e.index()
	rec, err := e.Decode([]byte(`{"id":0,"agent_id":3,"start_date":"2025-01-02T03:04:05"}`))
	require.NoError(t, err)
	require.Equal(t, []any{"3/2025-01-02T03:04:05Z"}, rec.Keys)
	_, err = e.Decode([]byte(`{"id":0,"agent_id":3}`))
	require.ErrorContains(t, err, "no start_date")
}
