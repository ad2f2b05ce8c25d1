package halofake

import (
	"fmt"
	"time"
)

// Renderers turn a stored record into Halo's JSON shape. Generated values come from
// newRNG(seed, kind, id) so they never change between requests; written fields in
// r.over win. Key names, number forms (12.0, -0.0, -1) and date forms (Z or not,
// sentinels) follow the live captures in halo-api.md §5, §6 and §12.

// refName returns the current name of a referenced record (renames through POST show up
// in referencing records, as in Halo) or the generated fallback.
func (s *Server) refName(api string, id int64, fallback func() string) string {
	if t := s.tables[api]; t != nil {
		if _, r := t.find(id); r != nil {
			if v, ok := r.over.get("name"); ok {
				if str, ok := v.(string); ok {
					return str
				}
			}
		}
	}
	return fallback()
}

func (s *Server) clientNameOf(id int64) string {
	return s.refName("client", id, func() string { return clientName(s.opts.Seed, id) })
}

func (s *Server) siteNameOf(id int64) string {
	return s.refName("site", id, func() string { return siteName(s.opts.Seed, id) })
}

func (s *Server) userNameOf(id int64) string {
	return s.refName("users", id, func() string {
		f, l := personName(s.opts.Seed, kUser, id)
		return f + " " + l
	})
}

func (s *Server) agentNameOf(id int64) string {
	if id == 1 {
		return "Unassigned"
	}
	return s.refName("agent", id, func() string {
		if id == int64(max(s.size.Agents, 2)) {
			return "API (halosync)"
		}
		f, l := personName(s.opts.Seed, kAgent, id)
		return f + " " + l
	})
}

func finish(o obj, r *record) obj {
	o.merge(r.over)
	for k := range r.omit {
		o.del(k)
	}
	return o
}

func (s *Server) renderClient(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kClient, r.id)
	main := int64(0)
	if r.id <= int64(s.size.Sites) {
		main = r.id
	}
	tl := int64(1 + g.intn(len(topLevels)))
	g.intn(len(topLevels)) // a draw the stream once spent on the name: later values stay as they were
	o := obj{{"id", r.id}, {"name", clientName(s.opts.Seed, r.id)}, {"toplevel_id", tl},
		{"toplevel_name", topLevels[tl-1]}, {"inactive", r.inactive},
		{"colour", pick(g, colours)}, {"is_vip", g.chance(0.1)}, {"main_site_id", main},
		{"messagegroup_id", int64(-1)}, {"default_mailbox_id", int64(0)}, {"xeroid", ""},
		{"datecreated", naive(r.born)}, {"alastupdate", naive(r.updated)}}
	if full {
		o = append(o, kv{"customfields", s.customFields("client", r, nil)}, kv{"custombuttons", []obj{}}, kv{"confirmemail", int64(1)},
			kv{"override_org_name", ""}, kv{"createdfrom_id", int64(0)}, kv{"monthlyreportinclude", false})
	}
	return finish(o, r)
}

func (s *Server) renderSite(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kSite, r.id)
	c := s.clientOfSite(r.id)
	cn := s.clientNameOf(c)
	name := siteName(s.opts.Seed, r.id)
	o := obj{{"id", r.id}, {"name", name}, {"client_id", f1(c)}, {"client_name", cn},
		{"clientsite_name", cn + "/" + name}, {"inactive", r.inactive}, {"sla_id", int64(1 + g.intn(2))},
		{"phonenumber", ""}, {"colour", pick(g, colours)}, {"timezone", pick(g, timezones)},
		{"messagegroup_id", int64(-1)}, {"datecreated", naive(r.born)}, {"style", f1(0)}, {"upwho", f1(3)},
		{"slastupdate", naive(r.updated)}}
	if full {
		o = append(o, kv{"contractlastchecked", sentinel1899}, kv{"geocoord1", f1(0)}, kv{"geocoord2", f1(0)},
			kv{"isinvoicesite", true}, kv{"defaultstocklocation", int64(-1)}, kv{"linked_organisation_id", int64(1)},
			kv{"customfields", s.customFields("site", r, nil)})
	}
	return finish(o, r)
}

