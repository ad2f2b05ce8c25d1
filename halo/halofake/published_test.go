package halofake

import (
	"strings"
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

// PublishedListRows cuts the new areas' list rows to their published list schemas: every row keeps its
// id, and the keys the swagger lacks go (Appointment_List has no last_modified, Item no inactive).
func TestPublishedListRowsNewAreas(t *testing.T) {
	f := startFake(t, Options{PublishedListRows: true, AttachmentsUnscoped: true})
	for path, key := range map[string]string{"/api/Appointment": "appointments", "/api/Invoice?pageinate=true": "invoices",
		"/api/Item?pageinate=true&includeinactive=true": "items", "/api/Quotation?pageinate=true": "quotes",
		"/api/Supplier?pageinate=true": "suppliers", "/api/KBArticle": "articles", "/api/TopLevel": "tree",
		"/api/Attachment": "attachments", "/api/TimesheetEvent": "", "/api/Organisation": "", "/api/SLA": "",
		"/api/Category": "", "/api/Outcome": "", "/api/FieldInfo": ""} {
		var rs []map[string]any
		if key == "" {
			for _, v := range f.get(t, path).array(t) {
				rs = append(rs, v.(map[string]any))
			}
		} else {
			rs = rows(t, f.get(t, path).json(t), key)
		}
		require.NotEmpty(t, rs, path)
		for _, r := range rs {
			require.Contains(t, r, "id", path)
			for k := range r {
				api := strings.ToLower(strings.TrimPrefix(strings.SplitN(path, "?", 2)[0], "/api/"))
				require.True(t, listSchemaFields[api][strings.ToLower(k)], "%s: %s is not in the published list schema", path, k)
			}
		}
	}
	require.NotContains(t, rows(t, f.get(t, "/api/Appointment").json(t), "appointments")[0], "last_modified")
	require.NotContains(t, rows(t, f.get(t, "/api/Item?pageinate=true").json(t), "items")[0], "inactive")
	require.Contains(t, f.get(t, "/api/Item/1").json(t), "inactive")
}
