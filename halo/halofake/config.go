package halofake

import (
	"fmt"
	"net/http"
	"strings"
)

// Configuration areas (halo-api-more.md "/Organisation and /TopLevel", "/SLA, /Category, /Outcome",
// "/InstanceInfo"): small lookups whatever the tenant's size.
//   - /Organisation: a bare array, no parameters.
//   - /TopLevel: envelope tree, paged as /Tickets, count honoured; rows carry customfields (live) though
//     Tree_List lacks them.
//   - /SLA, /Category, /Outcome: bare arrays, count and paging ignored. /SLA POST without priorities is
//     refused ("Priority Description must not be blank"). Outcome ids are the actions' outcome_id.
//   - /InstanceInfo: one object with app_version (SetAppVersion simulates an upgrade).

// topLevels are the tenant's top levels; clients and suppliers point at them by toplevel_id.
var topLevels = []string{"UK", "EMEA", "Americas"}

var categoryDefs = []struct {
	id     int64
	value  string
	typeID int64
}{{1, "Hardware", 1}, {2, "Hardware>Laptop", 1}, {3, "Hardware>Printer", 1}, {4, "Software", 1},
	{5, "Software>Email", 1}, {7, "Network", 1}, {8, "Network>VPN", 1}, {11, "User Error", 2},
	{12, "Configuration", 2}, {13, "Fixed", 3}, {14, "Workaround", 3}, {20, "Quick Win", 4}}

// outcomeDefs: ids 1..5 are the outcomes generated actions use (outcomes in names.go); 9 is hidden.
var outcomeDefs = func() []string {
	out := append([]string(nil), outcomes...)
	return append(out, "", "", "", "Legacy Call Log")
}()

const defaultAppVersion = "2.236.133"

func (s *Server) organisationTable() *table {
	t := &table{api: "organisation", name: "organisations", render: s.renderOrganisation}
	t.list = func(w http.ResponseWriter, p params) {
		s.writeList(w, t, params{}, unpaged, func(*record) bool { return true }, nil) // no GET parameters (SW)
	}
	return t
}

func (s *Server) topLevelTable() *table {
	t := &table{api: "toplevel", name: "top_levels", key: "tree", scope: "customers", render: s.renderTopLevel}
	t.list = func(w http.ResponseWriter, p params) {
		s.writeList(w, t, p, pagedAsTickets, func(*record) bool { return true }, nil)
	}
	return t
}

func (s *Server) slaTable() *table {
	t := &table{api: "sla", name: "slas", render: s.renderSLA}
	t.list = func(w http.ResponseWriter, p params) {
		show := p.flag("showpriorities")
		s.writeList(w, t, p, unpaged, func(*record) bool { return true }, func(r *record) obj {
			o := s.listRow(t, r)
			if show {
				o = append(o, kv{"priorities", s.slaPriorities(r.id)})
			}
			return o
		})
	}
	t.create = func(fields obj, index int) *writeError {
		if v, ok := fields.get("priorities"); ok {
			if l, ok := v.([]any); ok && len(l) > 0 {
				return nil
			}
		}
		return &writeError{http.StatusBadRequest, obj{{fmt.Sprintf("[%d].priorities", index), []string{"Priority Description must not be blank"}}}}
	}
	return t
}

func (s *Server) categoryTable() *table {
	t := &table{api: "category", name: "categories", render: s.renderCategory}
	t.list = func(w http.ResponseWriter, p params) {
		typeID, byType := int64(p.int("type_id")), p.has("type_id")
		s.writeList(w, t, p, unpaged, func(r *record) bool {
			if !byType {
				return true
			}
			v, _ := s.renderCategory(r, false).get("type_id")
			n, _ := asInt(v)
			return n == typeID
		}, nil)
	}
	return t
}

func (s *Server) outcomeTable() *table {
	t := &table{api: "outcome", name: "outcomes", render: s.renderOutcome}
	t.list = func(w http.ResponseWriter, p params) {
		hidden := p.flag("showhidden")
		s.writeList(w, t, p, unpaged, func(r *record) bool { return hidden || !outcomeHidden(r.id) }, nil)
	}
	return t
}

func outcomeHidden(id int64) bool { return id == 9 }

func (s *Server) generateConfig() {
	s.fixedRows(s.tables["organisation"], []int64{1})
	s.fixedRows(s.tables["toplevel"], []int64{1, 2, 3})
	s.fixedRows(s.tables["sla"], []int64{1, 2})
	ids := make([]int64, len(categoryDefs))
	for i, c := range categoryDefs {
		ids[i] = c.id
	}
	s.fixedRows(s.tables["category"], ids)
	ids = nil
	for i, name := range outcomeDefs {
		if name != "" {
			ids = append(ids, int64(i+1))
		}
	}
	s.fixedRows(s.tables["outcome"], ids)
}

