package halofake

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Faults injects failures into /api requests.
type Faults struct {
	ErrorRate float64         // share of /api requests answered with a 5xx (0..1)
	Latency   time.Duration   // added before every request is answered
	Forbidden map[string]bool // entity → 403, keyed by API path ("tickets", "client", "opportunities") or hook name ("clients")
	// BulkActions breaks the bulk Actions listing (GET /api/Actions without ticket_id) the ways a large
	// live tenant did (halo-api-more.md, corrections): BulkEmpty answers record_count 0 and no rows,
	// BulkHang never answers (the client's timeout ends the request). Per-ticket reads are unaffected.
	BulkActions BulkFault
	// HoldReply, when set, runs after a POST's write and before its reply is sent (entity is the table name,
	// e.g. "tickets"): a test blocks in it to hold the reply while it checks what the client does meanwhile.
	HoldReply func(ctx context.Context, entity string)
	// RecordCount scales the record_count a list reports (a lying server):
	// entity (API path or hook name) → factor, e.g. 0.6 to report 60 % of the
	// truth, 2 to report twice it. Rows and paging are unchanged.
	RecordCount map[string]float64
}

// BulkFault is a way the bulk Actions listing fails.
type BulkFault int

// The bulk Actions listing's failures.
const (
	BulkOK BulkFault = iota
	BulkEmpty
	BulkHang
)

// isBulkActions reports whether r lists actions across tickets.
func isBulkActions(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), "/api/actions") && r.Method == http.MethodGet &&
		r.URL.Query().Get("ticket_id") == ""
}

// SetFault replaces the active faults (the zero Faults clears them).
func (s *Server) SetFault(f Faults) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	fb := map[string]bool{}
	for k, v := range f.Forbidden {
		fb[strings.ToLower(k)] = v
	}
	f.Forbidden = fb
	rc := map[string]float64{}
	for k, v := range f.RecordCount {
		rc[strings.ToLower(k)] = v
	}
	f.RecordCount = rc
	s.faults = f
}

func (s *Server) currentFaults() Faults {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faults
}

// applyFaults adds latency and fails a share of /api requests; false means answered.
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request, isAPI bool) bool {
	f := s.currentFaults()
	if f.BulkActions == BulkHang && isBulkActions(r) {
		<-r.Context().Done()
		return false
	}
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return false
		}
	}
	if !isAPI || f.ErrorRate <= 0 {
		return true
	}
	s.faultMu.Lock()
	roll := s.faultR.float()
	alt := s.faultR.chance(0.3)
	s.faultMu.Unlock()
	if roll >= f.ErrorRate {
		return true
	}
	if alt {
		writeJSONStatus(w, http.StatusServiceUnavailable, "The service is unavailable.")
		return false
	}
	writeJSONStatus(w, http.StatusInternalServerError, obj{{"ClassName", "System.Exception"}, {"Message", "An error has occurred."}})
	return false
}

func (s *Server) forbidden(t *table) bool {
	f := s.currentFaults()
	return f.Forbidden[t.api] || f.Forbidden[t.name]
}

// recordCount is the record_count a list of t reports for total matching rows.
func (s *Server) recordCount(t *table, total int) int {
	f := s.currentFaults()
	factor, ok := f.RecordCount[t.api]
	if !ok {
		factor, ok = f.RecordCount[t.name]
	}
	if !ok {
		return total
	}
	return int(float64(total) * factor)
}
