package halofake

import (
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// params is the query with lowercased names: ASP.NET binds parameters case-insensitively.
type params map[string]string

func paramsOf(q url.Values) params {
	p := params{}
	for k, v := range q {
		if len(v) > 0 {
			p[strings.ToLower(k)] = v[0]
		}
	}
	return p
}

func (p params) has(k string) bool { _, ok := p[k]; return ok }

func (p params) flag(k string) bool {
	v := strings.ToLower(strings.TrimSpace(p[k]))
	return v == "true" || v == "1"
}

func (p params) isFalse(k string) bool {
	v := strings.ToLower(strings.TrimSpace(p[k]))
	return v == "false" || v == "0"
}

func (p params) int(k string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(p[k]))
	return n
}

// pager: paging is honoured only with pageinate=true; otherwise the agent's default page
// of 50 rows and page_no is ignored (§3.1, Servosity#203). page_size is capped at 100
// silently (HaloAPI#90).
type pager struct {
	paged    bool
	size, no int
}

const (
	defaultPageSize = 50
	maxPageSize     = 100
	assetPageSize   = 50
)

func pagerOf(p params) pager {
	pg := pager{paged: p.flag("pageinate"), size: defaultPageSize, no: 1}
	if pg.paged {
		if n := p.int("page_size"); n > 0 {
			pg.size = min(n, maxPageSize)
		}
		pg.no = max(p.int("page_no"), 1)
	} else if n := p.int("count"); n > 0 {
		pg.size = n
	}
	return pg
}

func (pg pager) window() (lo, hi int) {
	lo = (pg.no - 1) * pg.size
	return lo, lo + pg.size
}

