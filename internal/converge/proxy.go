package converge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/halosync/halosync/halo/halofake"
)

// pinClock is the fake Halo's clock: real time, except while a BothEdit pins it to the instant its Halo
// edit must carry (so that a tie with the local edit is exact). Like Halo's own clock it never runs
// backwards: a record's last-modified time only grows, which the mirror relies on (store.Upsert keeps the
// copy with the later halo_updated_at, so that a page read before a newer copy was stored cannot undo it).
// A pin ahead of real time (Halo's edit 300 ms after the local one) holds the clock there until real time
// catches up, and a pin must not go back before any time the clock gave: before pinning, a BothEdit waits
// until its instant is past (waitPinnable).
type pinClock struct {
	pinned atomic.Int64 // UnixNano; 0: not pinned
	high   atomic.Int64 // UnixNano: the latest time the clock gave
}

func (c *pinClock) now() time.Time {
	if n := c.pinned.Load(); n != 0 {
		return time.Unix(0, n)
	}
	for {
		t, h := time.Now().UnixNano(), c.high.Load()
		if t <= h {
			return time.Unix(0, h)
		}
		if c.high.CompareAndSwap(h, t) {
			return time.Unix(0, t)
		}
	}
}

// pinMargin is how far past every time the clock gave waitPinnable puts a pinned instant. The worker's
// requests between waitPinnable and the pin still read real time and may pass the instant: only one that
// writes the BothEdit's own record in those few milliseconds would see that record's time step back.
const pinMargin = 5 * time.Millisecond

// waitPinnable sleeps until time.Now()+delta is pinMargin past every time the clock gave, so that pinning
// the local edit's time (a transaction started after this returns) plus delta keeps the clock running
// forward. It waits for how far the clock ran ahead of real time, plus -delta if negative, plus pinMargin.
func (c *pinClock) waitPinnable(delta time.Duration) {
	if wait := time.Unix(0, c.high.Load()).Add(pinMargin).Sub(time.Now().Add(delta)); wait > 0 {
		time.Sleep(wait)
	}
}

// pin sets the clock to t until unpin; the clock's high mark moves to t if t is later.
func (c *pinClock) pin(t time.Time) {
	for {
		h := c.high.Load()
		if t.UnixNano() <= h || c.high.CompareAndSwap(h, t.UnixNano()) {
			break
		}
	}
	c.pinned.Store(t.UnixNano())
}

func (c *pinClock) unpin() { c.pinned.Store(0) }

// proxy stands between halosync and the fake Halo. It injects the faults the fake has no switch for (429
// storms, answers after the client's timeout), counts the creates halosync POSTs, and drops the Date header.
//
// Why the Date header goes: the pusher corrects Halo's modification times by the clock offset it measures
// from Date, which has whole-second resolution, so with it a local edit up to a second after a Halo edit may
// lose. The fake's clock is ours (the offset is truly zero), and without a Date header the pusher keeps
// offset zero: "the later side wins, ties go to Halo" can then be checked exactly, ties included.
type proxy struct {
	fake *halofake.Server
	ts   *httptest.Server

	mu      gosync.Mutex
	r       *rand.Rand
	share   float64 // of /api requests faulted
	fault   FaultKind
	creates map[string]int // marker value → successful create POSTs carrying it
	posts   int            // POSTs to /api (any outcome)
	// reads and writes log, per record ("/api/clientcontract 4", "/api/actions 3/2"), when halosync read
	// it by id and when it POSTed an update of it, with the fields the POST set (overwritten).
	reads     map[string][]time.Time
	overwrote map[string][]fieldsAt
	// readsDone logs when each read by id was answered; actionWrites, per ticket ("/api/tickets 3"), when
	// halosync wrote one of its actions (a POST or a DELETE arrived).
	readsDone    map[string][]time.Time
	actionWrites map[string][]time.Time
}

type fieldsAt struct {
	at     time.Time
	fields map[string]bool
}

func newProxy(fake *halofake.Server, seed uint64) *proxy {
	return &proxy{fake: fake, r: rand.New(rand.NewPCG(seed, 0x70726f7879)), creates: map[string]int{},
		reads: map[string][]time.Time{}, overwrote: map[string][]fieldsAt{},
		readsDone: map[string][]time.Time{}, actionWrites: map[string][]time.Time{}}
}

func (p *proxy) start() string {
	p.ts = httptest.NewServer(p)
	return p.ts.URL
}

func (p *proxy) close() {
	if p.ts != nil {
		p.ts.Close()
	}
}

func (p *proxy) setFault(f FaultKind, share float64) {
	p.mu.Lock()
	p.fault, p.share = f, share
	p.mu.Unlock()
}

func (p *proxy) heal() { p.setFault(0, 0) }

// postCount returns how many POSTs to /api the proxy saw.
func (p *proxy) postCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.posts
}

// createCount returns how many successful create POSTs carried marker.
func (p *proxy) createCount(marker string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.creates[marker]
}

// noDate hides the fake's Date header (and stops net/http from adding one).
type noDate struct {
	http.ResponseWriter
	wrote  bool
	status int
}

