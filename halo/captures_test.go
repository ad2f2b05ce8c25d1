package halo

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fixtures are real Halo replies (see ../testdata/halo-captures/README.md).

func readCapture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "halo-captures", name))
	require.NoError(t, err)
	return b
}

// The entities' fields are read from these captures in internal/entity; here, the transport.

func TestCapture_CreateTicketResponseAsPage(t *testing.T) {
	t.Parallel()
	body := readCapture(t, "create-ticket-response.json")
	// The POST reply through the paging decoder as a one-row envelope.
	env := []byte(`{"page_no":1,"page_size":100,"record_count":1,"tickets":[` + string(body) + `]}`)
	rows, rc, _, err := splitEnvelope(env, []string{"tickets"})
	require.NoError(t, err)
	require.Equal(t, 1, rc)
	page := Page[testRow]{}
	decodeRows(rows, decodeTestRow, newKeySet(), &page)
	require.Empty(t, page.Bad)
	require.Len(t, page.Rows, 1)
	require.Equal(t, Int(9499), page.Rows[0].ID)
	require.JSONEq(t, string(body), string(page.Rows[0].Raw))
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
	actions, pages := collect(t, testList(t.Context(), c, actionsEP, opts))
	require.Empty(t, actions)
	require.Len(t, pages, 1)
	require.Equal(t, 0, pages[0].RecordCount)
	require.Empty(t, pages[0].Bad)
}