// timeRange parses lastupdatefromdate/lastupdatetodate style bounds. ok=false means a
// value was present but unparsable.
func timeRange(p params, fromKey, toKey string) (from, to int64, ok bool) {
	from, to = -1<<63, 1<<63-1
	if v, has := p[fromKey]; has && v != "" {
		t, good := parseQueryTime(v)
		if !good {
			return 0, 0, false
		}
		from = t.UnixNano()
	}
	if v, has := p[toKey]; has && v != "" {
		t, good := parseQueryTime(v)
		if !good {
			return 0, 0, false
		}
		to = t.UnixNano()
	}
	return from, to, true
}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request, t *table) {
	p := paramsOf(r.URL.Query())
	if t.hangs != nil && t.hangs(p) {
		<-r.Context().Done()
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t.list != nil {
		t.list(w, p)
		return
	}
	switch t.api {
	case "actions":
		s.listActions(w, p)
		return
	case "status", "tickettype", "team", "priority":
		rows := make([]obj, 0, len(t.rows)) // bare array; paging ignored
		for _, rec := range t.rows {
			rows = append(rows, s.listRow(t, rec))
		}
		writeJSONStatus(w, http.StatusOK, rows)
		return
	}
	keep, ok := s.listFilter(t, p)
	if !ok {
		badRequest(w, "The value supplied for lastupdatefromdate/lastupdatetodate is not a valid date")
		return
	}
	pg := pagerOf(p)
	if t.api == "asset" {
		pg.size = assetPageSize // fixed page, echoed back (§12.9)
	}
	lo, hi := pg.window()
	total := 0
	var rows []obj
	for _, rec := range ordered(t.rows, p) {
		if !keep(rec) {
			continue
		}
		if total >= lo && total < hi {
			rows = append(rows, s.listRow(t, rec))
		}
		total++
	}
	if rows == nil {
		rows = []obj{}
	}
	total = s.recordCount(t, total)
	if t.api == "tickets" && p.has("include_custom_fields") {
		want := includeIDs(p["include_custom_fields"])
		for i, row := range rows {
			id, _ := row.get("id")
			_, rec := t.find(id.(int64))
			if rec != nil {
				rows[i] = append(row, kv{"customfields", s.customFields("tickets", rec, want)})
			}
		}
	}
	if t.api == "asset" && p.flag("includeassetfields") {
		for i, row := range rows {
			id, _ := row.get("id")
			_, rec := t.find(id.(int64))
			if rec != nil {
				rows[i] = s.assetFields(row, rec)
			}
		}
	}
	if t.api == "agent" {
		// Bare array unless paging parameters were sent; then {"results": [...]} (DJ, §3.2).
		if !p.has("pageinate") && !p.has("page_no") && !p.has("page_size") {
			writeJSONStatus(w, http.StatusOK, rows)
			return
		}
		env := obj{}
		if pg.paged {
			env = append(env, kv{"page_no", pg.no}, kv{"page_size", pg.size})
		}
		writeJSONStatus(w, http.StatusOK, append(env, kv{"record_count", total}, kv{"results", rows}))
		return
	}
	writeJSONStatus(w, http.StatusOK, envelope(pg, total, t, rows))
}

// unpublishedListFields are the keys real list rows may lack: they are in the
// full records (GET by id) of Halo's published schema but not in its list-row
// schemas (swagger Faults_List, Site_List, Device_List, Uname_List, Users_List,
// RequestType_List, Actions).
var unpublishedListFields = map[string][]string{
	"tickets": {"deleted", "team_id", "details_html", "thirdpartynumber", "contract_id", "datecreated",
		"is_opportunity", "is_project"},
	"site":       {"slastupdate", "datecreated"},
	"asset":      {"dlastupdate", "last_modified"},
	"agent":      {"last_modified"},
	"users":      {"datecreated", "ulastupdate"},
	"tickettype": {"visible", "inactive"},
	"actions":    {"who"}, // the Actions schema itself lacks it, though live replies carry it
}

// listRow renders rec as a list row.
func (s *Server) listRow(t *table, rec *record) obj {
	o := t.render(rec, false)
	if !s.opts.PublishedListRows {
		return o
	}
	if known, ok := listSchemaFields[t.api]; ok {
		return keepPublished(o, known)
	}
	for _, k := range unpublishedListFields[t.api] {
		o.del(k)
	}
	return o
}

// envelope builds {page_no, page_size, record_count, <key>}. Like the live Users capture,
// page_no/page_size only appear when paging was asked for — except Asset, which always
// echoes its effective page size.
func envelope(pg pager, total int, t *table, rows []obj) obj {
	env := obj{}
	if pg.paged || t.api == "asset" {
		env = append(env, kv{"page_no", pg.no}, kv{"page_size", pg.size})
	}
	env = append(env, kv{"record_count", total})
	if t.api == "tickets" {
		// A sidecar array next to the rows (§12.14): clients must read the declared key.
		env = append(env, kv{"columns_view", []obj{{{"id", int64(1)}, {"name", "Default"}, {"type", "Faults_View"}}}})
	}
	return append(env, kv{t.key, rows})
}

// listFilter returns the row predicate for a list request.
func (s *Server) listFilter(t *table, p params) (func(*record) bool, bool) {
	from, to, ok := timeRange(p, "lastupdatefromdate", "lastupdatetodate")
	if !ok && (t.api == "tickets" || (t.inactive && s.opts.HonourLastUpdateFilter)) {
		return nil, false
	}
	byTime := t.api == "tickets" || (t.inactive && s.opts.HonourLastUpdateFilter)
	inTime := func(r *record) bool { return !byTime || (r.updated >= from && r.updated <= to) }
	switch {
	case t.api == "tickets":
		deleted := p.flag("deleted") // deleted=true lists deleted tickets only (PS)
		area := s.areaFilter(p)      // /Opportunities and /Projects narrow only when asked (ticketareas.go)
		return func(r *record) bool { return r.deleted == deleted && inTime(r) && (area == nil || area(r)) }, true
	case t.api == "agent":
		// API agents are listed only with includeapiagents=true (swagger /Agent).
		disabled, unassigned, api := p.flag("includedisabled"), !p.isFalse("includeunassigned"), p.flag("includeapiagents")
		apiAgent := int64(max(s.size.Agents, 2))
		return func(r *record) bool {
			return (!r.inactive || disabled) && (r.id != 1 || unassigned) && (r.id != apiAgent || api)
		}, true
	case t.inactive:
		inactive, active := p.flag("includeinactive"), !p.isFalse("includeactive")
		return func(r *record) bool {
			return ((r.inactive && inactive) || (!r.inactive && active)) && inTime(r)
		}, true
	}
	return func(*record) bool { return true }, true
}

// listAction drops note_html from a listed action unless includehtmlnote=true
// (swagger /Actions: "Include the action note HTML as part of the response").
func (s *Server) listAction(o obj, p params) obj {
	if !p.flag("includehtmlnote") {
		o.del("note_html")
	}
	if s.opts.PublishedListRows {
		for _, k := range unpublishedListFields["actions"] {
			o.del(k)
		}
	}
	return o
}

// listActions: per ticket ({"record_count","actions"}, no page keys unless paging), or a
// bulk walk across tickets when Options.BulkActions (§12.12), else 400.
func (s *Server) listActions(w http.ResponseWriter, p params) {
	pg := pagerOf(p)
	lo, hi := pg.window()
	var rows []obj
	total := 0
	tickets := s.tables["tickets"]
	if p.has("ticket_id") {
		tid, _ := strconv.ParseInt(strings.TrimSpace(p["ticket_id"]), 10, 64)
		if _, tr := tickets.find(tid); tr != nil {
			for i := range tr.actions {
				if total >= lo && total < hi {
					rows = append(rows, s.listAction(s.renderAction(tid, &tr.actions[i]), p))
				}
				total++
			}
		}
	} else {
		if !s.opts.BulkActions {
			badRequest(w, "Please specify a ticket_id")
			return
		}
		from, to, ok := timeRange(p, "startdate", "enddate")
		if !ok {
			badRequest(w, "The value supplied for startdate/enddate is not a valid date")
			return
		}
		empty := s.currentFaults().BulkActions == BulkEmpty
		for _, tr := range tickets.rows { // ordered by ticket_id, then id
			if tr.deleted || empty {
				continue
			}
			for i := range tr.actions {
				a := &tr.actions[i]
				if a.at < from || a.at > to {
					continue
				}
				if total >= lo && total < hi {
					rows = append(rows, s.listAction(s.renderAction(tr.id, a), p))
				}
				total++
			}
		}
	}
	if rows == nil {
		rows = []obj{}
	}
	env := obj{}
	if pg.paged {
		env = append(env, kv{"page_no", pg.no}, kv{"page_size", pg.size})
	}
	writeJSONStatus(w, http.StatusOK, append(env, kv{"record_count", total}, kv{"actions", rows}))
}

// ordered yields rows in the order a list asks for: by id (the stored
// order) unless order=id with orderdesc=true, newest first. Halo reads only
// true/false: orderdesc=1 is not "true" and lists the oldest first
// (halo-api-more.md, corrections). Other order fields are not modelled.
func ordered(rows []*record, p params) iter.Seq2[int, *record] {
	desc := strings.EqualFold(strings.TrimSpace(p["order"]), "id") && strings.EqualFold(strings.TrimSpace(p["orderdesc"]), "true")
	if !desc {
		return slices.All(rows)
	}
	return slices.Backward(rows)
}