// renderUser: list rows are the 28-key short form without ulastupdate; GET by id is the
// ~90-key record (halo-api.md §12.6).
func (s *Server) renderUser(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kUser, r.id)
	first, last := personName(s.opts.Seed, kUser, r.id)
	site := s.siteOfUser(r.id)
	c := s.clientOfSite(site)
	linked := int64(0)
	if g.chance(0.05) {
		linked = int64(2 + g.intn(max(s.size.Agents-2, 1)))
	}
	o := obj{{"id", r.id}, {"name", first + " " + last}, {"site_id", f1(site)}, {"site_id_int", site},
		{"site_name", s.siteNameOf(site)}, {"client_name", s.clientNameOf(c)}, {"firstname", first}, {"surname", last},
		{"initials", initials(first, last)}, {"emailaddress", emailFor(first, last, r.id, "example.com")},
		{"sitephonenumber", ""}, {"telpref", int64(0)}, {"inactive", r.inactive}, {"colour", pick(g, colours)},
		{"isimportantcontact", false}, {"other5", fmt.Sprint(380271314000 + r.id)}, {"neversendemails", false},
		{"priority_id", int64(0)}, {"linked_agent_id", linked}, {"isserviceaccount", g.chance(0.02)},
		{"isimportantcontact2", false}, {"connectwiseid", int64(0)}, {"autotaskid", int64(-1)},
		{"messagegroup_id", int64(-1)}, {"sitetimezone", ""}, {"use", "user"}, {"client_id", c},
		{"overridepdftemplatequote", int64(-1)}}
	if full {
		o = append(o, kv{"customfields", s.customFields("users", r, nil)}, kv{"custombuttons", []obj{}}, kv{"datecreated", naive(r.born)})
		for _, k := range userFlags {
			o = append(o, kv{k, false})
		}
		o = append(o, kv{"web_access_level", int64(0)}, kv{"showmeonly", int64(0)}, kv{"showrecentonly", int64(0)},
			kv{"cataloglevel", int64(1)}, kv{"encmethod", int64(1)}, kv{"adconnection", int64(-1)}, kv{"useadlogin", int64(0)},
			kv{"organisation_id", int64(1)}, kv{"delegation_start", sentinel1899}, kv{"delegation_end", sentinel1899},
			kv{"delegation_user_id", int64(0)}, kv{"googleworkplace_id", ""}, kv{"servicenow_id", ""},
			kv{"servicenow_username", ""}, kv{"sgatewayid", ""}, kv{"samaccountname", ""}, kv{"oktaid", ""},
			kv{"ulastupdate", naive(r.updated)}, kv{"azure_tenant_id", ""}, kv{"azure_last_login_date", sentinel1899},
			kv{"linked_user_id", int64(0)}, kv{"hubspot_id", ""}, kv{"hubspot_url", ""}, kv{"passportal_id", int64(0)},
			kv{"opportunity_id", int64(0)}, kv{"azure_tenant_domain", ""}, kv{"external_links", []obj{}},
			kv{"device_access_level", int64(0)}, kv{"jira_instance", int64(1)})
	}
	return finish(o, r)
}

var userFlags = []string{"ischangeapprover2", "dontackemails", "inform", "informaction", "informclearance", "showslatimes",
	"allowviewsitedocs", "ischangeapprover", "cancreateuser", "isheadofdept", "iscontractcontact", "informnewarea",
	"informactionarea", "informclearancearea", "viewallcleared", "canaccesscatalog", "canviewcontracts", "ispoapprover",
	"ismaincontact", "delegation_activated", "delegation_timebased", "isnhserveremaildefault", "canaccessinvoices",
	"locked", "allowviewclientdocs", "hubspot_dont_sync", "hubspot_archived", "unsubscribed", "canviewopps",
	"salesforce_dontsync", "dontackemails2", "canadd"}

func (s *Server) renderAgent(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kAgent, r.id)
	first, last := personName(s.opts.Seed, kAgent, r.id)
	api := r.id == int64(max(s.size.Agents, 2))
	team := pick(g, lookupDefs["team"])
	email := emailFor(first, last, r.id, "msp.example")
	name := first + " " + last
	switch {
	case r.id == 1:
		first, last, name, email = "", "", "Unassigned", ""
	case api:
		first, last, name, email = "API", "halosync", "API (halosync)", "api@msp.example"
	}
	o := obj{{"id", r.id}, {"name", name}, {"firstname", first}, {"surname", last}, {"initials", initials(first, last)},
		{"email", email}, {"isdisabled", r.inactive}, {"team", team.name},
		{"teams", []obj{{{"team_id", team.id}, {"team_name", team.name}}}}, {"is_agent", true}, {"isapiagent", api},
		{"use", "agent"}, {"datecreated", naive(r.born)}, {"last_modified", naive(r.updated)}}
	return finish(o, r)
}

