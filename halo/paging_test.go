package halo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// pagedHandler serves n rows under key with Halo's envelope, capping page_size at
// capSize (and echoing the effective size), like /api/Tickets (100) or /api/Asset (50).
func pagedHandler(t *testing.T, key string, n, capSize int, row func(i int) any, queries *[]url.Values, mu *sync.Mutex) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if queries != nil {
			mu.Lock()
			*queries = append(*queries, q)
			mu.Unlock()
		}
		size, _ := strconv.Atoi(q.Get("page_size"))
		pageNo, _ := strconv.Atoi(q.Get("page_no"))
		if size <= 0 || size > capSize {
			size = capSize
		}
		if pageNo < 1 {
			pageNo = 1
		}
		var rows []any
		for i := (pageNo - 1) * size; i < pageNo*size && i < n; i++ {
			rows = append(rows, row(i))
		}
		if rows == nil {
			rows = []any{}
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"page_no": pageNo, "page_size": size, "record_count": n, key: rows})
	}
}

func TestTickets_PageCap(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var queries []url.Values
	s := newTestServer(t, pagedHandler(t, "tickets", 717, 100, func(i int) any {
		return map[string]any{"id": i + 1, "summary": fmt.Sprintf("t%d", i+1), "last_update": "2025-01-01T00:00:00Z"}
	}, &queries, &mu))
	c := newTestClient(t, s)

	rows, pages := collect(t, testList(t.Context(), c, ticketsEP, &ListOptions{PageSize: 1000}))
	require.Len(t, rows, 717)
	require.Len(t, pages, 8)
	require.Equal(t, int64(8), c.Requests())
	seen := map[Int]bool{}
	for _, r := range rows {
		require.False(t, seen[r.ID])
		seen[r.ID] = true
	}
	require.Len(t, seen, 717)
	for i, q := range queries {
		require.Equal(t, "100", q.Get("page_size"), "never ask for more than the cap")
		require.Equal(t, strconv.Itoa(i+1), q.Get("page_no"))
	}
	require.Equal(t, 717, pages[0].RecordCount)
	require.Equal(t, int64(1), s.tokenRequests.Load(), "token reused across pages")
}

func TestAssets_FixedPageOf50(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var queries []url.Values
	// The server ignores page_size=100 and always serves 50.
	h := func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Set("page_size", "50")
		r.URL.RawQuery = q.Encode()
		pagedHandler(t, "assets", 123, 50, func(i int) any {
			return map[string]any{"id": i + 1, "inventory_number": fmt.Sprintf("A%d", i+1)}
		}, &queries, &mu)(w, r)
	}
	s := newTestServer(t, h)
	c := newTestClient(t, s)

	rows, pages := collect(t, testList(t.Context(), c, assetsEP, nil))
	require.Len(t, rows, 123)
	require.Len(t, pages, 3)
	require.Len(t, pages[0].Rows, 50, "a page shorter than asked is not the end")
	require.Equal(t, int64(3), c.Requests())
}

func TestList_NeverStopsOnShortPage(t *testing.T) {
	t.Parallel()
	// Page sizes 100, 37, 100, 13 with record_count 250: short pages mid-walk.
	sizes := []int{100, 37, 100, 13}
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		pageNo, _ := strconv.Atoi(r.URL.Query().Get("page_no"))
		start := 0
		for i := 0; i < pageNo-1 && i < len(sizes); i++ {
			start += sizes[i]
		}
		var rows []map[string]any
		if pageNo <= len(sizes) {
			for i := range sizes[pageNo-1] {
				rows = append(rows, map[string]any{"id": start + i + 1})
			}
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"record_count": 250, "clients": rows})
	})
	c := newTestClient(t, s)
	rows, _ := collect(t, testList(t.Context(), c, clientsEP, nil))
	require.Len(t, rows, 250)
	require.Equal(t, int64(4), c.Requests())
}

func TestList_RepeatedPageStops(t *testing.T) {
	t.Parallel()
	// The server ignores page_no: every page is page 1, record_count says more exist.
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		var rows []map[string]any
		for i := range 100 {
			rows = append(rows, map[string]any{"id": i + 1})
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"record_count": 250, "sites": rows})
	})
	c := newTestClient(t, s)
	rows, pages := collect(t, testList(t.Context(), c, sitesEP, nil))
	require.Len(t, rows, 100)
	require.Len(t, pages, 2)
	require.Empty(t, pages[1].Rows, "the repeated page brings nothing new")
	require.Equal(t, "repeated page", pages[1].End.Reason)
	require.True(t, pages[1].End.Fewer(), "100 rows of 250 announced")
	require.Equal(t, int64(2), c.Requests(), "stops at the first repeated page")
}

