package converge

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestOverwroteUnseen: only a POST of the field, after Halo's edit, decided on a read made before it, is a
// write that could not know Halo's edit; a read after the edit, another field, or a POST before it is not.
func TestOverwroteUnseen(t *testing.T) {
	p := newProxy(nil, 1)
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	p.logRead(httptest.NewRequest("GET", "/api/ClientContract/4", nil), at(10))
	p.logWrites("/api/ClientContract", []byte(`[{"id":4,"ref":"ours"}]`), at(30))
	p.logRead(httptest.NewRequest("GET", "/api/Actions/2?ticket_id=3", nil), at(10))
	p.logRead(httptest.NewRequest("GET", "/api/Actions/2?ticket_id=3", nil), at(25))
	p.logWrites("/api/Actions", []byte(`[{"id":2,"ticket_id":3,"note":"ours"}]`), at(30))

	contract, action := strings.ToLower("/api/ClientContract 4"), "/api/actions 3/2"
	for _, c := range []struct {
		key, field string
		halo       int
		want       bool
	}{
		{contract, "ref", 20, true},   // read at 10, Halo at 20, our POST at 30
		{contract, "name", 20, false}, // the POST did not set it
		{contract, "ref", 5, false},   // Halo's edit before our read: the decision saw it
		{contract, "ref", 35, false},  // Halo's edit after our POST
		{action, "note", 20, false},   // read again at 25, after Halo's edit
		{action, "note", 5, false},
	} {
		if got := p.overwroteUnseen(c.key, c.field, at(c.halo)); got != c.want {
			t.Errorf("%s %s, Halo at %d ms: overwroteUnseen = %v, want %v", c.key, c.field, c.halo, got, c.want)
		}
	}
}