// ticketRefs are the generated foreign keys of a ticket.
type ticketRefs struct {
	user, site, client, agent int64
	status, ttype, team       lookupDef
	prio, sla                 int64
	contract                  int64
}

func (s *Server) ticketRefs(id int64) (ticketRefs, *rng) {
	g := newRNG(s.opts.Seed, kTicket, id)
	var t ticketRefs
	if s.size.Users > 0 {
		t.user = 1 + g.int63n(int64(s.size.Users))
		t.site = s.siteOfUser(t.user)
		t.client = s.clientOfSite(t.site)
	}
	t.agent = 1 // Unassigned (halo-api.md §3.2)
	if n := max(s.size.Agents, 2); n > 2 && !g.chance(0.3) {
		t.agent = 2 + g.int63n(int64(n-2))
	}
	t.status = pick(g, lookupDefs["status"])
	t.ttype = pick(g, lookupDefs["tickettype"][:5]) // the service types; projects and opportunities: ticketareas.go
	t.team = pick(g, lookupDefs["team"])
	t.prio = int64(1 + g.intn(4))
	t.sla = int64(1 + g.intn(2))
	t.contract = -1
	if s.size.Contracts > 0 && g.chance(0.1) {
		t.contract = 1 + g.int63n(int64(s.size.Contracts))
	}
	return t, g
}

func (s *Server) renderTicket(r *record, full bool) obj {
	t, g := s.ticketRefs(r.id)
	summary, details, html := ticketText(g, r.id)
	closed := t.status.id == closedStatus
	targetdate := sentinel1900 // §12.13: almost always the sentinel
	if g.chance(0.01) {
		targetdate = naive(r.born + 7*day - r.born%day)
	}
	datecreated := sentinel1900 // §12.13: often never populated
	if g.chance(0.3) {
		datecreated = tz(r.born + int64(2700*time.Microsecond+300))
	}
	o := obj{{"id", r.id}, {"dateoccurred", tz(r.born)}, {"summary", summary}, {"details", details},
		{"status_id", t.status.id}, {"tickettype_id", t.ttype.id}, {"sla_id", t.sla}, {"priority_id", t.prio},
		{"client_id", t.client}, {"client_name", s.clientNameOf(t.client)}, {"site_id", t.site},
		{"site_name", s.siteNameOf(t.site)}, {"user_id", t.user}, {"user_name", s.userNameOf(t.user)},
		{"team", t.team.name}, {"agent_id", t.agent}, {"category_1", ""}, {"estimate", negZero}, {"estimatedays", f1(0)},
		{"onhold", t.status.id == 8}, {"respondbydate", tz(r.born + 4*int64(time.Hour) - r.born%int64(time.Millisecond))},
		{"fixbydate", tz(r.born + 5*day)}, {"lastactiondate", tz(r.lastAction)}, {"organisation_id", int64(1)},
		{"department_id", int64(17)}, {"inactive", false}, {"targetdate", targetdate}, {"targettime", "00:00:00"},
		{"deadlinedate", sentinel1900}, {"lastincomingemail", sentinel0001}, {"contract_id", t.contract},
		{"team_id", t.team.id}, {"deleted", r.deleted}, {"hasbeenclosed", closed},
		{"attachment_count", s.attachmentCount(r.id)}} // in Faults_List: list rows carry it too
	if closed {
		o = append(o, kv{"dateclosed", tz(r.lastAction)}) // open tickets have no dateclosed key (§12.3)
	}
	o = append(o, kv{"datecreated", datecreated}, kv{"reference", fmt.Sprintf("IN-%07d", r.id)},
		kv{"use", "ticket"}, kv{"details_html", html}, kv{"last_update", tz(r.updated)})
	for _, e := range s.ticketAreaFields(r, t.ttype.id) {
		o.set(e.k, e.v)
	}
	if full {
		pd, _ := lookupByID("priority", t.prio+4*(t.sla-1))
		o = append(o, kv{"sla_name", []string{"", "Incident SLA", "Gold SLA"}[t.sla]},
			kv{"priority", s.renderPriority(&record{id: pd.id}, false)},
			kv{"reportedby", s.userEmail(t.user)},
			kv{"guid", newRNG(s.opts.Seed, kTicket+50, r.id).guid()}, kv{"changeseq", 250000 + r.id},
			kv{"takenby", "Admin"}, kv{"auditdate", sentinel1899}, kv{"thirdpartynumber", ""},
			kv{"child_count", int64(0)}, kv{"impact", int64(0)}, kv{"urgency", int64(0)},
			kv{"starttime", "00:00:00"}, kv{"customfields", s.customFields("tickets", r, nil)},
			kv{"tags", []obj{}}, kv{"top_level_id", int64(1)}, kv{"_canupdate", true})
	}
	o = finish(o, r)
	if v, ok := r.over.get("status_id"); ok { // a written status drives the closed flag
		if _, set := r.over.get("hasbeenclosed"); !set {
			n, _ := asInt(v)
			o.set("hasbeenclosed", n == closedStatus)
		}
	}
	return o
}

