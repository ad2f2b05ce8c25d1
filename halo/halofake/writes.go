package halofake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// writeError is a failed write with the status and body Halo would send.
type writeError struct {
	status int
	body   any
}

func notFound(what string, id int64) *writeError {
	return &writeError{http.StatusNotFound, fmt.Sprintf("%s %d not found", what, id)}
}

func invalid(msg string) *writeError {
	return &writeError{http.StatusBadRequest, obj{{"ClassName", "HaloValidationException"}, {"Message", msg}}}
}

// event is a ticket change that may produce a webhook delivery.
type event struct {
	name, message string
	ticketID      int64
	ticket        obj
}

// toObj turns a decoded JSON object into an ordered obj (sorted keys: Go maps have no order).
func toObj(m map[string]any) obj {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := make(obj, 0, len(keys))
	for _, k := range keys {
		o = append(o, kv{k, m[k]})
	}
	return o
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		f, err := x.Float64()
		return int64(f), err == nil
	case float64:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func asBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true") || x == "1"
	case json.Number:
		return x.String() != "0"
	}
	n, _ := asInt(v)
	return n != 0
}

// servePost upserts a JSON array of records (§7.1) and answers 201 with the saved object.
// area is the path segment it came on: "opportunities" and "projects" write the ticket table with
// their area's defaults.
func (s *Server) servePost(w http.ResponseWriter, r *http.Request, t *table, area string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		badRequest(w, "could not read the request body")
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep numbers as sent (12.0 stays 12.0)
	var v any
	if err := dec.Decode(&v); err != nil {
		writeJSONStatus(w, http.StatusBadRequest, "The request body is not valid JSON.")
		return
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		writeJSONStatus(w, http.StatusBadRequest, obj{{"[0]", "The request body must be a non-empty JSON array of " + t.api + " records."}})
		return
	}
	var saved []obj
	var events []event
	var werr *writeError
	s.mu.Lock()
	for i, el := range arr {
		m, ok := el.(map[string]any)
		if !ok {
			werr = &writeError{http.StatusBadRequest, obj{{fmt.Sprintf("[%d]", i), "Each element must be a JSON object."}}}
			break
		}
		out, evs, e := s.upsert(t, areaDefaults(area, dropUnknown(t, toObj(m))), i)
		if e != nil {
			werr = e
			break
		}
		if t.api == "tickets" && s.opts.FLastUpdateInPost {
			out.rename("last_update", "flastupdate")
		}
		saved = append(saved, out)
		events = append(events, evs...)
	}
	s.mu.Unlock()
	s.hooks.emit(events)
	if werr != nil {
		writeJSONStatus(w, werr.status, werr.body)
		return
	}
	if hold := s.currentFaults().HoldReply; hold != nil {
		hold(r.Context(), t.name) // the write is done; its reply waits (a slow Halo)
	}
	if paramsOf(r.URL.Query()).flag("returnall") {
		writeJSONStatus(w, http.StatusCreated, saved)
		return
	}
	// A multi-element POST returns only the last record (SC, §7.1).
	writeJSONStatus(w, http.StatusCreated, saved[len(saved)-1])
}

// serverManaged keys are never taken from the client. ticket_id is a field of appointments, time
// entries, attachments… but names the parent of an action and nothing on a ticket.
func serverManaged(t *table, k string) bool {
	switch k {
	case "id", "last_update", "lastupdate", "flastupdate", "alastupdate", "slastupdate", "ulastupdate",
		"dlastupdate", "last_modified", "lastmodified", "last_update_time", "date_edited", "last_updated", "deleted":
		return true
	case "ticket_id":
		return t.api == "tickets" || t.api == "actions"
	}
	return strings.HasPrefix(k, "_")
}

func (s *Server) stamp() int64 {
	n := s.now().UnixNano()
	return n - n%100 // .NET ticks
}

