package halofake

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCorrelationFieldRoundTrip: like Halo, the fake keeps third_party_id_string (a property of both the
// Faults and Faults_List schemas) on a create and returns it in the reply, GET by id and the list filtered
// by lastupdatefromdate, which is how a push finds a ticket it created before a crash.
func TestCorrelationFieldRoundTrip(t *testing.T) {
	f := startFake(t, Options{})
	from := f.clock.Now().Add(-time.Minute)
	r := f.post(t, "/api/Tickets", `[{"summary":"made by halosync","third_party_id_string":"halosync:7:abc"}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	saved := r.json(t)
	require.Equal(t, "halosync:7:abc", saved["third_party_id_string"])
	id := int64(saved["id"].(float64))

	got := f.get(t, "/api/Tickets/"+strconv.FormatInt(id, 10)).json(t)
	require.Equal(t, "halosync:7:abc", got["third_party_id_string"])

	list := f.get(t, "/api/Tickets?pageinate=true&page_size=100&page_no=1&lastupdatefromdate="+from.UTC().Format("2006-01-02T15:04:05.000Z")).json(t)
	var found bool
	for _, row := range rows(t, list, "tickets") {
		if row["third_party_id_string"] == "halosync:7:abc" {
			found = true
			require.EqualValues(t, id, row["id"])
		}
	}
	require.True(t, found, "the list row carries third_party_id_string")
}

// TestPostDropsFieldsOutsideSchema: Halo binds a POST to the record's schema and silently drops the rest —
// thirdpartynumber is not a ticket property (only an invoice one), so a ticket create loses it.
func TestPostDropsFieldsOutsideSchema(t *testing.T) {
	f := startFake(t, Options{})
	r := f.post(t, "/api/Tickets", `[{"summary":"made by halosync","thirdpartynumber":"halosync:7:abc","made_up_key":"x"}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	saved := r.json(t)
	require.NotEqual(t, "halosync:7:abc", saved["thirdpartynumber"])
	require.NotContains(t, saved, "made_up_key")
	require.Equal(t, "made by halosync", saved["summary"])

	r = f.post(t, "/api/Client", `[{"name":"Acme","third_party_id_string":"x"}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.NotContains(t, r.json(t), "third_party_id_string", "Area (clients) has no such property")
}
