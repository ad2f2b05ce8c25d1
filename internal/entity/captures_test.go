package entity

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
)

// The fixtures are real Halo replies (see ../../testdata/halo-captures/README.md); these tests check that
// the declarations read them as the typed structs they replace did.

func readCapture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "halo-captures", name))
	require.NoError(t, err)
	return b
}

func decode(t *testing.T, e *Entity, body []byte) Record {
	t.Helper()
	rec, err := e.Decode(body)
	require.NoError(t, err)
	return rec
}

func utc(y int, m time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, m, d, h, mi, s, ns, time.UTC)
}

func TestCapture_CreateTicketResponse(t *testing.T) {
	t.Parallel()
	body := readCapture(t, "create-ticket-response.json")

	tk := decode(t, Tickets, body)
	require.Equal(t, []any{int64(9499)}, tk.Keys)
	require.Contains(t, tk.Value("summary"), "Halo via API")
	require.Equal(t, "Blah", tk.Value("details"))
	require.Equal(t, int64(12), tk.Value("client_id"))
	require.Equal(t, int64(18), tk.Value("site_id"))
	require.Equal(t, int64(38), tk.Value("user_id"))
	require.Equal(t, int64(1), tk.Value("agent_id"), "Unassigned, kept as Halo sends it")
	require.Equal(t, "1st Line Support", tk.Value("team"))
	require.Equal(t, int64(26), tk.Value("team_id"))
	require.Nil(t, tk.Value("contract_id"), "-1 is Halo's none")
	require.Equal(t, int64(36), tk.Value("tickettype_id"))
	require.Equal(t, int64(4), tk.Value("priority_id"))
	require.Equal(t, false, tk.Value("deleted"))

	// flastupdate is the POST reply's name for last_update.
	require.Equal(t, utc(2024, 6, 20, 14, 45, 17, 152103300), *tk.UpdatedAt)
	require.Equal(t, utc(2024, 6, 20, 14, 45, 15, 974627100), tk.Value("dateoccurred"))
	require.Equal(t, utc(2024, 6, 21, 10, 45, 15, 975000000), tk.Value("respondbydate"))
	require.NotNil(t, tk.Value("lastactiondate"))
	require.NotNil(t, tk.Value("fixbydate"))
	require.Nil(t, tk.Value("targetdate"), "1900-01-01 sentinel")
	require.Nil(t, tk.Value("dateclosed"), "missing key")
	require.False(t, tk.Sent("dateclosed"))
	require.JSONEq(t, string(body), string(tk.Raw))

	// Nested user → site → client decode by their own declarations (whole floats, no-Z times).
	var nested struct {
		User struct {
			Site struct {
				Client json.RawMessage `json:"client"`
			} `json:"site"`
		} `json:"user"`
		ExtraActions []json.RawMessage `json:"extra_actions"`
	}
	require.NoError(t, json.Unmarshal(body, &nested))
	var raw struct {
		User json.RawMessage `json:"user"`
	}
	require.NoError(t, json.Unmarshal(body, &raw))
	var rawSite struct {
		Site json.RawMessage `json:"site"`
	}
	require.NoError(t, json.Unmarshal(raw.User, &rawSite))
	user, site := decode(t, Users, raw.User), decode(t, Sites, rawSite.Site)
	require.Equal(t, []any{int64(38)}, user.Keys)
	require.Equal(t, int64(18), user.Value("site_id"))
	require.NotNil(t, user.UpdatedAt)
	require.Equal(t, []any{int64(18)}, site.Keys)
	require.Equal(t, int64(12), site.Value("client_id"))
	require.NotNil(t, site.UpdatedAt)
	cl := decode(t, Clients, nested.User.Site.Client)
	require.Equal(t, []any{int64(12)}, cl.Keys)
	require.Equal(t, utc(2023, 10, 18, 9, 54, 25, 750000000), *cl.UpdatedAt)
	require.NotEmpty(t, nested.ExtraActions)
	for _, a := range nested.ExtraActions {
		require.Equal(t, int64(9499), decode(t, Actions, a).Keys[0])
	}
}