// upsert creates (no id) or partially updates (id) one record. Caller holds s.mu.
func (s *Server) upsert(t *table, in obj, index int) (obj, []event, *writeError) {
	if t.api == "actions" {
		return s.upsertAction(in, index)
	}
	idv, hasID := in.get("id")
	id, _ := asInt(idv)
	fields := obj{}
	var inactive *bool
	var custom any // a customfields array: stored per field, not as the record's key (customfields.go)
	for _, e := range in {
		switch {
		case e.k == "inactive" || (t.api == "agent" && e.k == "isdisabled"):
			b := asBool(e.v)
			inactive = &b
		case strings.EqualFold(e.k, "customfields"):
			custom = e.v
		case !serverManaged(t, e.k):
			fields = append(fields, e)
		}
	}
	now := s.stamp()
	if hasID && id > 0 {
		_, rec := t.find(id)
		if rec == nil || (rec.deleted && t.api != "tickets") {
			return nil, nil, notFound(t.name, id)
		}
		rec.over.merge(fields)
		for _, f := range fields {
			delete(rec.omit, f.k)
		}
		if inactive != nil {
			rec.inactive = *inactive
		}
		if custom != nil {
			if werr := s.setCustomFields(t, rec.id, custom, index); werr != nil {
				return nil, nil, werr
			}
		}
		if t.onWrite != nil {
			t.onWrite(rec, fields)
		}
		name := "ticket updated"
		if t.api == "tickets" {
			if rv, ok := in.get("_recover"); ok && asBool(rv) {
				rec.deleted = false // Restore-HaloTicket (§7.2)
				name = "ticket restored"
			}
			if v, ok := fields.get("status_id"); ok {
				if n, _ := asInt(v); n == closedStatus {
					name = "ticket status changed"
				}
			}
		}
		rec.updated = now
		if t.api == "appointment" && s.opts.AppointmentNewIDOnUpdate {
			rec = s.renumber(t, rec)
		}
		out := t.render(rec, true)
		var evs []event
		if t.api == "tickets" {
			evs = []event{{name: name, message: fmt.Sprintf("Ticket ID: %07d has been updated.", id), ticketID: id, ticket: out.clone()}}
		}
		return out, evs, nil
	}
	if t.api == "tickets" {
		sum, _ := fields.get("summary")
		if str, _ := sum.(string); strings.TrimSpace(str) == "" {
			return nil, nil, &writeError{http.StatusBadRequest, obj{{fmt.Sprintf("[%d].summary", index), "Please enter a summary."}}}
		}
	}
	if t.api == "priority" {
		return nil, nil, invalid("Priorities cannot be created through the API")
	}
	if t.create != nil {
		if werr := t.create(fields, index); werr != nil {
			return nil, nil, werr
		}
	}
	rec := &record{id: t.nextID, born: now, updated: now, over: fields}
	if inactive != nil {
		rec.inactive = *inactive
	}
	if custom != nil {
		if werr := s.setCustomFields(t, rec.id, custom, index); werr != nil {
			return nil, nil, werr
		}
	}
	if t.onWrite != nil {
		t.onWrite(rec, fields)
	}
	var evs []event
	if t.api == "tickets" {
		// Halo's defaults for an API-created ticket, and the system action it produces (§12.7).
		for _, d := range []kv{{"agent_id", int64(1)}, {"status_id", int64(1)}} {
			if _, ok := rec.over.get(d.k); !ok {
				rec.over = append(rec.over, d)
			}
		}
		// The live create reply has lastactiondate about 1.5 s after dateoccurred (§7.3): Halo opens the
		// ticket when the request starts and adds its system action before it answers. So the action and
		// the last update are the reply's time and dateoccurred is earlier, never the other way round: a
		// time in the reply later than the server clock would let the next write of the ticket (an
		// action, an edit) move its lastactiondate and last_update backwards, which real Halo never does.
		rec.born = now - int64(time.Second)
		rec.actions = []action{{id: 1, at: now, sys: true}}
		rec.nextAction = 2
		rec.lastAction = now
	}
	t.insert(rec)
	out := t.render(rec, true)
	if t.api == "tickets" {
		evs = []event{{name: "new ticket logged", message: fmt.Sprintf("A new Ticket has been logged. Ticket ID: %07d.", rec.id), ticketID: rec.id, ticket: out.clone()}}
	}
	return out, evs, nil
}

