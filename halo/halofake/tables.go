package halofake

import (
	"net/http"
	"sort"
	"strings"
)

// table describes one Halo entity: its path, envelope key, scope and renderer.
type table struct {
	api      string // lowercased path segment: "tickets", "client", ...
	name     string // name used by the test hooks: "tickets", "clients", ...
	key      string // envelope key; "" for bare arrays
	scope    string // scope family that covers it; "" = any valid scope
	inactive bool   // hides inactive rows unless includeinactive=true
	lastUpd  string // the entity's own last-update key (bumped on writes)
	rows     []*record
	nextID   int64
	render   func(r *record, full bool) obj
	// list serves GET on the collection when the area's listing has its own rules (the areas of
	// issue 18: paging only with page_no, ignored paging, bounds); nil = serveList's generic listing.
	list func(w http.ResponseWriter, p params)
	// hangs says a list request is never answered (a live timeout); the client's own timeout ends it.
	hangs func(p params) bool
	// get serves GET by id when it is not the rendered record (an attachment's file bytes).
	get func(w http.ResponseWriter, rec *record)
	// readOnly, when set, is the 400 message a POST gets (Halo offers no upsert there).
	readOnly string
	// create checks a new record's fields (Halo's validation on create); nil accepts any.
	create func(fields obj, index int) *writeError
	// onWrite runs after a create or update merged fields into rec: it keeps the stored core (born,
	// inactive…) in step with written fields the area filters on (an appointment's start_date).
	onWrite func(rec *record, fields obj)
}

func newTables(s *Server) map[string]*table {
	ts := []*table{
		{api: "client", name: "clients", key: "clients", scope: "customers", inactive: true, lastUpd: "alastupdate", render: s.renderClient},
		{api: "site", name: "sites", key: "sites", scope: "customers", inactive: true, lastUpd: "slastupdate", render: s.renderSite},
		{api: "users", name: "users", key: "users", scope: "customers", inactive: true, lastUpd: "ulastupdate", render: s.renderUser},
		{api: "agent", name: "agents", scope: "", lastUpd: "last_modified", render: s.renderAgent},
		{api: "tickets", name: "tickets", key: "tickets", scope: "tickets", lastUpd: "last_update", render: s.renderTicket},
		{api: "actions", name: "actions", key: "actions", scope: "tickets"},
		{api: "asset", name: "assets", key: "assets", scope: "assets", inactive: true, lastUpd: "dlastupdate", render: s.renderAsset},
		{api: "clientcontract", name: "contracts", key: "contracts", scope: "contracts", lastUpd: "last_modified", render: s.renderContract},
		{api: "status", name: "statuses", render: s.renderStatus},
		{api: "tickettype", name: "ticket_types", render: s.renderTicketType},
		{api: "team", name: "teams", lastUpd: "last_modified", render: s.renderTeam},
		{api: "priority", name: "priorities", render: s.renderPriority},
	}
	ts = append(ts, s.moreTables()...)
	m := make(map[string]*table, len(ts))
	for _, t := range ts {
		t.nextID = 1
		m[t.api] = t
	}
	return m
}

// moreTables are the areas added with issue 18 (halo-api-more.md), each defined in its own file.
func (s *Server) moreTables() []*table {
	return []*table{
		s.appointmentTable(),
		s.timeEntryTable(), s.timesheetTable(),
		s.invoiceTable(), s.itemTable(), s.quoteTable(), s.supplierTable(),
		s.kbTable(),
		s.organisationTable(), s.topLevelTable(), s.slaTable(), s.categoryTable(), s.outcomeTable(),
		s.fieldInfoTable(),
		s.attachmentTable(),
	}
}

// tableByName resolves a hook entity name ("tickets", "clients", "ticket_types") or an
// API segment ("Client", "tickettype").
func (s *Server) tableByName(entity string) *table {
	e := strings.ToLower(entity)
	if t, ok := s.tables[e]; ok {
		return t
	}
	for _, t := range s.tables {
		if t.name == e {
			return t
		}
	}
	return nil
}

// find returns the record with id (rows are kept sorted by id).
func (t *table) find(id int64) (int, *record) {
	i := sort.Search(len(t.rows), func(i int) bool { return t.rows[i].id >= id })
	if i < len(t.rows) && t.rows[i].id == id {
		return i, t.rows[i]
	}
	return -1, nil
}

func (t *table) remove(i int) {
	t.rows = append(t.rows[:i], t.rows[i+1:]...)
}

func (t *table) insert(r *record) {
	// New ids are always the highest, so appending keeps the order.
	t.rows = append(t.rows, r)
	if r.id >= t.nextID {
		t.nextID = r.id + 1
	}
}

func findAction(r *record, id int64) int {
	for i := range r.actions {
		if r.actions[i].id == id {
			return i
		}
	}
	return -1
}