func (s *Server) userEmail(id int64) string {
	f, l := personName(s.opts.Seed, kUser, id)
	return emailFor(f, l, id, "example.com")
}

const systemNote = "Matched Rules Changed: Add default 1st line support group to new ticket"

func (s *Server) renderAction(ticketID int64, a *action) obj {
	g := newRNG(s.opts.Seed, kAction, ticketID<<20^a.id)
	arrival := a.at - a.at%int64(time.Minute) + (a.at%int64(time.Millisecond))/100*100 // §12.7
	var o obj
	if a.sys {
		o = obj{{"ticket_id", ticketID}, {"id", a.id}, {"outcome", "Rule Applied"}, {"outcome_id", int64(0)}, {"who", "System"},
			{"who_type", int64(0)}, {"who_agentid", int64(0)}, {"actionby_agent_id", int64(0)}, {"actionby_user_id", int64(0)},
			{"datetime", tz(a.at)}, {"actiondatecreated", tz(a.at - 1500)}, {"note", systemNote}, {"note_html", systemNote},
			{"hiddenfromuser", true}, {"important", false}, {"old_status", int64(1)}, {"new_status", int64(1)}}
	} else {
		agent := int64(1 + g.intn(max(s.size.Agents-1, 1)))
		if agent == 1 && s.size.Agents > 2 {
			agent = 2
		}
		outcome := g.intn(len(outcomes))
		first := pick(g, firstNames)
		note := fmt.Sprintf("%s: checked with %s, %s. Next step tomorrow — «ok» ✓", outcomes[outcome], first, pick(g, subjects))
		o = obj{{"ticket_id", ticketID}, {"id", a.id}, {"outcome", outcomes[outcome]}, {"outcome_id", int64(outcome + 1)},
			{"who", s.agentNameOf(agent)}, {"who_type", int64(1)}, {"who_agentid", agent}, {"actionby_agent_id", agent},
			{"actionby_user_id", int64(0)}, {"datetime", tz(a.at)}, {"actiondatecreated", tz(a.at + 1200)},
			{"note", note}, {"note_html", "<p>" + escapeHTML(note) + "</p>"}, {"hiddenfromuser", outcome == 0},
			{"important", g.chance(0.05)}, {"old_status", int64(2)}, {"new_status", int64(2)}}
	}
	// Like the live capture, a system action is flagged billable and may carry time: reports must
	// leave system actions out by who_type, not trust actisbillable alone.
	taken := float64(g.intn(5)) * 0.25
	billable := a.sys || !g.chance(0.2)
	charge, noncharge := taken, 0.0
	if !billable {
		charge, noncharge = 0, taken
	}
	o = append(o, kv{"timetaken", f1(taken)}, kv{"timetakenadjusted", negZero},
		kv{"actisbillable", billable}, kv{"actionchargehours", f1(charge)}, kv{"actionnonchargehours", f1(noncharge)},
		kv{"nonbilltime", f1(noncharge)}, kv{"action_contract_id", int64(-1)},
		kv{"actionarrivaldate", tz(arrival)}, kv{"actioncompletiondate", tz(arrival)},
		kv{"guid", g.guid()})
	if s.opts.ActionLastUpdated {
		o = append(o, kv{"last_updated", tz(max(a.upd, a.at))})
	}
	o.merge(a.over)
	return o
}

