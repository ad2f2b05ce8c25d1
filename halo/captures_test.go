package halo

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The fixtures are real Halo replies (see ../testdata/halo-captures/README.md).

func readCapture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "halo-captures", name))
	require.NoError(t, err)
	return b
}

func TestCapture_CreateTicketResponse(t *testing.T) {
	t.Parallel()
	body := readCapture(t, "create-ticket-response.json")

	var tk Ticket
	require.NoError(t, json.Unmarshal(body, &tk))
	require.Equal(t, Int(9499), tk.ID)
	require.Contains(t, tk.Summary, "Halo via API")
	require.Equal(t, "Blah", tk.Details)
	require.Equal(t, Int(12), tk.ClientID)
	require.Equal(t, Int(18), tk.SiteID)
	require.Equal(t, Int(38), tk.UserID)
	require.Equal(t, Int(1), tk.AgentID) // Unassigned
	require.Equal(t, "1st Line Support", tk.Team)
	require.Equal(t, Int(26), tk.TeamID)
	require.Equal(t, Int(-1), tk.ContractID)
	require.Equal(t, Int(36), tk.TicketTypeID)
	require.Equal(t, Int(4), tk.PriorityID)
	require.False(t, bool(tk.Deleted))

	// flastupdate is the POST reply's name for last_update.
	require.True(t, tk.LastUpdate.Valid)
	require.Equal(t, time.Date(2024, 6, 20, 14, 45, 17, 152103300, time.UTC), tk.LastUpdate.Time)
	require.Equal(t, time.Date(2024, 6, 20, 14, 45, 15, 974627100, time.UTC), tk.DateOccurred.Time)
	require.Equal(t, time.Date(2024, 6, 21, 10, 45, 15, 975000000, time.UTC), tk.RespondByDate.Time)
	require.True(t, tk.LastActionDate.Valid)
	require.True(t, tk.FixByDate.Valid)

	// Sentinel and missing dates are not valid.
	require.False(t, tk.TargetDate.Valid, "1900-01-01 sentinel")
	require.False(t, tk.DateClosed.Valid, "missing key")

	// Raw keeps the exact bytes.
	require.JSONEq(t, string(body), string(tk.Raw))

	// The same body through the paging decoder as a one-row envelope.
	env := []byte(`{"page_no":1,"page_size":100,"record_count":1,"tickets":[` + string(body) + `]}`)
	rows, rc, _, err := splitEnvelope(env, []string{"tickets"})
	require.NoError(t, err)
	require.Equal(t, 1, rc)
	page := Page[Ticket]{}
	decodeRows(rows, func(v *Ticket) string { return itoa(int64(v.ID)) }, newKeySet(), &page)
	require.Empty(t, page.Bad)
	require.Len(t, page.Rows, 1)
	require.Equal(t, Int(9499), page.Rows[0].ID)

	// Nested user → site → client decode into their own types (whole floats, no-Z times).
	var nested struct {
		User struct {
			Site struct {
				Client Customer `json:"client"`
			} `json:"site"`
		} `json:"user"`
		ExtraActions []Action `json:"extra_actions"`
	}
	require.NoError(t, json.Unmarshal(body, &nested))
	var user User
	var site Site
	var raw struct {
		User json.RawMessage `json:"user"`
	}
	require.NoError(t, json.Unmarshal(body, &raw))
	require.NoError(t, json.Unmarshal(raw.User, &user))
	var rawSite struct {
		Site json.RawMessage `json:"site"`
	}
	require.NoError(t, json.Unmarshal(raw.User, &rawSite))
	require.NoError(t, json.Unmarshal(rawSite.Site, &site))
	require.Equal(t, Int(38), user.ID)
	require.Equal(t, Int(18), user.SiteID)
	require.True(t, user.LastUpdate.Valid)
	require.Equal(t, Int(18), site.ID)
	require.Equal(t, Int(12), site.ClientID)
	require.True(t, site.LastUpdate.Valid)
	cl := nested.User.Site.Client
	require.Equal(t, Int(12), cl.ID)
	require.True(t, cl.LastUpdate.Valid)
	require.Equal(t, time.Date(2023, 10, 18, 9, 54, 25, 750000000, time.UTC), cl.LastUpdate.Time)
	require.NotEmpty(t, nested.ExtraActions)
	for _, a := range nested.ExtraActions {
		require.Equal(t, Int(9499), a.TicketID)
	}
}