func (s *Server) renderOrganisation(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kLookup+20, r.id)
	o := obj{{"id", r.id}, {"guid", g.guid()}, {"name", "Managed Services Provider Ltd"}, {"email", "support@msp.example"},
		{"phone", "+44 20 7946 0000"}, {"website", "https://msp.example"}, {"address", "1 High Street\nLondon"},
		{"tax_number", "GB123456789"}, {"portalurl", "https://support.msp.example"}}
	if full {
		o = append(o, kv{"linked_client_id", int64(0)}, kv{"customfields", []obj{}})
	}
	return finish(o, r)
}

func (s *Server) renderTopLevel(r *record, _ bool) obj {
	g := newRNG(s.opts.Seed, kLookup+30, r.id)
	name := "Unnamed"
	if r.id >= 1 && int(r.id) <= len(topLevels) {
		name = topLevels[r.id-1]
	}
	return finish(obj{{"id", r.id}, {"guid", g.guid()}, {"name", name}, {"long_name", name + " customers"},
		{"organisation_id", int64(1)}, {"organisation_name", "Managed Services Provider Ltd"}, {"type", int64(0)},
		{"customfields", []obj{}}}, r)
}

func (s *Server) renderSLA(r *record, _ bool) obj {
	g := newRNG(s.opts.Seed, kLookup+40, r.id)
	name := map[int64]string{1: "Incident SLA", 2: "Gold SLA"}[r.id]
	return finish(obj{{"id", r.id}, {"guid", g.guid()}, {"name", name}, {"workday_id", int64(1)},
		{"hoursaretechslocaltime", false}, {"responsereset", false}, {"trackslaresponsetime", true},
		{"trackslafixbytime", true}, {"autoreleaseoption", false}, {"autoreleaselimit", int64(0)},
		{"slstatusafterbreach", int64(0)}}, r)
}

func (s *Server) slaPriorities(sla int64) []obj {
	out := []obj{}
	for _, d := range lookupDefs["priority"] {
		if d.n2 == sla {
			out = append(out, s.renderPriority(&record{id: d.id}, false))
		}
	}
	return out
}

func (s *Server) renderCategory(r *record, _ bool) obj {
	g := newRNG(s.opts.Seed, kLookup+50, r.id)
	value, typeID := "", int64(1)
	for _, c := range categoryDefs {
		if c.id == r.id {
			value, typeID = c.value, c.typeID
		}
	}
	name := value
	if i := strings.LastIndex(value, ">"); i >= 0 {
		name = value[i+1:]
	}
	return finish(obj{{"id", r.id}, {"guid", g.guid()}, {"value", value}, {"category_name", name},
		{"type_id", typeID}, {"category_group_id", int64(0)}, {"sla_id", int64(0)}, {"priority_id", int64(0)},
		{"chargerate", int64(0)}}, r)
}

// renderOutcome: real rows have 230+ keys; a handful of the configuration keys stand for them.
func (s *Server) renderOutcome(r *record, _ bool) obj {
	name := ""
	if r.id >= 1 && int(r.id) <= len(outcomeDefs) {
		name = outcomeDefs[r.id-1]
	}
	g := newRNG(s.opts.Seed, kLookup+60, r.id)
	return finish(obj{{"id", r.id}, {"outcome", name}, {"buttonname", name}, {"labellong", name},
		{"sequence", r.id * 10}, {"hidden", outcomeHidden(r.id)}, {"systemid", int64(0)}, {"newstatus", int64(0)},
		{"colour", pick(g, colours)}, {"icon", "fa-comment"}, {"defaultnonbill", false}, {"defaultmanhrs", f1(0)},
		{"chargerate", int64(0)}, {"apptcompletetimetype", int64(0)}, {"actionvisibility", int64(0)}}, r)
}

// serveInstanceInfo answers /api/InstanceInfo: one object, no parameters.
func (s *Server) serveInstanceInfo(w http.ResponseWriter) {
	s.mu.RLock()
	v, agents := s.appVersion, max(s.size.Agents-2, 0)
	s.mu.RUnlock()
	writeJSONStatus(w, http.StatusOK, obj{{"app_name", "HaloPSA"}, {"app_version", v},
		{"database_version", v}, {"dbid", "halofake"}, {"hosted_group", "US16-Stable8"},
		{"tenant_id", s.opts.Tenant}, {"auth_url", ""}, {"portal_url", ""}, {"nhserver_version", v},
		{"last_task_run", naive(s.stamp())}, {"agent_count", int64(agents)},
		{"using_halo_integrator", false}})
}

// SetAppVersion changes /InstanceInfo's app_version, as a Halo upgrade does.
func (s *Server) SetAppVersion(v string) {
	s.mu.Lock()
	s.appVersion = v
	s.mu.Unlock()
}
