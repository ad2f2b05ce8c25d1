package halofake

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustTime(s string) time.Time {
	t, ok := parseQueryTime(s)
	if !ok {
		panic(s)
	}
	return t
}

func TestPostPartialUpdate(t *testing.T) {
	f := startFake(t, Options{})
	before := f.get(t, "/api/Tickets/5").json(t)
	f.clock.Add(time.Second)
	r := f.post(t, "/api/tickets", `[{"id":5,"summary":"Patched ✓","agent_id":1}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	saved := r.json(t)
	require.Equal(t, "Patched ✓", saved["summary"])
	require.Contains(t, saved, "last_update")
	require.NotContains(t, saved, "flastupdate")

	after := f.get(t, "/api/Tickets/5").json(t)
	for k, v := range before {
		switch k {
		case "summary", "last_update", "agent_id":
		default:
			require.Equal(t, v, after[k], k)
		}
	}
	require.EqualValues(t, 1, after["agent_id"])
	require.Equal(t, "2026-06-01T12:00:01Z", after["last_update"])

	require.Equal(t, http.StatusNotFound, f.post(t, "/api/Tickets", `[{"id":999999,"summary":"x"}]`).status)
	require.Equal(t, http.StatusNotFound, f.post(t, "/api/Client", `[{"id":999999,"name":"x"}]`).status)
	require.Equal(t, http.StatusBadRequest, f.post(t, "/api/Tickets", `{"id":5,"summary":"x"}`).status)
	require.Equal(t, http.StatusBadRequest, f.post(t, "/api/Tickets", `[]`).status)
	require.Equal(t, http.StatusBadRequest, f.post(t, "/api/Tickets", `not json`).status)
	require.Equal(t, http.StatusBadRequest, f.post(t, "/api/Tickets/5", `[{"summary":"x"}]`).status)

	// Inactivating a client hides it from the default list.
	r = f.post(t, "/api/Client", `[{"id":1,"inactive":true}]`)
	require.Equal(t, http.StatusCreated, r.status)
	require.Equal(t, true, r.json(t)["inactive"])
	m := f.get(t, "/api/Client?pageinate=true").json(t)
	require.NotContains(t, ids(rows(t, m, "clients")), int64(1))
}

func TestPostCreateAndValidation(t *testing.T) {
	f := startFake(t, Options{})
	r := f.post(t, "/api/Tickets", `[{"details":"no summary"}]`)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.json(t), "[0].summary")

	r = f.post(t, "/api/Tickets", `[{"summary":"Brand new","details":"d","client_id":3,"team":"Service Desk"}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	tk := r.json(t)
	require.EqualValues(t, 301, tk["id"])
	require.Equal(t, "Brand new", tk["summary"])
	require.EqualValues(t, 3, tk["client_id"])
	require.EqualValues(t, 1, tk["agent_id"])
	// As in the live capture: opened a moment before the reply, the system action and last update at it.
	require.Equal(t, "2026-06-01T11:59:59Z", tk["dateoccurred"])
	require.Equal(t, "2026-06-01T12:00:00Z", tk["lastactiondate"])
	require.Equal(t, "2026-06-01T12:00:00Z", tk["last_update"])

	acts := rows(t, f.get(t, "/api/Actions?ticket_id=301").json(t), "actions")
	require.Len(t, acts, 1)
	require.Equal(t, "Rule Applied", acts[0]["outcome"])
	require.Equal(t, "2026-06-01T12:00:00Z", acts[0]["datetime"])

	r = f.post(t, "/api/Client", `[{"name":"Zoë & Søren ApS"}]`)
	require.Equal(t, http.StatusCreated, r.status)
	require.EqualValues(t, 21, r.json(t)["id"])
	require.Equal(t, "Zoë & Søren ApS", f.get(t, "/api/Client/21").json(t)["name"])
}

// Halo adds a created ticket's system action before it answers, so no time in the create reply is later than
// Halo's clock, and an action or an edit right after the create moves the ticket's lastactiondate and
// last_update forward, never back (issue 17, seed 1265: a fake that dated the system action a second ahead
// made an action added within that second move both backwards, and the mirror rightly kept the later copy).
func TestCreatedTicketTimesRunForward(t *testing.T) {
	f := startFake(t, Options{})
	created := f.post(t, "/api/Tickets", `[{"summary":"Brand new","client_id":3}]`).json(t)
	id := int64(created["id"].(float64))
	at := func(m map[string]any, k string) time.Time { return mustTime(m[k].(string)) }

	f.clock.Add(100 * time.Millisecond)
	r := f.post(t, "/api/Actions", `[{"ticket_id":`+strconv.FormatInt(id, 10)+`,"note":"first look","outcome":"Private Note"}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	noted := f.get(t, "/api/Tickets/"+strconv.FormatInt(id, 10)).json(t)
	require.True(t, at(noted, "lastactiondate").After(at(created, "lastactiondate")), "lastactiondate %v then %v", created["lastactiondate"], noted["lastactiondate"])
	require.True(t, at(noted, "last_update").After(at(created, "last_update")), "last_update %v then %v", created["last_update"], noted["last_update"])

	f.clock.Add(100 * time.Millisecond)
	edited := f.post(t, "/api/Tickets", `[{"id":`+strconv.FormatInt(id, 10)+`,"agent_id":3}]`).json(t)
	require.True(t, at(edited, "last_update").After(at(noted, "last_update")), "last_update %v then %v", noted["last_update"], edited["last_update"])
}

func TestFLastUpdateInPost(t *testing.T) {
	f := startFake(t, Options{FLastUpdateInPost: true})
	saved := f.post(t, "/api/Tickets", `[{"id":2,"summary":"x"}]`).json(t)
	require.Contains(t, saved, "flastupdate")
	require.NotContains(t, saved, "last_update")
	require.Contains(t, f.get(t, "/api/Tickets/2").json(t), "last_update")
}

// TestActionLastUpdated: with the option, an action carries last_updated, its datetime until a write moves
// it to the write's time (and a client cannot set it); without, it carries none, like the live captures.
func TestActionLastUpdated(t *testing.T) {
	plain := startFake(t, Options{})
	require.NotContains(t, rows(t, plain.get(t, "/api/Actions?ticket_id=4").json(t), "actions")[0], "last_updated")

	f := startFake(t, Options{ActionLastUpdated: true})
	a := rows(t, f.get(t, "/api/Actions?ticket_id=4").json(t), "actions")[0]
	require.Equal(t, a["datetime"], a["last_updated"])
	f.clock.Add(3 * time.Second)
	id := strconv.FormatInt(int64(a["id"].(float64)), 10)
	r := f.post(t, "/api/Actions", `[{"ticket_id":4,"id":`+id+`,"note":"edited","last_updated":"2020-01-01T00:00:00Z"}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.Equal(t, "2026-06-01T12:00:03Z", r.json(t)["last_updated"])
	require.Equal(t, a["datetime"], r.json(t)["datetime"], "an edit keeps the action's datetime")
}

func TestActionsWrites(t *testing.T) {
	f := startFake(t, Options{})
	require.Equal(t, http.StatusBadRequest, f.post(t, "/api/Actions", `[{"note":"orphan"}]`).status)
	require.Equal(t, http.StatusNotFound, f.post(t, "/api/Actions", `[{"ticket_id":999999,"note":"x"}]`).status)

	n := len(rows(t, f.get(t, "/api/Actions?ticket_id=4").json(t), "actions"))
	f.clock.Add(2 * time.Second)
	r := f.post(t, "/api/Actions", `[{"ticket_id":4,"note":"Called the user","outcome":"Phone Call","hiddenfromuser":false,"timetaken":0.25}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	a := r.json(t)
	require.EqualValues(t, 4, a["ticket_id"])
	require.EqualValues(t, "Called the user", a["note"])
	require.Equal(t, "2026-06-01T12:00:02Z", a["datetime"])
	tk := f.get(t, "/api/Tickets/4").json(t)
	require.Equal(t, "2026-06-01T12:00:02Z", tk["lastactiondate"])
	require.Equal(t, "2026-06-01T12:00:02Z", tk["last_update"])
	acts := rows(t, f.get(t, "/api/Actions?ticket_id=4").json(t), "actions")
	require.Len(t, acts, n+1)
	id := int64(a["id"].(float64))
	require.EqualValues(t, n+1, id)

	// Update then delete; DELETE needs ticket_id.
	r = f.post(t, "/api/Actions", `[{"ticket_id":4,"id":1,"note":"edited"}]`)
	require.Equal(t, http.StatusCreated, r.status)
	require.Equal(t, "edited", f.get(t, "/api/Actions/1?ticket_id=4").json(t)["note"])
	require.Equal(t, http.StatusBadRequest, f.do(t, http.MethodDelete, "/api/Actions/1", f.tok, "", nil).status)
	require.Equal(t, http.StatusOK, f.do(t, http.MethodDelete, "/api/Actions/1?ticket_id=4", f.tok, "", nil).status)
	require.Equal(t, http.StatusNotFound, f.get(t, "/api/Actions/1?ticket_id=4").status)
}

func TestHooksCreateUpdateDelete(t *testing.T) {
	f := startFake(t, Options{})
	id := f.Create("users", map[string]any{"firstname": "New", "surname": "Person", "name": "New Person"})
	require.EqualValues(t, 151, id)
	f.Update("users", id, map[string]any{"emailaddress": "np@example.com"})
	u := f.get(t, "/api/Users/151").json(t)
	require.Equal(t, "np@example.com", u["emailaddress"])
	require.Equal(t, "New Person", u["name"])
	f.Delete("users", id)
	require.Equal(t, http.StatusNotFound, f.get(t, "/api/Users/151").status)
	f.Delete("tickets", 1)
	require.Equal(t, true, f.get(t, "/api/Tickets/1").json(t)["deleted"])
	aid := f.AddAction(2, "hook note")
	require.Equal(t, "hook note", f.get(t, "/api/Actions/"+strconv.FormatInt(aid, 10)+"?ticket_id=2").json(t)["note"])
	require.Panics(t, func() { f.Update("tickets", 999999, map[string]any{"summary": "x"}) })
	require.Panics(t, func() { f.Records("nope") })
}