func (w *noDate) WriteHeader(code int) {
	if !w.wrote {
		w.wrote, w.status = true, code
		w.Header()["Date"] = nil
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *noDate) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api := strings.HasPrefix(strings.ToLower(r.URL.Path), "/api/")
	p.mu.Lock()
	faulted := api && p.share > 0 && p.r.Float64() < p.share
	fault := p.fault
	if api && r.Method == http.MethodPost {
		p.posts++
	}
	p.mu.Unlock()
	if faulted && fault == Fault429 {
		w.Header()["Date"] = nil
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":"Rate Limit Reached - 500 Requests per rolling 5 minute window"}`))
		return
	}
	var markers []string
	var body []byte
	now := time.Now()
	if api && r.Method == http.MethodPost {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		markers = createMarkers(body)
		p.logWrites(r.URL.Path, body, now)
	}
	if api && r.Method == http.MethodGet {
		p.logRead(p.reads, r, now)
	}
	if api && (r.Method == http.MethodPost || r.Method == http.MethodDelete) {
		p.logActionWrite(r, body, now)
	}
	nd := &noDate{ResponseWriter: w}
	p.fake.ServeHTTP(nd, r)
	if api && r.Method == http.MethodGet {
		p.logRead(p.readsDone, r, time.Now())
	}
	if len(markers) > 0 && nd.status >= 200 && nd.status < 300 {
		p.mu.Lock()
		for _, m := range markers {
			p.creates[m]++
		}
		p.mu.Unlock()
	}
	if faulted && fault == FaultTimeout {
		// Halo did the work but the answer comes too late: the client has given up (a POST's fate is unknown).
		select {
		case <-time.After(clientTimeout + 50*time.Millisecond):
		case <-r.Context().Done():
		}
	}
}

// createMarkers returns the marker values (see markerFields) of the records a POST creates (elements
// without an id).
func createMarkers(body []byte) []string {
	var els []map[string]any
	if json.Unmarshal(body, &els) != nil {
		return nil
	}
	var out []string
	for _, el := range els {
		if id, ok := el["id"]; ok {
			if n, ok := id.(float64); ok && n > 0 {
				continue
			}
		}
		for _, f := range markerFields {
			if s, ok := el[f].(string); ok && s != "" {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// markerFields carry the unique value each LocalInsert gives its row.
var markerFields = []string{"summary", "name", "note"}

// logRead notes in log a GET of one record by id (/api/Client/4; an action's ticket from its ticket_id).
func (p *proxy) logRead(log map[string][]time.Time, r *http.Request, at time.Time) {
	base, id, ok := strings.Cut(strings.TrimPrefix(strings.ToLower(r.URL.Path), "/api/"), "/")
	if !ok || id == "" {
		return
	}
	key := "/api/" + base + " " + id
	if t := r.URL.Query().Get("ticket_id"); t != "" {
		key = "/api/" + base + " " + t + "/" + id
	}
	p.mu.Lock()
	log[key] = append(log[key], at)
	p.mu.Unlock()
}

// logActionWrite notes a write of an action (a POST of actions, body's ticket_id; a DELETE, its ticket_id
// parameter) under its ticket.
func (p *proxy) logActionWrite(r *http.Request, body []byte, at time.Time) {
	path := strings.ToLower(r.URL.Path)
	var tickets []int64
	switch {
	case r.Method == http.MethodPost && path == "/api/actions":
		var els []struct {
			TicketID int64 `json:"ticket_id"`
		}
		if json.Unmarshal(body, &els) != nil {
			return
		}
		for _, el := range els {
			tickets = append(tickets, el.TicketID)
		}
	case r.Method == http.MethodDelete && strings.HasPrefix(path, "/api/actions/"):
		if t, err := strconv.ParseInt(r.URL.Query().Get("ticket_id"), 10, 64); err == nil {
			tickets = append(tickets, t)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range tickets {
		key := fmt.Sprintf("/api/tickets %d", t)
		p.actionWrites[key] = append(p.actionWrites[key], at)
	}
}

// beforeActionWrite reports whether Halo's edit of ticket (key as logRead makes it) written at "at" landed
// between one of halosync's writes of the ticket's actions and the read of the ticket it made just before:
// after that read was answered (so it did not see the edit) and before the write arrived. Such a write
// moves the ticket's last_update past the edit's, and halosync cannot tell whether the edit it sees after
// came before or after its own write (sync.afterActionWrite): Halo wins in doubt there, whatever the
// edit's time.
func (p *proxy) beforeActionWrite(ticket string, at time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.actionWrites[ticket] {
		var read time.Time // the last read answered before the write
		for _, r := range p.readsDone[ticket] {
			if r.Before(w) && r.After(read) {
				read = r
			}
		}
		if !read.IsZero() && read.Before(at) && at.Before(w) {
			return true
		}
	}
	return false
}

// logWrites notes the records a POST updates (elements with an id) and the fields it sets.
func (p *proxy) logWrites(path string, body []byte, at time.Time) {
	var els []map[string]any
	if json.Unmarshal(body, &els) != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, el := range els {
		id, ok := el["id"].(float64)
		if !ok || id <= 0 {
			continue
		}
		key := fmt.Sprintf("%s %d", strings.ToLower(path), int64(id))
		if t, ok := el["ticket_id"].(float64); ok && strings.EqualFold(path, "/api/actions") {
			key = fmt.Sprintf("%s %d/%d", strings.ToLower(path), int64(t), int64(id))
		}
		fields := map[string]bool{}
		for k := range el {
			fields[k] = true
		}
		p.overwrote[key] = append(p.overwrote[key], fieldsAt{at: at, fields: fields})
	}
}

// overwroteUnseen reports whether halosync POSTed field of record (key as logWrites makes it) after at,
// decided on a read of the record made before at: Halo's edit at that instant was overwritten by a write
// that could not know it. Halo's API has no conditional write, so no client can close that window; the
// later side's value is not owed there.
func (p *proxy) overwroteUnseen(key, field string, at time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.overwrote[key] {
		if !w.at.After(at) || !w.fields[field] {
			continue
		}
		var last time.Time // the last read before the write: what it was decided on
		for _, r := range p.reads[key] {
			if r.Before(w.at) && r.After(last) {
				last = r
			}
		}
		if !last.IsZero() && last.Before(at) {
			return true
		}
	}
	return false
}