func TestList_Dedupe(t *testing.T) {
	t.Parallel()
	// Live data shifted: page 2 repeats the last 10 rows of page 1.
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		pageNo, _ := strconv.Atoi(r.URL.Query().Get("page_no"))
		var rows []map[string]any
		switch pageNo {
		case 1:
			for i := 1; i <= 100; i++ {
				rows = append(rows, map[string]any{"id": i})
			}
		case 2:
			for i := 91; i <= 150; i++ {
				rows = append(rows, map[string]any{"id": i})
			}
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"record_count": 150, "tickets": rows})
	})
	c := newTestClient(t, s)
	rows, pages := collect(t, testList(t.Context(), c, ticketsEP, nil))
	require.Len(t, rows, 150)
	require.Len(t, pages[1].Rows, 50)
	require.Equal(t, int64(2), c.Requests())
}

func TestActions_DedupeByTicketAndID(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		require.Empty(t, r.URL.Query().Get("ticket_id"))
		require.Equal(t, "true", r.URL.Query().Get("pageinate"))
		writeJSON(t, w, http.StatusOK, map[string]any{"record_count": 4, "actions": []map[string]any{
			{"ticket_id": 1, "id": 1}, {"ticket_id": 2, "id": 1}, {"ticket_id": 2, "id": 2}, {"ticket_id": 3.0, "id": "1"},
		}})
	})
	c := newTestClient(t, s)
	rows, _ := collect(t, testList(t.Context(), c, actionsEP, nil))
	require.Len(t, rows, 4, "action ids repeat across tickets")
}

func TestList_BadRow(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"record_count":4,"tickets":[
			{"id":1,"summary":"ok"},
			{"id":"not-a-number","summary":"bad"},
			{"id":3,"summary":"ok","dateoccurred":"1900-01-01T00:00:00"},
			{"id":4,"summary":"also ok","last_update":"2024-02-30T99:00:00"}]}`))
	})
	c := newTestClient(t, s)
	var rows []testRow
	var bad []BadRow
	for p, err := range testList(t.Context(), c, ticketsEP, nil) {
		require.NoError(t, err)
		rows = append(rows, p.Rows...)
		bad = append(bad, p.Bad...)
	}
	require.Len(t, rows, 2)
	require.Equal(t, Int(1), rows[0].ID)
	require.Equal(t, Int(3), rows[1].ID)
	require.Len(t, bad, 2)
	require.Contains(t, string(bad[0].Raw), "not-a-number")
	require.Error(t, bad[0].Err)
	require.Contains(t, string(bad[1].Raw), "2024-02-30")
	require.Equal(t, int64(1), c.Requests(), "bad rows count towards record_count")
}

func TestList_QueryParameters(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []url.Values
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Query())
		mu.Unlock()
		require.Equal(t, "/api/Tickets", r.URL.Path)
		_, _ = w.Write([]byte(`{"record_count":1,"tickets":[{"id":1}]}`))
	})
	c := newTestClient(t, s)
	params := url.Values{
		"lastupdatefromdate": {"2025-03-01T12:00:00.000Z"},
		"includeinactive":    {"true"},
		"order":              {"id"},
		"status":             {"1,2"},
		"page_no":            {"99"}, // the client owns paging parameters
	}
	collect(t, testList(t.Context(), c, ticketsEP, &ListOptions{Params: params, PageSize: 25}))
	require.Len(t, got, 1)
	require.Equal(t, url.Values{
		"pageinate":          {"true"},
		"page_size":          {"25"},
		"page_no":            {"1"},
		"lastupdatefromdate": {"2025-03-01T12:00:00.000Z"},
		"includeinactive":    {"true"},
		"order":              {"id"},
		"status":             {"1,2"},
	}, got[0])
	require.Equal(t, []string{"99"}, params["page_no"], "caller's values are not modified")
}

func TestList_Unpaged(t *testing.T) {
	t.Parallel()

	t.Run("AgentBareArray", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`[{"id":1,"name":"Unassigned"},{"id":2.0,"name":"Ann","isdisabled":"false"}]`))
		})
		c := newTestClient(t, s)
		rows, pages := collect(t, testList(t.Context(), c, agentsEP, nil))
		require.Len(t, rows, 2)
		require.Equal(t, -1, pages[0].RecordCount)
	})

	t.Run("AgentResults", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"record_count":2,"results":[{"id":1},{"id":2}]}`))
		})
		c := newTestClient(t, s)
		rows, _ := collect(t, testList(t.Context(), c, agentsEP, nil))
		require.Len(t, rows, 2)
	})

	t.Run("LookupsBareOrEnvelope", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			switch strings.ToLower(r.URL.Path) {
			case "/api/status":
				_, _ = w.Write([]byte(`[{"id":1,"name":"New","type":0},{"id":9,"name":"Closed","type":"0"}]`))
			case "/api/tickettype":
				_, _ = w.Write([]byte(`{"tickettypes":[{"id":36,"name":"Incident","use":"1"}]}`))
			case "/api/team":
				_, _ = w.Write([]byte(`[{"id":26,"name":"1st Line Support","inactive":false}]`))
			case "/api/priority":
				_, _ = w.Write([]byte(`[{"id":"a-guid","priorityid":1,"slaid":1},{"id":"b-guid","priorityid":1,"slaid":2}]`))
			}
		})
		c := newTestClient(t, s)
		st, _ := collect(t, testList(t.Context(), c, statusesEP, nil))
		require.Len(t, st, 2)
		tt, _ := collect(t, testList(t.Context(), c, typesEP, nil))
		require.Len(t, tt, 1)
		tm, _ := collect(t, testList(t.Context(), c, teamsEP, nil))
		require.Len(t, tm, 1)
		pr, _ := collect(t, List(t.Context(), c, prioritiesEP, decodeTextIDRow, nil))
		require.Len(t, pr, 2)
		require.Equal(t, int64(4), c.Requests())
	})

	t.Run("ActionsPerTicket", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, url.Values{"ticket_id": {"7"}}, r.URL.Query(), "with ticket_id: one unpaged request")
			_, _ = w.Write([]byte(`{"record_count":2,"actions":[{"ticket_id":7,"id":2},{"ticket_id":7,"id":1}]}`))
		})
		c := newTestClient(t, s)
		rows, _ := collect(t, testList(t.Context(), c, actionsEP, &ListOptions{Params: url.Values{"ticket_id": {"7"}}}))
		require.Len(t, rows, 2)
	})
}

