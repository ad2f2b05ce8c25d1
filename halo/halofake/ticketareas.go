package halofake

import "fmt"

// Opportunities and projects (halo-api-more.md "/Opportunities and /Projects"): both are the ticket
// table — /api/Opportunities and /api/Projects take /Tickets' parameters and answer its envelope
// (tickets), and an unfiltered call returns the same rows as /Tickets (no implicit filter; a live
// /Projects' first row was a ticket like any other). domain=opps|prjs|reqs narrows on any of the three.
// A project is a ticket with itil_requesttype_id 22 and no parent, a task 23 with parent_id (django-psa
// reads tasks with itil_requesttype=23&parent_id=N); an opportunity has the "Opportunity" ticket type
// and is_opportunity true, with the opp* fields. Options.NoSalesModule makes /Opportunities answer 403
// with an empty body (routes.go).

// Ticket types and ITIL request types of the areas.
const (
	ttProject     = 27
	ttTask        = 28
	ttOpportunity = 31

	itilProject = 22
	itilTask    = 23
)

// itilOf is the itil_requesttype_id of the generated service ticket types [I: the fake's own mapping].
var itilOf = map[int64]int64{1: 1, 3: 3, 4: 2, 21: 4, 36: 1}

// ttUse is a ticket type's use.
func ttUse(id int64) string {
	switch id {
	case ttProject, ttTask:
		return "project"
	case ttOpportunity:
		return "opp"
	}
	return "ticket"
}

type ticketKind int

const (
	kindTicket ticketKind = iota
	kindProject
	kindTask
	kindOpportunity
)

// generatedKind: about 2 % of generated tickets are projects, 2 % opportunities, and half the tickets
// right after a project are its tasks. A pure function of the id, so it needs no storage.
func (s *Server) generatedKind(id int64) (ticketKind, int64) {
	roll := func(id int64) int { return newRNG(s.opts.Seed, kTicketArea, id).intn(100) }
	switch r := roll(id); {
	case r < 2:
		return kindProject, 0
	case r < 4:
		return kindOpportunity, 0
	}
	for k := int64(1); k <= 3 && id-k >= 1; k++ {
		if roll(id-k) < 2 && newRNG(s.opts.Seed, kTicketArea+1, id).chance(0.5) {
			return kindTask, id - k
		}
	}
	return kindTicket, 0
}

// ticketKindOf reads a ticket's area: written fields win over the generated kind.
func (s *Server) ticketKindOf(r *record) (ticketKind, int64) {
	kind, parent := kindTicket, int64(0)
	if r.born <= genEpoch {
		kind, parent = s.generatedKind(r.id)
	}
	if v, ok := r.over.get("parent_id"); ok {
		parent, _ = asInt(v)
	}
	if v, ok := r.over.get("itil_requesttype_id"); ok {
		switch n, _ := asInt(v); n {
		case itilProject:
			kind = kindProject
		case itilTask:
			kind = kindTask
		default:
			kind = kindTicket
		}
	}
	if v, ok := r.over.get("is_opportunity"); ok && asBool(v) {
		kind = kindOpportunity
	}
	if v, ok := r.over.get("tickettype_id"); ok {
		if n, _ := asInt(v); n == ttOpportunity {
			kind = kindOpportunity
		}
	}
	return kind, parent
}

// ticketArea returns the ticket table for the /Opportunities and /Projects paths.
func (s *Server) ticketArea(segment string) *table {
	if segment == "opportunities" || segment == "projects" {
		return s.tables["tickets"]
	}
	return nil
}

// areaDefaults marks a record created through /Opportunities or /Projects as one of the area's.
func areaDefaults(area string, in obj) obj {
	if idv, ok := in.get("id"); ok {
		if id, _ := asInt(idv); id > 0 {
			return in
		}
	}
	var defaults []kv
	switch area {
	case "opportunities":
		defaults = []kv{{"tickettype_id", int64(ttOpportunity)}, {"is_opportunity", true}}
	case "projects":
		defaults = []kv{{"tickettype_id", int64(ttProject)}, {"itil_requesttype_id", int64(itilProject)}}
	}
	for _, d := range defaults {
		if _, ok := in.get(d.k); !ok {
			in = append(in, d)
		}
	}
	return in
}

