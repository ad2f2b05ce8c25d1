package halofake

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func fieldByID(t *testing.T, rec map[string]any, id float64) map[string]any {
	t.Helper()
	for _, v := range rec["customfields"].([]any) {
		if f := v.(map[string]any); f["id"] == id {
			return f
		}
	}
	require.Failf(t, "no custom field", "%v in %v", id, rec["customfields"])
	return nil
}

// Tickets carry custom fields in list rows only with include_custom_fields; assets only with
// includeassetfields=true; GET by id always. FieldInfo ids are the customfields ids.
func TestCustomFieldsIncludeParams(t *testing.T) {
	f := startFake(t, Options{})
	q := "/api/Tickets?pageinate=true&page_size=3"
	for _, r := range rows(t, f.get(t, q).json(t), "tickets") {
		require.NotContains(t, r, "customfields")
	}
	for _, r := range rows(t, f.get(t, q+"&include_custom_fields=165,174").json(t), "tickets") {
		cfs := r["customfields"].([]any)
		require.Len(t, cfs, 2)
		for _, k := range []string{"id", "name", "label", "type", "inputtype", "usage", "value", "display"} {
			require.Contains(t, cfs[0], k)
		}
	}
	aq := "/api/Asset?pageinate=true&page_size=3"
	require.NotContains(t, rows(t, f.get(t, aq).json(t), "assets")[0], "customfields")
	require.Contains(t, rows(t, f.get(t, aq+"&includeassetfields=true").json(t), "assets")[0], "customfields")

	defs := map[float64]bool{}
	for _, v := range f.get(t, "/api/FieldInfo").array(t) {
		defs[v.(map[string]any)["id"].(float64)] = true
	}
	for _, path := range []string{"/api/Tickets/1", "/api/Client/1", "/api/Site/1", "/api/Users/1", "/api/Asset/1",
		"/api/Item/1", "/api/KBArticle/1", "/api/Quotation/1", "/api/Invoice/1", "/api/Supplier/1"} {
		rec := f.get(t, path).json(t)
		cfs := rec["customfields"].([]any)
		require.NotEmpty(t, cfs, path)
		for _, v := range cfs {
			require.True(t, defs[v.(map[string]any)["id"].(float64)], path)
		}
	}
	// A single select: value = option id, display = its text; a date: ISO value, dd/MM/yyyy display.
	tk := f.get(t, "/api/Tickets/1").json(t)
	impact := fieldByID(t, tk, 165)
	require.IsType(t, float64(0), impact["value"])
	require.NotEmpty(t, impact["display"])
	date := fieldByID(t, tk, 174)
	d, err := time.Parse("2006-01-02T15:04:05", date["value"].(string))
	require.NoError(t, err)
	require.Equal(t, d.Format("02/01/2006"), date["display"])

	details := f.get(t, "/api/FieldInfo/165?getlookupvalues=true").json(t)
	require.Len(t, details["values"], 3)
	require.Equal(t, http.StatusBadRequest, f.post(t, "/api/FieldInfo", `[{"name":"CFnew"}]`).status)
}

// A POSTed customfields array ([{id, value}] or [{name, value}]) stores the values; Halo recomputes the
// display; other fields of the record stay.
func TestCustomFieldPostRoundTrip(t *testing.T) {
	f := startFake(t, Options{})
	before := f.get(t, "/api/Tickets/2").json(t)
	f.clock.Add(time.Minute)
	r := f.post(t, "/api/Tickets", `[{"id":2,"customfields":[{"id":165,"value":3},{"name":"CFChangeActualStartDateTime","value":"2026-03-04T10:00:00Z"}]}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	for _, rec := range []map[string]any{r.json(t), f.get(t, "/api/Tickets/2").json(t)} {
		require.EqualValues(t, 3, fieldByID(t, rec, 165)["value"])
		require.Equal(t, "Single User Affected", fieldByID(t, rec, 165)["display"])
		require.Equal(t, "2026-03-04T10:00:00", fieldByID(t, rec, 174)["value"])
		require.Equal(t, "04/03/2026", fieldByID(t, rec, 174)["display"])
		require.Equal(t, fieldByID(t, before, 166), fieldByID(t, rec, 166))
		require.Equal(t, before["summary"], rec["summary"])
	}
	require.Greater(t, f.get(t, "/api/Tickets/2").json(t)["last_update"], before["last_update"])
	listed := rows(t, f.get(t, "/api/Tickets?pageinate=true&page_size=5&include_custom_fields=165").json(t), "tickets")[1]
	require.EqualValues(t, 2, listed["id"])
	require.EqualValues(t, 3, fieldByID(t, listed, 165)["value"])
	require.NotContains(t, rows(t, f.get(t, "/api/Tickets?pageinate=true&page_size=5").json(t), "tickets")[1], "customfields")

	// Another area, and the hook.
	r = f.post(t, "/api/Client", `[{"id":1,"customfields":[{"name":"CFaccountReference","value":"ACME-7"}]}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.Equal(t, "ACME-7", fieldByID(t, f.get(t, "/api/Client/1").json(t), 302)["value"])
	f.SetCustomField("items", 1, 341, 2)
	it := fieldByID(t, f.get(t, "/api/Item/1").json(t), 341)
	require.EqualValues(t, 2, it["value"])
	require.Equal(t, "Software", it["display"])

	// A record created through the API starts with its fields unset.
	r = f.post(t, "/api/Tickets", `[{"summary":"fresh","customfields":[{"id":166,"value":1}]}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	created := r.json(t)
	require.EqualValues(t, 0, fieldByID(t, created, 165)["value"])
	require.Equal(t, "High", fieldByID(t, created, 166)["display"])
}