func TestList_Envelopes(t *testing.T) {
	t.Parallel()

	t.Run("SidecarArrays", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"record_count":1,"folders":[{"id":99},{"id":98}],"Client_View":{"x":[1]},"clients":[{"id":5,"name":"Acme"}]}`))
		})
		c := newTestClient(t, s)
		rows, _ := collect(t, testList(t.Context(), c, clientsEP, nil))
		require.Len(t, rows, 1)
		require.Equal(t, "Acme", rows[0].Name)
	})

	t.Run("MissingKeyIsAnError", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"record_count":3,"folders":[{"id":1}]}`))
		})
		c := newTestClient(t, s)
		var gotErr error
		for _, err := range testList(t.Context(), c, clientsEP, nil) {
			gotErr = err
		}
		require.ErrorContains(t, gotErr, `no "clients" array`)
	})

	t.Run("EmptyTable", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"page_no":1,"page_size":100,"record_count":0,"contracts":[]}`))
		})
		c := newTestClient(t, s)
		rows, pages := collect(t, testList(t.Context(), c, contractsEP, nil))
		require.Empty(t, rows)
		require.Len(t, pages, 1)
		require.Equal(t, 0, pages[0].RecordCount)
	})

	t.Run("StopEarly", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, pagedHandler(t, "tickets", 500, 100, func(i int) any { return map[string]any{"id": i + 1} }, nil, nil))
		c := newTestClient(t, s)
		for p, err := range testList(t.Context(), c, ticketsEP, nil) {
			require.NoError(t, err)
			require.Len(t, p.Rows, 100)
			break
		}
		require.Equal(t, int64(1), c.Requests())
	})
}

func TestList_ErrorEndsWalk(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page_no") == "2" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		b, _ := json.Marshal(map[string]any{"record_count": 200, "users": []map[string]any{{"id": 1}}})
		_, _ = w.Write(b)
	})
	c := newTestClient(t, s)
	var pages int
	var gotErr error
	for _, err := range testList(t.Context(), c, usersEP, nil) {
		if err != nil {
			gotErr = err
			break
		}
		pages++
	}
	require.Equal(t, 1, pages)
	var se *ServerError
	require.ErrorAs(t, gotErr, &se)
	require.Equal(t, 500, se.StatusCode())
	require.True(t, isTransient(gotErr))
}
