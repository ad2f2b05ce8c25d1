package halofake

import (
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Time (halo-api-more.md "/Timesheet and /TimesheetEvent").
//
// /TimesheetEvent: a bare array; count and paging are ignored; id is 0 on every row (the real id is never
// exposed: ticket time is keyed on ticket_id + action_number, the rest on agent_id + start_date +
// event_type); bound it with start_date/end_date as ISO date-times — a date-only value is read as that
// day's 00:00, so end_date=2026-01-05 leaves out the 5th (the live mis-filter) — or agent_id/agents; an
// unbounded call returns everything. Bounds are inclusive on the row's start_date.
//
// /Timesheet: a bare array, one row per agent and day, id 0 on every row (key agent_id + date); rows are
// derived from the time entries; start_date/end_date bound the date. Read-only here (Halo takes approval
// POSTs only).

var chargeTypes = []string{"Remote Support", "On Site Support", "Non-chargeable", "Travel"}

func (s *Server) timeEntryTable() *table {
	t := &table{api: "timesheetevent", name: "time_entries", scope: "timesheets", render: s.renderTimeEntry}
	t.list = func(w http.ResponseWriter, p params) {
		from, to, ok := timeRange(p, "start_date", "end_date")
		if !ok {
			badRequest(w, "The value supplied for start_date/end_date is not a valid date")
			return
		}
		agents := idSet(p, "agents")
		if p.has("agent_id") {
			agents = map[int64]bool{int64(p.int("agent_id")): true}
		}
		s.writeList(w, t, p, unpaged, func(r *record) bool {
			return r.born >= from && r.born <= to && (agents == nil || agents[s.timeEntryRefs(r).agent])
		}, nil)
	}
	t.onWrite = func(r *record, fields obj) {
		if n, ok := timeField(fields, "start_date"); ok {
			r.born = n
		}
	}
	return t
}

func (s *Server) timesheetTable() *table {
	t := &table{api: "timesheet", name: "timesheets", scope: "timesheets",
		readOnly: "Timesheets take approval requests only (_approve, _reject, _submitapproval)"}
	t.list = func(w http.ResponseWriter, p params) {
		from, to, ok := timeRange(p, "start_date", "end_date")
		if !ok {
			badRequest(w, "The value supplied for start_date/end_date is not a valid date")
			return
		}
		writeJSONStatus(w, http.StatusOK, s.timesheetRows(from, to, idSet(p, "agents")))
	}
	return t
}

// generateTimeEntries spreads n entries over the days before the epoch, in start order (the stored
// order is by internal id).
func (s *Server) generateTimeEntries(n, days int) {
	t := s.tables["timesheetevent"]
	span := int64(max(days, 1)) * day
	starts := make([]int64, n)
	for i := range starts {
		g := newRNG(s.opts.Seed, kTimeEntry+200, int64(i+1))
		st := genEpoch - span + g.int63n(span)
		starts[i] = st - st%(15*int64(time.Minute))
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	recs := make([]record, n)
	t.rows = make([]*record, n)
	for i := range recs {
		recs[i] = record{id: int64(i + 1), born: starts[i], updated: starts[i]}
		t.rows[i] = &recs[i]
	}
	t.nextID = int64(n) + 1
}

type timeRefs struct {
	agent, ticket, action, client, site int64
	hours                               float64
	eventType                           int64
}

func (s *Server) timeEntryRefs(r *record) timeRefs {
	g := newRNG(s.opts.Seed, kTimeEntry, r.id)
	e := timeRefs{agent: s.realAgent(g), hours: float64(1+g.intn(8)) * 0.25}
	// 1,557 of 1,567 live rows came from ticket actions (HC).
	if s.size.Tickets > 0 && !g.chance(0.01) {
		e.ticket = 1 + g.int63n(int64(s.size.Tickets))
		if _, tr := s.tables["tickets"].find(e.ticket); tr != nil && tr.nextAction > 1 {
			e.action = 1 + g.int63n(tr.nextAction-1)
		}
		refs, _ := s.ticketRefs(e.ticket)
		e.client, e.site = refs.client, refs.site
	} else {
		e.eventType = int64(1 + g.intn(3))
	}
	for _, f := range []struct {
		k string
		v *int64
	}{{"agent_id", &e.agent}, {"ticket_id", &e.ticket}, {"action_number", &e.action}, {"client_id", &e.client}, {"event_type", &e.eventType}} {
		if v, ok := r.over.get(f.k); ok {
			*f.v, _ = asInt(v)
		}
	}
	return e
}

func (s *Server) renderTimeEntry(r *record, _ bool) obj {
	e := s.timeEntryRefs(r)
	g := newRNG(s.opts.Seed, kTimeEntry+50, r.id)
	subject, customer, charge := "Internal: "+pick(g, []string{"Team meeting", "Training", "Admin"}), "", "Non-chargeable"
	if e.ticket > 0 {
		subject = fmt.Sprintf("Ticket %d: %s", e.ticket, pick(g, subjects))
		charge = pick(g, chargeTypes)
	}
	if e.client > 0 {
		customer = s.clientNameOf(e.client)
	}
	end := r.born + int64(e.hours*float64(time.Hour))
	o := obj{{"id", int64(0)}, {"agent_id", e.agent}, {"start_date", naive(r.born)}, {"end_date", naive(end)},
		{"timetaken", f1(e.hours)}, {"ticket_id", e.ticket}, {"action_number", e.action}, {"event_type", e.eventType},
		{"subject", subject}, {"note", "Worked on: " + subject}, {"customer", customer},
		{"charge_type_name", charge}, {"client_id", e.client}, {"site_id", e.site},
		{"charge_rate", int64(g.intn(3))}, {"lognewticket", false}}
	o = drift(finish(o, r), r, "charge_type_name", "customer")
	o.set("id", int64(0)) // whatever was written, the real id is never exposed
	return o
}

// timesheetRows are the /Timesheet rows of the agent-days in [from, to]: the TimesheetDays before the
// epoch for every real agent, with the hours of their time entries. Caller holds s.mu.
func (s *Server) timesheetRows(from, to int64, agents map[int64]bool) []obj {
	type agentDay struct{ agent, day int64 }
	actual, chargeable := map[agentDay]float64{}, map[agentDay]float64{}
	for _, r := range s.tables["timesheetevent"].rows {
		e := s.timeEntryRefs(r)
		k := agentDay{e.agent, dayOf(r.born)}
		actual[k] += e.hours
		if e.ticket > 0 {
			chargeable[k] += e.hours
		}
	}
	out := []obj{}
	n := int64(max(s.size.Agents, 2))
	for d := genEpoch - int64(s.size.TimesheetDays)*day; d < genEpoch; d += day {
		if d < dayOf(from) || d > to {
			continue
		}
		target := 7.5
		if wd := time.Unix(0, d).UTC().Weekday(); wd == time.Saturday || wd == time.Sunday {
			target = 0
		}
		for a := int64(2); a < n; a++ {
			if agents != nil && !agents[a] {
				continue
			}
			k := agentDay{a, d}
			out = append(out, obj{{"id", int64(0)}, {"agent_id", a}, {"agent_name", s.agentNameOf(a)},
				{"date", naive(d)}, {"target_hours", f1(target)}, {"actual_hours", f1(actual[k])},
				{"chargeable_hours", f1(chargeable[k])}, {"work_hours", f1(target)},
				{"unlogged_hours", f1(max(target-actual[k], 0))}, {"workdayid", int64(1)}})
		}
	}
	return out
}