func TestCapture_ActionSystemRule(t *testing.T) {
	t.Parallel()
	body := readCapture(t, "action-system-rule.json")

	var a Action
	require.NoError(t, json.Unmarshal(body, &a))
	require.Equal(t, Int(9499), a.TicketID)
	require.Equal(t, Int(3), a.ID)
	require.Equal(t, "Rule Applied", a.Outcome)
	require.Equal(t, "System", a.Who)
	require.Equal(t, Int(0), a.WhoAgentID)
	require.Equal(t, Int(3), a.ActionByAgentID)
	require.True(t, bool(a.HiddenFromUser))
	require.Equal(t, Int(1), a.NewStatus)
	require.Equal(t, time.Date(2024, 6, 20, 14, 45, 18, 78228600, time.UTC), a.DateTime.Time)
	require.True(t, a.ActionDateCreated.Valid)
	require.False(t, a.LastUpdated.Valid)
	require.Contains(t, a.Note, "Matched Rules Changed")
	require.JSONEq(t, string(body), string(a.Raw))
}

func TestCapture_HaloUser(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file, email string
		updated     time.Time
	}{
		{"halo-user.json", "some.body@example.com", time.Date(2024, 6, 27, 8, 24, 23, 933000000, time.UTC)},
		{"halo-user-2023.json", "test@example.com", time.Date(2023, 2, 15, 10, 28, 18, 697000000, time.UTC)},
	} {
		body := readCapture(t, tt.file)
		var u User
		require.NoError(t, json.Unmarshal(body, &u), tt.file)
		require.Equal(t, Int(38), u.ID)
		require.Equal(t, Int(18), u.SiteID) // 18.0 on the wire
		require.Equal(t, Int(12), u.ClientID)
		require.Equal(t, Int(13), u.LinkedAgentID)
		require.Equal(t, tt.email, u.EmailAddress)
		require.False(t, bool(u.Inactive))
		require.True(t, u.LastUpdate.Valid, tt.file)
		require.Equal(t, tt.updated, u.LastUpdate.Time, tt.file)
		require.Equal(t, time.Date(2022, 9, 26, 16, 15, 38, 897000000, time.UTC), u.DateCreated.Time)
		require.JSONEq(t, string(body), string(u.Raw))
	}
}

func TestCapture_UsersListRow(t *testing.T) {
	t.Parallel()
	body := readCapture(t, "users-list-row.json")
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(body)
	})
	c := newTestClient(t, s)

	users, pages := collect(t, c.Users(t.Context(), nil))
	require.Len(t, pages, 1)
	require.Equal(t, 1, pages[0].RecordCount)
	require.Empty(t, pages[0].Bad)
	require.Len(t, users, 1)
	u := users[0]
	require.Equal(t, Int(38), u.ID)
	require.Equal(t, "Some BodyFromAPI", u.Name)
	require.Equal(t, Int(18), u.SiteID)
	require.Equal(t, Int(12), u.ClientID)
	require.False(t, u.LastUpdate.Valid, "list rows carry no ulastupdate")
	require.Equal(t, int64(1), c.Requests())
}

func TestCapture_ActionsListEmpty(t *testing.T) {
	t.Parallel()
	body := readCapture(t, "actions-list-empty.json")
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "9499", r.URL.Query().Get("ticket_id"))
		_, _ = w.Write(body)
	})
	c := newTestClient(t, s)

	opts := &ListOptions{Params: map[string][]string{"ticket_id": {"9499"}}}
	actions, pages := collect(t, c.Actions(t.Context(), opts))
	require.Empty(t, actions)
	require.Len(t, pages, 1)
	require.Equal(t, 0, pages[0].RecordCount)
	require.Empty(t, pages[0].Bad)
}