// upsertAction creates or updates an action; it needs ticket_id (§7.3). Creating one moves
// the ticket's lastactiondate and last_update.
func (s *Server) upsertAction(in obj, index int) (obj, []event, *writeError) {
	tv, ok := in.get("ticket_id")
	tid, _ := asInt(tv)
	if !ok || tid <= 0 {
		return nil, nil, &writeError{http.StatusBadRequest, obj{{fmt.Sprintf("[%d].ticket_id", index), "Please specify a ticket_id."}}}
	}
	tickets := s.tables["tickets"]
	_, tr := tickets.find(tid)
	if tr == nil {
		return nil, nil, notFound("ticket", tid)
	}
	fields := obj{}
	for _, e := range in {
		if !serverManaged(s.tables["actions"], e.k) {
			fields = append(fields, e)
		}
	}
	now := s.stamp()
	idv, hasID := in.get("id")
	id, _ := asInt(idv)
	var a *action
	if hasID && id > 0 {
		i := findAction(tr, id)
		if i < 0 {
			return nil, nil, notFound("action", id)
		}
		a = &tr.actions[i]
		a.over.merge(fields)
		a.upd = now
	} else {
		if _, ok := fields.get("note_html"); !ok {
			if note, ok := fields.get("note"); ok {
				fields = append(fields, kv{"note_html", note})
			}
		}
		api := int64(max(s.size.Agents, 2))
		for _, d := range []kv{{"who", s.agentNameOf(api)}, {"who_agentid", api}, {"actionby_agent_id", api}} {
			if _, ok := fields.get(d.k); !ok {
				fields = append(fields, d)
			}
		}
		tr.actions = append(tr.actions, action{id: tr.nextAction, at: now, over: fields})
		tr.nextAction++
		a = &tr.actions[len(tr.actions)-1]
		tr.lastAction = now
	}
	if v, ok := fields.get("new_status"); ok {
		tr.over.set("status_id", v)
	}
	tr.updated = now
	out := s.renderAction(tid, a)
	ticket := s.tables["tickets"].render(tr, true)
	return out, []event{{name: "action added", message: fmt.Sprintf("An action has been added to Ticket ID: %07d.", tid), ticketID: tid, ticket: ticket}}, nil
}

func (s *Server) serveDelete(w http.ResponseWriter, r *http.Request, t *table, id int64) {
	p := paramsOf(r.URL.Query())
	var tid int64
	if t.api == "actions" {
		n, err := strconv.ParseInt(strings.TrimSpace(p["ticket_id"]), 10, 64)
		if err != nil || n <= 0 {
			badRequest(w, "Please specify a ticket_id")
			return
		}
		tid = n
	}
	s.mu.Lock()
	evs, werr := s.remove(t, id, tid)
	s.mu.Unlock()
	s.hooks.emit(evs)
	if werr != nil {
		writeJSONStatus(w, werr.status, werr.body)
		return
	}
	writeJSONStatus(w, http.StatusOK, obj{{"id", id}})
}

// remove deletes a record: tickets softly (deleted=true, last_update bumped), actions
// from their ticket, everything else for good. Caller holds s.mu.
func (s *Server) remove(t *table, id, ticketID int64) ([]event, *writeError) {
	now := s.stamp()
	switch t.api {
	case "actions":
		_, tr := s.tables["tickets"].find(ticketID)
		if tr == nil {
			return nil, notFound("ticket", ticketID)
		}
		i := findAction(tr, id)
		if i < 0 {
			return nil, notFound("action", id)
		}
		tr.actions = append(tr.actions[:i:i], tr.actions[i+1:]...)
		tr.updated = now
		return nil, nil
	case "tickets":
		_, tr := t.find(id)
		if tr == nil || tr.deleted {
			return nil, notFound("ticket", id)
		}
		tr.deleted = true
		tr.updated = now
		out := t.render(tr, true)
		return []event{{name: "ticket deleted", message: fmt.Sprintf("Ticket ID: %07d has been deleted.", id), ticketID: id, ticket: out}}, nil
	}
	i, rec := t.find(id)
	if rec == nil || rec.deleted {
		return nil, notFound(t.name, id)
	}
	if t.api == "appointment" { // listed again with includedeleted=true
		rec.deleted = true
		rec.updated = now
		return nil, nil
	}
	t.remove(i)
	if t.api == "attachment" {
		s.staleAttachmentCounts()
	}
	return nil, nil
}
