package halofake

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// PublishedListRows serves list rows as Halo's published list schemas have
// them; GET by id keeps the full record.
func TestPublishedListRows(t *testing.T) {
	f := startFake(t, Options{PublishedListRows: true})
	for path, key := range map[string]string{"/api/Site": "sites", "/api/Asset": "assets", "/api/Tickets": "tickets"} {
		row := rows(t, f.get(t, path+"?pageinate=true&page_size=1").json(t), key)[0]
		for _, k := range unpublishedListFields[map[string]string{"sites": "site", "assets": "asset", "tickets": "tickets"}[key]] {
			require.NotContains(t, row, k, path)
		}
	}
	require.Contains(t, f.get(t, "/api/Site/1").json(t), "slastupdate")
	require.Contains(t, f.get(t, "/api/Tickets/1").json(t), "deleted")
	agent := rows(t, f.get(t, "/api/Agent?pageinate=true&page_size=5&page_no=1").json(t), "results")[0]
	require.NotContains(t, agent, "last_modified")
	act := rows(t, f.get(t, "/api/Actions?ticket_id=1&includehtmlnote=true").json(t), "actions")[0]
	require.NotContains(t, act, "who")
	require.Contains(t, act, "note_html")
}

// The RecordCount fault makes a list lie about its total, nothing else.
func TestRecordCountFault(t *testing.T) {
	f := startFake(t, Options{})
	m := f.get(t, "/api/Site?pageinate=true&page_size=100").json(t)
	truth := m["record_count"].(float64)
	f.SetFault(Faults{RecordCount: map[string]float64{"sites": 0.5}})
	m = f.get(t, "/api/Site?pageinate=true&page_size=100").json(t)
	require.InDelta(t, truth*0.5, m["record_count"].(float64), 1)
	require.Len(t, rows(t, m, "sites"), min(int(truth), 100))
}
