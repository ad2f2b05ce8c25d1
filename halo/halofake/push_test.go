package halofake

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestThirdPartyNumberRoundTrip: like Halo, the fake stores the thirdpartynumber a create carries and
// returns it in the reply, GET by id and the list filtered by lastupdatefromdate, which is how a push finds
// a ticket it created before a crash.
func TestThirdPartyNumberRoundTrip(t *testing.T) {
	f := startFake(t, Options{})
	from := f.clock.Now().Add(-time.Minute)
	r := f.post(t, "/api/Tickets", `[{"summary":"made by halosync","thirdpartynumber":"halosync:7:abc"}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	saved := r.json(t)
	require.Equal(t, "halosync:7:abc", saved["thirdpartynumber"])
	id := int64(saved["id"].(float64))

	got := f.get(t, "/api/Tickets/"+strconv.FormatInt(id, 10)).json(t)
	require.Equal(t, "halosync:7:abc", got["thirdpartynumber"])

	list := f.get(t, "/api/Tickets?pageinate=true&page_size=100&page_no=1&lastupdatefromdate="+from.UTC().Format("2006-01-02T15:04:05.000Z")).json(t)
	var found bool
	for _, row := range rows(t, list, "tickets") {
		if row["thirdpartynumber"] == "halosync:7:abc" {
			found = true
			require.EqualValues(t, id, row["id"])
		}
	}
	require.True(t, found, "the list row carries thirdpartynumber")
}