// areaFilter narrows a ticket list by domain, itil_requesttype(_id) and parent_id; nil when none is sent.
func (s *Server) areaFilter(p params) func(*record) bool {
	domain := p["domain"]
	itil, byITIL := p.int("itil_requesttype_id"), p.has("itil_requesttype_id")
	if p.has("itil_requesttype") {
		itil, byITIL = p.int("itil_requesttype"), true
	}
	parent, byParent := int64(p.int("parent_id")), p.has("parent_id")
	if domain == "" && !byITIL && !byParent {
		return nil
	}
	return func(r *record) bool {
		kind, par := s.ticketKindOf(r)
		switch domain {
		case "opps":
			if kind != kindOpportunity {
				return false
			}
		case "prjs":
			if kind != kindProject && kind != kindTask {
				return false
			}
		case "reqs":
			if kind != kindTicket {
				return false
			}
		}
		if byITIL {
			refs, _ := s.ticketRefs(r.id)
			if int64(itil) != itilRequestType(kind, refs.ttype.id) {
				return false
			}
		}
		return !byParent || par == parent
	}
}

// itilRequestType is the itil_requesttype_id of a ticket of kind whose generated ticket type is ttype.
func itilRequestType(kind ticketKind, ttype int64) int64 {
	switch kind {
	case kindProject:
		return itilProject
	case kindTask:
		return itilTask
	case kindOpportunity:
		return 0
	}
	return itilOf[ttype]
}

// ticketAreaFields are the area's keys of a ticket (Faults): the request type and parent on every ticket,
// is_project/is_opportunity (not in Faults_List: PublishedListRows drops them), and the budget or the
// opportunity fields on the area's tickets. Written values win (finish merges them later).
func (s *Server) ticketAreaFields(r *record, ttype int64) []kv {
	kind, parent := s.ticketKindOf(r)
	out := []kv{{"itil_requesttype_id", itilRequestType(kind, ttype)}, {"parent_id", parent},
		{"is_project", kind == kindProject}, {"is_opportunity", kind == kindOpportunity}}
	g := newRNG(s.opts.Seed, kTicketArea+2, r.id)
	switch kind {
	case kindProject, kindTask:
		budget := float64(8 * (1 + g.intn(20)))
		out = append(out, kv{"tickettype_id", map[ticketKind]int64{kindProject: ttProject, kindTask: ttTask}[kind]},
			kv{"projecttimebudget", f1(budget)}, kv{"projectmoneybudget", money(budget * 95)},
			kv{"projecttimeactual", f1(float64(g.intn(int(budget) + 1)))}, kv{"projectmoneyactual", money(float64(g.intn(int(budget)*95 + 1)))},
			kv{"startdate", naive(dayOf(r.born))}, kv{"targetdate", naive(dayOf(r.born) + int64(30+g.intn(90))*day)})
	case kindOpportunity:
		value := float64(500 * (1 + g.intn(100)))
		converted := sentinel1900
		if g.chance(0.3) {
			converted = naive(r.born + int64(10+g.intn(60))*day)
		}
		first, last := personName(s.opts.Seed, kTicketArea, r.id)
		out = append(out, kv{"tickettype_id", int64(ttOpportunity)}, kv{"oppvalue", money(value)},
			kv{"oppconversionprobability", f1(float64(10 * g.intn(11)))}, kv{"oppprofit", money(value * 0.3)},
			kv{"oppcompanyname", fmt.Sprintf("%s %s", pick(g, companyA), pick(g, companyB))},
			kv{"oppcontactname", first + " " + last}, kv{"oppconverteddate", converted},
			kv{"oppclosurecategory", int64(0)})
	}
	return out
}