func (s *Server) renderAsset(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kAsset, r.id)
	site := int64(0)
	if s.size.Sites > 0 {
		site = 1 + g.int63n(int64(s.size.Sites))
	}
	c := s.clientOfSite(site)
	types := []string{"Laptop", "Desktop", "Server", "Printer", "Firewall", "Phone"}
	ti := g.intn(len(types))
	si := g.intn(3)
	o := obj{{"id", r.id}, {"inventory_number", fmt.Sprintf("AST-%05d", r.id)}, {"key_field", fmt.Sprintf("%s-%04X", types[ti], g.intn(65536))},
		{"client_id", c}, {"client_name", s.clientNameOf(c)}, {"site_id", site}, {"site_name", s.siteNameOf(site)},
		{"assettype_id", int64(ti + 1)}, {"assettype_name", types[ti]}, {"status_id", int64(1 + si)},
		{"status_name", []string{"Active", "In Stock", "Retired"}[si]},
		{"inactive", r.inactive}, {"dlastupdate", naive(r.updated)}}
	if full { // the list omits empty fields that GET by id includes (§12.9)
		o = append(o, kv{"key_field2", ""}, kv{"key_field3", ""}, kv{"users", []obj{}})
		o = s.assetFields(o, r)
		o = append(o, kv{"last_modified", naive(r.updated)})
	}
	return finish(o, r)
}

// assetFields appends an asset's fields and customfields: GET by id always, list rows only with
// includeassetfields=true (halo-api.md §12.9).
func (s *Server) assetFields(o obj, r *record) obj {
	return append(o, kv{"fields", []obj{}}, kv{"customfields", s.customFields("asset", r, nil)})
}

func (s *Server) renderContract(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kContract, r.id)
	c := int64(0)
	if s.size.Clients > 0 {
		c = 1 + g.int63n(int64(s.size.Clients))
	}
	start := r.born - r.born%day + 12*int64(time.Hour)
	end := start + year
	expired := end < genEpoch
	o := obj{{"id", r.id}, {"client_id", c}, {"client_name", s.clientNameOf(c)}, {"site_id", int64(0)},
		{"ref", fmt.Sprintf("CON-%04d", r.id)}, {"start_date", naive(start)}, {"end_date", naive(end)},
		{"expired", expired}, {"active", !expired}, {"status", map[bool]string{true: "Expired", false: "Active"}[expired]},
		{"contract_status", "Approved"}, {"billingperiod", int64(g.intn(4))}, {"last_modified", naive(r.updated)}}
	return finish(o, r)
}

func (s *Server) renderStatus(r *record, _ bool) obj {
	d, _ := lookupByID("status", r.id)
	g := newRNG(s.opts.Seed, kLookup, r.id)
	short := d.name
	if len(short) > 4 {
		short = short[:4]
	}
	return finish(obj{{"id", r.id}, {"name", d.name}, {"shortname", short}, {"type", d.n1}, {"sequence", d.n2},
		{"colour", pick(g, colours)}}, r)
}

func (s *Server) renderTicketType(r *record, _ bool) obj {
	d, _ := lookupByID("tickettype", r.id)
	return finish(obj{{"id", r.id}, {"name", d.name}, {"use", ttUse(r.id)}, {"group_id", d.n1}, {"visible", true},
		{"inactive", false}}, r)
}

func (s *Server) renderTeam(r *record, _ bool) obj {
	d, _ := lookupByID("team", r.id)
	return finish(obj{{"id", r.id}, {"name", d.name}, {"inactive", false}, {"department_id", d.n1},
		{"last_modified", naive(r.updated)}}, r)
}

func (s *Server) renderPriority(r *record, _ bool) obj {
	d, _ := lookupByID("priority", r.id)
	g := newRNG(s.opts.Seed, kLookup+10, r.id)
	fix := []float64{0, 4, 8, 24, 72}[d.n1]
	return finish(obj{{"id", g.guid()}, {"slaid", d.n2}, {"priorityid", d.n1}, {"name", d.name},
		{"fixtime", f1(fix)}, {"responsetime", f1(fix / 4)}, {"ishidden", false}, {"colour", pick(g, colours)}}, r)
}
