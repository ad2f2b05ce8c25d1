package halofake

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTokenEndpoint(t *testing.T) {
	f := startFake(t, Options{})

	r := f.tokenRequest(t, creds("all"), "", nil)
	require.Equal(t, http.StatusOK, r.status)
	m := r.json(t)
	require.Equal(t, "Bearer", m["token_type"])
	require.EqualValues(t, 3600, m["expires_in"])
	require.Equal(t, "all", m["scope"])

	// Space-separated scopes, tenant in query or form.
	r = f.tokenRequest(t, creds("read:tickets  edit:customers"), "?tenant=acme", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "read:tickets edit:customers", r.json(t)["scope"])
	form := creds("all")
	form.Set("tenant", "acme")
	require.Equal(t, http.StatusOK, f.tokenRequest(t, form, "", nil).status)

	// read:actions does not exist (§1.3).
	r = f.tokenRequest(t, creds("read:tickets read:actions"), "", nil)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Equal(t, "invalid_scope", r.json(t)["error"])

	bad := creds("all")
	bad.Set("client_secret", "nope")
	r = f.tokenRequest(t, bad, "", nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Equal(t, "invalid_client", r.json(t)["error"])
	require.NotEmpty(t, r.json(t)["error_description"])
	require.NotContains(t, string(r.body), DefaultClientSecret)

	// Missing User-Agent fails like bad credentials (§12.10).
	r = f.tokenRequest(t, creds("all"), "", map[string]string{"User-Agent": ""})
	require.Equal(t, http.StatusUnauthorized, r.status)
	r = f.do(t, http.MethodGet, "/api/Status", f.tok, "", map[string]string{"User-Agent": ""})
	require.Equal(t, http.StatusUnauthorized, r.status)

	// A token without scope is issued but fails every call (§1.3).
	noScope := f.token(t, "")
	require.Equal(t, http.StatusUnauthorized, f.do(t, http.MethodGet, "/api/Tickets", noScope, "", nil).status)
	require.Equal(t, http.StatusUnauthorized, f.do(t, http.MethodGet, "/api/Status", noScope, "", nil).status)

	require.Equal(t, http.StatusUnauthorized, f.do(t, http.MethodGet, "/api/Tickets", "", "", nil).status)
	require.Equal(t, http.StatusUnauthorized, f.do(t, http.MethodGet, "/api/Tickets", "garbage", "", nil).status)
}

func TestTokenExpiryAndRevocation(t *testing.T) {
	f := startFake(t, Options{TokenTTL: time.Hour})
	require.Equal(t, http.StatusOK, f.get(t, "/api/Status").status)

	f.clock.Add(59 * time.Minute)
	require.Equal(t, http.StatusOK, f.get(t, "/api/Status").status)
	f.clock.Add(time.Minute)
	require.Equal(t, http.StatusUnauthorized, f.get(t, "/api/Status").status)

	f.tok = f.token(t, "all")
	require.Equal(t, http.StatusOK, f.get(t, "/api/Status").status)
	f.ExpireTokens()
	require.Equal(t, http.StatusUnauthorized, f.get(t, "/api/Status").status)

	f.tok = f.token(t, "all")
	f.RevokeTokens()
	require.Equal(t, http.StatusUnauthorized, f.get(t, "/api/Status").status)
	f.tok = f.token(t, "all")
	require.Equal(t, http.StatusOK, f.get(t, "/api/Status").status)
}

func TestAuthInfoNeedsNoToken(t *testing.T) {
	f := startFake(t, Options{})
	r := f.do(t, http.MethodGet, "/api/AuthInfo", "", "", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, f.base+"/auth", r.json(t)["auth_url"])
}

func TestScopesCoverEntities(t *testing.T) {
	f := startFake(t, Options{})
	cases := []struct {
		scope   string
		allowed []string
		denied  []string
	}{
		{"read:tickets", []string{"/api/Tickets", "/api/Actions?ticket_id=1", "/api/Agent", "/api/Status", "/api/Priority", "/api/Team", "/api/TicketType"},
			[]string{"/api/Client", "/api/Site", "/api/Users", "/api/Asset", "/api/ClientContract"}},
		{"read:customers", []string{"/api/Client", "/api/Site", "/api/Users", "/api/Agent"}, []string{"/api/Tickets", "/api/Asset"}},
		{"read:assets", []string{"/api/Asset"}, []string{"/api/Client"}},
		{"read:contracts", []string{"/api/ClientContract"}, []string{"/api/Tickets"}},
		{"admin", []string{"/api/Tickets", "/api/Client", "/api/Asset", "/api/ClientContract"}, nil},
	}
	for _, c := range cases {
		tok := f.token(t, c.scope)
		for _, p := range c.allowed {
			require.Equal(t, http.StatusOK, f.do(t, http.MethodGet, p, tok, "", nil).status, "%s %s", c.scope, p)
		}
		for _, p := range c.denied {
			require.Equal(t, http.StatusForbidden, f.do(t, http.MethodGet, p, tok, "", nil).status, "%s %s", c.scope, p)
		}
	}
	// Writing needs the edit: form.
	read := f.token(t, "read:tickets")
	require.Equal(t, http.StatusForbidden, f.do(t, http.MethodPost, "/api/Tickets", read, `[{"id":1,"summary":"x"}]`, nil).status)
	edit := f.token(t, "edit:tickets")
	require.Equal(t, http.StatusCreated, f.do(t, http.MethodPost, "/api/Tickets", edit, `[{"id":1,"summary":"x"}]`, nil).status)
	require.Equal(t, http.StatusOK, f.do(t, http.MethodGet, "/api/Tickets", edit, "", nil).status)
}
