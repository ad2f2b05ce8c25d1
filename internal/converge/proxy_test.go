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
	p.logRead(p.reads, httptest.NewRequest("GET", "/api/ClientContract/4", nil), at(10))
	p.logWrites("/api/ClientContract", []byte(`[{"id":4,"ref":"ours"}]`), at(30))
	p.logRead(p.reads, httptest.NewRequest("GET", "/api/Actions/2?ticket_id=3", nil), at(10))
	p.logRead(p.reads, httptest.NewRequest("GET", "/api/Actions/2?ticket_id=3", nil), at(25))
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

// TestBeforeActionWrite: only Halo's ticket edit after the read answered just before our action write, and
// before that write arrived, is one halosync cannot place around its own write; one before that read, one
// after the write, or one when no action of the ticket was written is not.
func TestBeforeActionWrite(t *testing.T) {
	p := newProxy(nil, 1)
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	p.logRead(p.readsDone, httptest.NewRequest("GET", "/api/Tickets/3?includedetails=true", nil), at(10))
	p.logActionWrite(httptest.NewRequest("DELETE", "/api/Actions/2?ticket_id=3", nil), nil, at(30))
	p.logRead(p.readsDone, httptest.NewRequest("GET", "/api/Tickets/3", nil), at(40))
	p.logRead(p.readsDone, httptest.NewRequest("GET", "/api/Tickets/5", nil), at(50))
	p.logActionWrite(httptest.NewRequest("POST", "/api/Actions", nil), []byte(`[{"ticket_id":5,"note":"x"}]`), at(60))
	p.logRead(p.readsDone, httptest.NewRequest("GET", "/api/Tickets/7", nil), at(10))

	for _, c := range []struct {
		ticket string
		halo   int
		want   bool
	}{
		{"/api/tickets 3", 20, true},  // read answered at 10, Halo at 20, our DELETE at 30
		{"/api/tickets 3", 5, false},  // before the read: it saw the edit
		{"/api/tickets 3", 35, false}, // after our write: the ticket's time is Halo's
		{"/api/tickets 5", 55, true},  // a POST of an action
		{"/api/tickets 5", 45, false},
		{"/api/tickets 7", 20, false}, // no action write
	} {
		if got := p.beforeActionWrite(c.ticket, at(c.halo)); got != c.want {
			t.Errorf("%s, Halo at %d ms: beforeActionWrite = %v, want %v", c.ticket, c.halo, got, c.want)
		}
	}
}
