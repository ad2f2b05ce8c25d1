package halo

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	testClientID = "halosync-test"
	// testSecret is distinctive so tests can assert it never leaks into errors.
	testSecret = "s3cr3t-ZEBRA-7f9c2e"
	testUA     = "halosync/test"
)

// testServer is a minimal Halo written inline for this package's tests: a token
// endpoint issuing "tok-N" tokens and a pluggable /api handler.
type testServer struct {
	*httptest.Server
	tokenRequests atomic.Int64
	apiRequests   atomic.Int64

	mu        sync.Mutex
	tokenForm []map[string][]string
	tokenUA   []string
	apiUA     []string
	// tokenHandler overrides the token endpoint when set.
	tokenHandler http.HandlerFunc
}

func (s *testServer) lastTokenForm() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenForm[len(s.tokenForm)-1]
}

// newTestServer starts a server; api handles every /api request.
func newTestServer(t *testing.T, api http.HandlerFunc) *testServer {
	t.Helper()
	s := &testServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/auth/token", func(w http.ResponseWriter, r *http.Request) {
		n := s.tokenRequests.Add(1)
		require.NoError(t, r.ParseForm())
		s.mu.Lock()
		s.tokenForm = append(s.tokenForm, r.PostForm)
		s.tokenUA = append(s.tokenUA, r.UserAgent())
		s.mu.Unlock()
		if s.tokenHandler != nil {
			s.tokenHandler(w, r)
			return
		}
		if r.PostForm.Get("client_secret") != testSecret {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"The client application is invalid."}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600,"scope":"all"}`, n)
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.apiRequests.Add(1)
		s.mu.Lock()
		s.apiUA = append(s.apiUA, r.UserAgent())
		s.mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		api(w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request outside /api and /auth: %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// newTestClient returns a client pointed at s.
func newTestClient(t *testing.T, s *testServer, mods ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: s.URL, ClientID: testClientID, ClientSecret: testSecret, UserAgent: testUA}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

func writeJSON(t *testing.T, w http.ResponseWriter, status int, v any) {
	t.Helper()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	require.NoError(t, json.NewEncoder(w).Encode(v))
}

// collect drains a walk, failing the test on error.
func collect[T any](t *testing.T, seq func(func(Page[T], error) bool)) ([]T, []Page[T]) {
	t.Helper()
	var rows []T
	var pages []Page[T]
	for p, err := range seq {
		require.NoError(t, err)
		rows = append(rows, p.Rows...)
		pages = append(pages, p)
	}
	return rows, pages
}

// requireNoSecret asserts err's text leaks neither the secret nor a token.
func requireNoSecret(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.NotContains(t, err.Error(), testSecret)
	require.NotContains(t, err.Error(), "tok-")
}

// testRow is what this package's tests decode rows into: the keys the paging loop de-duplicates by, a
// name, a last update and the raw row. (What an entity's columns are is internal/entity's business.)
type testRow struct {
	ID         Int
	TicketID   Int
	Name       string
	LastUpdate Time
	Raw        json.RawMessage
}

// decodeTestRow decodes a row with the tolerant decoders, as entities do: an id that is not a whole
// number, or a last_update that is not a time, is an error. It keys the row "id", or "ticket_id/id" when
// the row has a ticket_id.
func decodeTestRow(raw json.RawMessage) (testRow, string, error) {
	return decodeRow(raw, false)
}

// decodeTextIDRow is decodeTestRow for rows keyed by a text id (priorities' GUIDs).
func decodeTextIDRow(raw json.RawMessage) (testRow, string, error) {
	return decodeRow(raw, true)
}

func decodeRow(raw json.RawMessage, textID bool) (testRow, string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return testRow{}, "", err
	}
	r := testRow{Raw: append(json.RawMessage(nil), raw...)}
	key := strings.Trim(string(m["id"]), `"`)
	for name, into := range map[string]json.Unmarshaler{"ticket_id": &r.TicketID, "last_update": &r.LastUpdate, "id": &r.ID} {
		if name == "id" && textID {
			continue
		}
		if v, ok := m[name]; ok {
			if err := into.UnmarshalJSON(v); err != nil {
				return testRow{}, "", err
			}
		}
	}
	if !textID {
		key = itoa(int64(r.ID))
	}
	if v, ok := m["name"]; ok {
		if err := json.Unmarshal(v, &r.Name); err != nil {
			return testRow{}, "", err
		}
	}
	if r.TicketID != 0 {
		key = itoa(int64(r.TicketID)) + "/" + key
	}
	return r, key, nil
}

// The endpoints the tests walk, as internal/entity declares them.
var (
	clientsEP    = Endpoint{Path: "/api/Client", Keys: []string{"clients"}, Paged: true}
	sitesEP      = Endpoint{Path: "/api/Site", Keys: []string{"sites"}, Paged: true}
	usersEP      = Endpoint{Path: "/api/Users", Keys: []string{"users"}, Paged: true}
	ticketsEP    = Endpoint{Path: "/api/Tickets", Keys: []string{"tickets"}, Paged: true}
	actionsEP    = Endpoint{Path: "/api/Actions", Keys: []string{"actions"}, Paged: true, UnpagedWith: "ticket_id"}
	assetsEP     = Endpoint{Path: "/api/Asset", Keys: []string{"assets"}, Paged: true}
	contractsEP  = Endpoint{Path: "/api/ClientContract", Keys: []string{"contracts"}, Paged: true}
	agentsEP     = Endpoint{Path: "/api/Agent", Keys: []string{"results", "agents"}, Paged: true}
	statusesEP   = Endpoint{Path: "/api/Status", Keys: []string{"statuses", "status", "results"}, Paged: true}
	typesEP      = Endpoint{Path: "/api/TicketType", Keys: []string{"tickettypes", "tickettype", "ticket_types", "results"}, Paged: true}
	teamsEP      = Endpoint{Path: "/api/Team", Keys: []string{"teams", "team", "results"}, Paged: true}
	prioritiesEP = Endpoint{Path: "/api/Priority", Keys: []string{"priorities", "priority", "results"}, Paged: true}
)

// testList walks ep with decodeTestRow.
func testList(ctx context.Context, c *Client, ep Endpoint, opts *ListOptions) iter.Seq2[Page[testRow], error] {
	return List(ctx, c, ep, decodeTestRow, opts)
}

// getTicket GETs one ticket as a testRow.
func getTicket(ctx context.Context, c *Client, id int64) (testRow, error) {
	return Get(ctx, c, "/api/Tickets/"+itoa(id), nil, func(raw json.RawMessage) (testRow, error) {
		r, _, err := decodeTestRow(raw)
		return r, err
	})
}
