package halofake

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The test hooks change data "as if edited in Halo": they go through the same code as
// the HTTP writes (last-update bumps, webhooks) and panic on misuse, so a test fails loudly.

func (s *Server) mustTable(entity string) *table {
	t := s.tableByName(entity)
	if t == nil {
		panic(fmt.Sprintf("halofake: unknown entity %q", entity))
	}
	return t
}

// Records returns every record of an entity in its full (GET by id) shape, decoded the
// encoding/json way (numbers are float64). Deleted tickets are included (deleted=true).
// entity: "clients","sites","users","agents","tickets","actions","assets","contracts",
// "statuses","ticket_types","teams","priorities", and the areas of issue 18: "appointments",
// "time_entries" (id 0 in every rendered row; the hooks address them by internal id 1..n in start
// order), "timesheets" (read-only), "invoices", "items", "quotes", "suppliers", "kb_articles",
// "organisations", "top_levels", "slas", "categories", "outcomes", "custom_fields" (FieldInfo),
// "attachments" (API segments such as "Client" or "TimesheetEvent" work too). Deleted appointments are
// left out (GET by id answers 404 for them); DeletedAppointments lists their ids.
func (s *Server) Records(entity string) []map[string]any {
	t := s.mustTable(entity)
	s.mu.RLock()
	var objs []obj
	switch t.api {
	case "actions":
		for _, tr := range s.tables["tickets"].rows {
			for i := range tr.actions {
				objs = append(objs, s.renderAction(tr.id, &tr.actions[i]))
			}
		}
	case "timesheet": // derived from the time entries, not stored
		objs = s.timesheetRows(-1<<63, 1<<63-1, nil)
	default:
		for _, r := range t.rows {
			if r.deleted && t.api != "tickets" {
				continue // a deleted appointment: gone by id, listed only with includedeleted=true
			}
			objs = append(objs, t.render(r, true))
		}
	}
	s.mu.RUnlock()
	out := make([]map[string]any, 0, len(objs))
	for _, o := range objs {
		var b bytes.Buffer
		if err := writeJSON(&b, o); err != nil {
			panic(fmt.Sprintf("halofake: render %s: %v", entity, err))
		}
		var m map[string]any
		if err := json.Unmarshal(b.Bytes(), &m); err != nil {
			panic(fmt.Sprintf("halofake: decode %s: %v", entity, err))
		}
		out = append(out, m)
	}
	return out
}

func (s *Server) write(t *table, in obj) obj {
	s.mu.Lock()
	out, evs, werr := s.upsert(t, in, 0)
	s.mu.Unlock()
	if werr != nil {
		panic(fmt.Sprintf("halofake: write %s: %d %v", t.name, werr.status, werr.body))
	}
	s.hooks.emit(evs)
	return out
}

// Update merges fields into a record and bumps its last-update time. For "actions" the
// fields must carry ticket_id.
func (s *Server) Update(entity string, id int64, fields map[string]any) {
	in := toObj(fields)
	in.set("id", id)
	s.write(s.mustTable(entity), in)
}

// Create adds a record (any id in rec is ignored) and returns its new id. For "actions"
// rec must carry ticket_id and the per-ticket action id is returned.
func (s *Server) Create(entity string, rec map[string]any) int64 {
	in := toObj(rec)
	in.del("id")
	out := s.write(s.mustTable(entity), in)
	v, _ := out.get("id")
	id, _ := asInt(v)
	return id
}

// Delete removes a record: tickets are soft-deleted (deleted=true, last_update bumped),
// other entities disappear. Actions need a ticket: use DeleteAction.
func (s *Server) Delete(entity string, id int64) {
	t := s.mustTable(entity)
	if t.api == "actions" {
		panic("halofake: Delete(\"actions\") needs a ticket id; use DeleteAction")
	}
	s.mu.Lock()
	evs, werr := s.remove(t, id, 0)
	s.mu.Unlock()
	if werr != nil {
		panic(fmt.Sprintf("halofake: delete %s %d: %v", t.name, id, werr.body))
	}
	s.hooks.emit(evs)
}

// DeleteAction removes one action of a ticket.
func (s *Server) DeleteAction(ticketID, id int64) {
	s.mu.Lock()
	_, werr := s.remove(s.tables["actions"], id, ticketID)
	s.mu.Unlock()
	if werr != nil {
		panic(fmt.Sprintf("halofake: delete action %d/%d: %v", ticketID, id, werr.body))
	}
}

// AddAction adds a private note to a ticket (moving its lastactiondate and last_update)
// and returns the new per-ticket action id.
func (s *Server) AddAction(ticketID int64, note string) int64 {
	return s.Create("actions", map[string]any{"ticket_id": ticketID, "note": note, "outcome": "Private Note", "hiddenfromuser": true})
}

// Omit makes the next versions of a record lack keys, as a Halo upgrade or a changed field setting does
// (fields that drift); the record's last-update time moves. Writing a key brings it back. Not for actions.
func (s *Server) Omit(entity string, id int64, keys ...string) {
	t := s.mustTable(entity)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rec := t.find(id)
	if rec == nil || t.api == "actions" {
		panic(fmt.Sprintf("halofake: omit %s %d: no such record", entity, id))
	}
	if rec.omit == nil {
		rec.omit = map[string]bool{}
	}
	for _, k := range keys {
		rec.omit[k] = true
	}
	rec.updated = s.stamp()
}

// DeletedAppointments lists the ids of deleted appointments (generated or deleted through the API), which
// /Appointment lists only with includedeleted=true.
func (s *Server) DeletedAppointments() []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []int64
	for _, r := range s.tables["appointment"].rows {
		if r.deleted {
			out = append(out, r.id)
		}
	}
	return out
}
