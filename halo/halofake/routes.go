package halofake

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	if err := writeJSON(&b, v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func writeJSON404(w http.ResponseWriter) {
	writeJSONStatus(w, http.StatusNotFound, "Record not found")
}

// badRequest answers 400 with one of the body shapes Halo uses (halo-api.md §7.1).
func badRequest(w http.ResponseWriter, msg string) {
	writeJSONStatus(w, http.StatusBadRequest, obj{{"ClassName", "HaloValidationException"}, {"Message", msg}})
}

// serveAPI handles /api/... once the cross-cutting checks passed. Paths are already
// lowercased and without trailing slash, so /API/Tickets/ and /api/tickets are one route.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, p string) {
	parts := strings.Split(strings.TrimPrefix(p, "/api"), "/")[1:]
	if len(parts) == 0 || parts[0] == "" {
		writeJSON404(w)
		return
	}
	if parts[0] == "authinfo" && len(parts) == 1 {
		writeJSONStatus(w, http.StatusOK, obj{{"auth_url", baseURL(r) + "/auth"}})
		return
	}
	tok, ok := s.authenticate(r)
	if !ok {
		unauthorized(w)
		return
	}
	if parts[0] == "instanceinfo" && len(parts) == 1 && r.Method == http.MethodGet {
		s.serveInstanceInfo(w)
		return
	}
	t := s.tables[parts[0]]
	if t == nil {
		t = s.ticketArea(parts[0]) // /Opportunities and /Projects are the ticket table
	}
	if t == nil || len(parts) > 2 {
		writeJSON404(w)
		return
	}
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	if parts[0] == "opportunities" && s.opts.NoSalesModule {
		w.WriteHeader(http.StatusForbidden) // an agent without the Sales module: 403, empty body (HC)
		return
	}
	if !tok.covers(t.scope, write) || s.forbidden(t) || s.currentFaults().Forbidden[parts[0]] {
		writeJSONStatus(w, http.StatusForbidden, "You do not have permission to access this resource.")
		return
	}
	var id int64
	if len(parts) == 2 {
		n, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			writeJSON404(w)
			return
		}
		id = n
	}
	switch {
	case r.Method == http.MethodGet && len(parts) == 1:
		s.serveList(w, r, t)
	case r.Method == http.MethodGet:
		s.serveGet(w, r, t, id)
	case r.Method == http.MethodPost && len(parts) == 1 && t.readOnly != "":
		badRequest(w, t.readOnly)
	case r.Method == http.MethodPost && len(parts) == 1:
		s.servePost(w, r, t, parts[0])
	case r.Method == http.MethodPost:
		// Only the collection accepts writes (§7.1: the fake may reject other forms).
		badRequest(w, "POST requests must be sent to the collection with a JSON array body")
	case r.Method == http.MethodDelete && len(parts) == 2:
		s.serveDelete(w, r, t, id)
	default:
		writeJSONStatus(w, http.StatusMethodNotAllowed, "The requested resource does not support http method '"+r.Method+"'.")
	}
}

// serveGet returns one bare record (the full shape, richer than a list row).
func (s *Server) serveGet(w http.ResponseWriter, r *http.Request, t *table, id int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t.api == "actions" {
		tid, _ := strconv.ParseInt(r.URL.Query().Get("ticket_id"), 10, 64)
		_, tr := s.tables["tickets"].find(tid)
		if tr == nil {
			writeJSON404(w)
			return
		}
		i := findAction(tr, id)
		if i < 0 {
			writeJSON404(w)
			return
		}
		writeJSONStatus(w, http.StatusOK, s.renderAction(tid, &tr.actions[i]))
		return
	}
	_, rec := t.find(id)
	if rec == nil || (rec.deleted && t.api != "tickets") {
		writeJSON404(w)
		return
	}
	if t.get != nil {
		t.get(w, rec)
		return
	}
	o := t.render(rec, true)
	if t.api == "fieldinfo" {
		o = fieldInfoDetails(o, paramsOf(r.URL.Query()))
	}
	writeJSONStatus(w, http.StatusOK, o)
}
