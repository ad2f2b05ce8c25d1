package halo

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// lyingHandler serves n rows under key, 100 a page with page_size echoed, but
// claims record_count = count whatever the truth.
func lyingHandler(t *testing.T, key string, n, count int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pageNo, _ := strconv.Atoi(r.URL.Query().Get("page_no"))
		rows := []map[string]any{}
		for i := (pageNo - 1) * 100; i < pageNo*100 && i < n; i++ {
			rows = append(rows, map[string]any{"id": i + 1})
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"page_no": pageNo, "page_size": 100, "record_count": count, key: rows})
	}
}

// A record_count lower than the truth (60 %) must not end the walk: a
// reconcile after it would tombstone the other 40 % (issue 14).
func TestList_LowRecordCountIsAHint(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, lyingHandler(t, "sites", 250, 150))
	c := newTestClient(t, s)
	rows, pages := collect(t, testList(t.Context(), c, sitesEP, nil))
	require.Len(t, rows, 250)
	end := pages[len(pages)-1].End
	require.NotNil(t, end)
	require.Equal(t, "short page", end.Reason)
	require.False(t, end.Fewer())
	require.Equal(t, 250, end.Rows)
	require.Contains(t, end.Anomaly, "record_count said 150 but the walk listed 250 rows")
	require.Equal(t, int64(3), c.Requests())
}

// A record_count higher than the truth ends on the first empty page, and the
// walk says it listed fewer rows than announced.
func TestList_HighRecordCountEndsOnEmptyPage(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, lyingHandler(t, "clients", 120, 500))
	c := newTestClient(t, s)
	rows, pages := collect(t, testList(t.Context(), c, clientsEP, nil))
	require.Len(t, rows, 120)
	end := pages[len(pages)-1].End
	require.NotNil(t, end)
	require.Equal(t, "empty page", end.Reason)
	require.True(t, end.Fewer())
	require.Contains(t, end.Anomaly, "record_count said 500 but the walk listed 120 rows")
	require.Equal(t, int64(3), c.Requests(), "one page past the short one confirms the end")
}

// A full page that reaches record_count is not the end: the count may be low.
func TestList_FullLastPageIsConfirmed(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, lyingHandler(t, "tickets", 200, 200))
	c := newTestClient(t, s)
	rows, pages := collect(t, testList(t.Context(), c, ticketsEP, nil))
	require.Len(t, rows, 200)
	end := pages[len(pages)-1].End
	require.Equal(t, "empty page", end.Reason)
	require.Empty(t, end.Anomaly)
	require.Equal(t, int64(3), c.Requests())
}

// Only a walk that reached its end carries End.
func TestList_EndOnlyWhenComplete(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, lyingHandler(t, "tickets", 500, 500))
	c := newTestClient(t, s)
	for p, err := range testList(t.Context(), c, ticketsEP, nil) {
		require.NoError(t, err)
		require.Nil(t, p.End)
		break
	}
}

// Issue 21: the agent list without paging parameters is one default page of
// 50; the walk sends them, reads "results", and walks to the end.
func TestAgents_WalkedToTheEnd(t *testing.T) {
	t.Parallel()
	const agents = 150
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		size, no := 50, 1
		paged := q.Get("pageinate") == "true"
		if paged {
			size, _ = strconv.Atoi(q.Get("page_size"))
			no, _ = strconv.Atoi(q.Get("page_no"))
		}
		rows := []map[string]any{}
		for i := (no - 1) * size; i < no*size && i < agents; i++ {
			rows = append(rows, map[string]any{"id": i + 1, "name": fmt.Sprintf("Agent %d", i+1)})
		}
		if !paged {
			writeJSON(t, w, http.StatusOK, rows)
			return
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"record_count": agents, "results": rows})
	})
	c := newTestClient(t, s)
	rows, pages := collect(t, testList(t.Context(), c, agentsEP, nil))
	require.Len(t, rows, agents)
	require.Empty(t, pages[len(pages)-1].End.Anomaly)
}

// Live /Agent ignores page_size and answers every agent on every page: the
// repeated page ends the walk.
func TestAgents_PageSizeIgnored(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		rows := []map[string]any{}
		for i := range 130 {
			rows = append(rows, map[string]any{"id": i + 1})
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"results": rows})
	})
	c := newTestClient(t, s)
	rows, _ := collect(t, testList(t.Context(), c, agentsEP, nil))
	require.Len(t, rows, 130)
	require.Equal(t, int64(2), c.Requests())
}