func TestCapture_ActionSystemRule(t *testing.T) {
	t.Parallel()
	body := readCapture(t, "action-system-rule.json")

	a := decode(t, Actions, body)
	require.Equal(t, []any{int64(9499), int64(3)}, a.Keys)
	require.Equal(t, "Rule Applied", a.Value("outcome"))
	require.Equal(t, "System", a.Value("who"))
	require.Nil(t, a.Value("who_agentid"), "0: no agent")
	require.Equal(t, int64(3), a.Value("actionby_agent_id"))
	require.Equal(t, true, a.Value("hiddenfromuser"))
	require.Equal(t, int64(1), a.Value("new_status"))
	require.Equal(t, utc(2024, 6, 20, 14, 45, 18, 78228600), a.Value("datetime"))
	require.NotNil(t, a.Value("actiondatecreated"))
	require.Contains(t, a.Value("note"), "Matched Rules Changed")
	// No last_updated: halo_updated_at is the action's time.
	require.Equal(t, a.Value("datetime"), *a.UpdatedAt)
	require.JSONEq(t, string(body), string(a.Raw))

	// The report fields of issue 21: who_type 0 marks the system, and Halo flags even that action
	// billable (so reports must exclude system actions by who_type).
	require.Equal(t, int64(1), a.Value("old_status"))
	require.Equal(t, int64(0), a.Value("who_type"))
	require.Equal(t, true, a.Value("actisbillable"))
	require.Equal(t, float64(0), a.Value("actionchargehours"))
	require.NotNil(t, a.Value("actionnonchargehours"))
	require.Nil(t, a.Value("nonbilltime"), "not in this capture: stays NULL, not 0")

	// A key Halo leaves out is NULL, never 0 or false.
	empty := decode(t, Actions, []byte(`{"ticket_id":1,"id":2}`))
	for _, col := range []string{"who_type", "actisbillable", "actionchargehours"} {
		require.Nil(t, empty.Value(col), col)
	}
}

func TestCapture_HaloUser(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file, email string
		updated     time.Time
	}{
		{"halo-user.json", "some.body@example.com", utc(2024, 6, 27, 8, 24, 23, 933000000)},
		{"halo-user-2023.json", "test@example.com", utc(2023, 2, 15, 10, 28, 18, 697000000)},
	} {
		body := readCapture(t, tt.file)
		u := decode(t, Users, body)
		require.Equal(t, []any{int64(38)}, u.Keys)
		require.Equal(t, int64(18), u.Value("site_id")) // 18.0 on the wire
		require.Equal(t, int64(12), u.Value("client_id"))
		require.Equal(t, int64(13), u.Value("linked_agent_id"))
		require.Equal(t, tt.email, u.Value("emailaddress"))
		require.Equal(t, false, u.Value("inactive"))
		require.Equal(t, tt.updated, *u.UpdatedAt, tt.file)
		require.Equal(t, utc(2022, 9, 26, 16, 15, 38, 897000000), u.Value("datecreated"))
		require.JSONEq(t, string(body), string(u.Raw))
	}
}

// testHalo serves api for /api/ and tokens for /auth/token, and returns a client for it.
func testHalo(t *testing.T, api http.HandlerFunc) *halo.Client {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/auth/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("/api/", api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := halo.New(halo.Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret"})
	require.NoError(t, err)
	return c
}

func TestCapture_UsersListRow(t *testing.T) {
	t.Parallel()
	body := readCapture(t, "users-list-row.json")
	c := testHalo(t, func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "true", r.URL.Query().Get("includeinactive"), "declared Params are sent")
		_, _ = w.Write(body)
	})
	var users []Record
	for page, err := range Users.List(t.Context(), c, nil) {
		require.NoError(t, err)
		require.Equal(t, 1, page.RecordCount)
		require.Empty(t, page.Bad)
		users = append(users, page.Rows...)
	}
	require.Len(t, users, 1)
	u := users[0]
	require.Equal(t, []any{int64(38)}, u.Keys)
	require.Equal(t, "Some BodyFromAPI", u.Value("name"))
	require.Equal(t, int64(18), u.Value("site_id"))
	require.Equal(t, int64(12), u.Value("client_id"))
	require.Nil(t, u.UpdatedAt, "list rows carry no ulastupdate")
	require.Equal(t, int64(1), c.Requests())
}
