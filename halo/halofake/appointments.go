package halofake

import (
	"fmt"
	"net/http"
	"time"
)

// /Appointment (halo-api-more.md "/Appointment"): envelope appointments; pages ONLY when page_no is sent —
// without it every row comes back (a live sweep got 36,764 rows, 36 MB) and count is ignored; list rows
// carry last_modified (live sweep; the published Appointment_List lacks it, so PublishedListRows drops it);
// start_date/end_date, ticket_id, agents, includedeleted filter; POST upsert, DELETE (soft: listed again
// with includedeleted=true). Options.AppointmentNewIDOnUpdate answers an update with a new id.

var appointmentTypes = []string{"Meeting", "On-site visit", "Remote session", "Holiday", "Training"}

func (s *Server) appointmentTable() *table {
	t := &table{api: "appointment", name: "appointments", key: "appointments", scope: "calendar",
		lastUpd: "last_modified", render: s.renderAppointment}
	t.list = func(w http.ResponseWriter, p params) {
		from, to, ok := timeRange(p, "start_date", "end_date")
		if !ok {
			badRequest(w, "The value supplied for start_date/end_date is not a valid date")
			return
		}
		deleted := p.flag("includedeleted")
		agents := idSet(p, "agents")
		ticket, byTicket := p.int("ticket_id"), p.has("ticket_id")
		s.writeList(w, t, p, pagedWithPageNo, func(r *record) bool {
			if (r.deleted && !deleted) || r.born < from || r.born > to {
				return false
			}
			if agents == nil && !byTicket {
				return true
			}
			a := s.appointmentRefs(r)
			return (agents == nil || agents[a.agent]) && (!byTicket || a.ticket == int64(ticket))
		}, nil)
	}
	t.onWrite = func(r *record, fields obj) {
		if n, ok := timeField(fields, "start_date"); ok {
			r.born = n // the filters read the stored start
		}
	}
	return t
}

// generateAppointments: appointments from six months before the epoch to two months after it (a
// calendar has future rows), a few deleted.
func (s *Server) generateAppointments(n int) {
	t := s.tables["appointment"]
	recs := make([]record, n)
	t.rows = make([]*record, n)
	for i := range recs {
		id := int64(i + 1)
		g := newRNG(s.opts.Seed, kAppointment+200, id)
		start := genEpoch - 180*day + g.int63n(240*day)
		start -= start % (30 * int64(time.Minute)) // on the half hour
		updated := ticks(g, min(start, genEpoch)-g.int63n(30*day))
		recs[i] = record{id: id, born: start, updated: updated, deleted: g.chance(0.02)}
		t.rows[i] = &recs[i]
	}
	t.nextID = int64(n) + 1
}

// apptRefs are an appointment's generated links; written values win.
type apptRefs struct {
	agent, ticket, client, site, user int64
}

func (s *Server) appointmentRefs(r *record) apptRefs {
	g := newRNG(s.opts.Seed, kAppointment, r.id)
	a := apptRefs{agent: s.realAgent(g)}
	if s.size.Tickets > 0 && g.chance(0.4) {
		a.ticket = 1 + g.int63n(int64(s.size.Tickets))
		refs, _ := s.ticketRefs(a.ticket)
		a.client, a.site, a.user = refs.client, refs.site, refs.user
	} else if s.size.Sites > 0 {
		a.site = 1 + g.int63n(int64(s.size.Sites))
		a.client = s.clientOfSite(a.site)
	}
	if v, ok := r.over.get("agents"); ok { // POST [{…, agents:[{id, use:"agent"}]}] names the owner first
		if l, ok := v.([]any); ok && len(l) > 0 {
			if m, ok := l[0].(map[string]any); ok {
				if n, ok := asInt(m["id"]); ok {
					a.agent = n
				}
			}
		}
	}
	for _, f := range []struct {
		k string
		v *int64
	}{{"agent_id", &a.agent}, {"ticket_id", &a.ticket}, {"client_id", &a.client}, {"site_id", &a.site}, {"user_id", &a.user}} {
		if v, ok := r.over.get(f.k); ok {
			*f.v, _ = asInt(v)
		}
	}
	return a
}

func (s *Server) renderAppointment(r *record, full bool) obj {
	a := s.appointmentRefs(r)
	g := newRNG(s.opts.Seed, kAppointment+50, r.id)
	ty := pick(g, appointmentTypes)
	allday := ty == "Holiday"
	end := r.born + int64(1+g.intn(6))*30*int64(time.Minute)
	if allday {
		end = r.born + day
	}
	isTask := g.chance(0.15)
	complete := int64(0)
	if end < genEpoch && g.chance(0.6) {
		complete = 1
	}
	subject := ty
	if a.ticket > 0 {
		subject = fmt.Sprintf("%s — ticket %d", ty, a.ticket)
	}
	clientName, siteName, userName := "", "", ""
	if a.client > 0 {
		clientName = s.clientNameOf(a.client)
	}
	if a.site > 0 {
		siteName = s.siteNameOf(a.site)
	}
	if a.user > 0 {
		userName = s.userNameOf(a.user)
	}
	o := obj{{"id", r.id}, {"subject", subject}, {"start_date", naive(r.born)}, {"end_date", naive(end)},
		{"allday", allday}, {"agent_id", a.agent}, {"agent_name", s.agentNameOf(a.agent)},
		{"client_id", a.client}, {"client_name", clientName}, {"site_id", a.site}, {"site_name", siteName},
		{"user_id", a.user}, {"user_name", userName}, {"ticket_id", a.ticket},
		{"appointment_type_name", ty}, {"complete_status", complete}, {"is_task", isTask},
		{"is_private", g.chance(0.05)}, {"last_modified", naive(r.updated)}, {"recurring_master_id", int64(0)},
		{"halo_recurring_master_id", int64(0)}, {"entity", f1(0)}, {"online_meeting_url", ""},
		{"colour", pick(g, colours)}}
	if full {
		completeDate := sentinel1900
		if complete == 1 {
			completeDate = naive(end)
		}
		o = append(o, kv{"note_html", "<p>" + escapeHTML(subject) + "</p>"}, kv{"complete_date", completeDate},
			kv{"complete_timetaken", f1(float64(end-r.born) / float64(time.Hour))},
			kv{"agents", []obj{{{"id", a.agent}, {"name", s.agentNameOf(a.agent)}, {"use", "agent"}}}})
	}
	o = finish(o, r)
	if full {
		o.set("agents", []obj{{{"id", a.agent}, {"name", s.agentNameOf(a.agent)}, {"use", "agent"}}})
	}
	o = drift(o, r, "online_meeting_url", "halo_recurring_master_id", "colour")
	return withoutDetail(o, full, "agents", "note_html", "complete_date", "complete_timetaken")
}

// renumber moves an updated appointment to a new id, keeping what it renders: a live Halo answered an
// update with a different id (halo-api-more.md). Caller holds s.mu.
func (s *Server) renumber(t *table, rec *record) *record {
	snap := t.render(rec, false) // the list keys; the rest of the full record is derived from them
	snap.del("id")
	snap.del("last_modified")
	i, _ := t.find(rec.id)
	t.remove(i)
	moved := &record{id: t.nextID, born: rec.born, updated: rec.updated, over: snap}
	t.insert(moved)
	return moved
}
