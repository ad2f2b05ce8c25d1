package halofake

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Size says how many records Generate creates. Small, Medium and Large are presets; any
// other value is a custom tenant.
type Size struct {
	Name             string
	Clients          int
	Sites            int
	Users            int
	Agents           int // including the "Unassigned" pseudo-agent (id 1) and the API agent (last id)
	Tickets          int
	ActionsPerTicket int // average, including the system "Rule Applied" action
	Assets           int
	Contracts        int
	// The areas of issue 18 (halo-api-more.md); zero means none. Lookups (SLA, Category, Outcome,
	// FieldInfo, Organisation, TopLevel) and InstanceInfo are there whatever the size.
	Appointments  int
	TimeEntries   int // /TimesheetEvent rows, spread over the TimesheetDays before the generation epoch
	TimesheetDays int // /Timesheet: one row per (real) agent per day
	Invoices      int // each with 1–4 lines
	Items         int
	Quotes        int // each with 1–3 lines
	Suppliers     int
	KBArticles    int
	Attachments   int // spread over the tickets
}

// Presets. The new areas stay modest next to the tickets, as on a real tenant (an MSP of 200k
// tickets has thousands of invoices, not hundreds of thousands).
var (
	Small = Size{Name: "small", Clients: 20, Sites: 60, Users: 150, Agents: 15, Tickets: 300, ActionsPerTicket: 3, Assets: 80, Contracts: 15,
		Appointments: 120, TimeEntries: 300, TimesheetDays: 14, Invoices: 60, Items: 40, Quotes: 25, Suppliers: 12, KBArticles: 30, Attachments: 80}
	Medium = Size{Name: "medium", Clients: 500, Sites: 1000, Users: 5000, Agents: 50, Tickets: 20000, ActionsPerTicket: 3, Assets: 2000, Contracts: 200,
		Appointments: 3000, TimeEntries: 4000, TimesheetDays: 30, Invoices: 1500, Items: 300, Quotes: 250, Suppliers: 60, KBArticles: 300, Attachments: 1500}
	Large = Size{Name: "large", Clients: 5000, Sites: 10000, Users: 50000, Agents: 150, Tickets: 200000, ActionsPerTicket: 3, Assets: 20000, Contracts: 1000,
		Appointments: 10000, TimeEntries: 15000, TimesheetDays: 60, Invoices: 5000, Items: 1000, Quotes: 1000, Suppliers: 150, KBArticles: 600, Attachments: 5000}
)

// ParseSize maps "small", "medium" or "large" (any case) to its preset.
func ParseSize(s string) (Size, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "small", "":
		return Small, nil
	case "medium":
		return Medium, nil
	case "large":
		return Large, nil
	}
	return Size{}, fmt.Errorf("halofake: unknown size %q (want small, medium or large)", s)
}

// genEpoch anchors generated history so that it is the same on every run for a seed;
// generated activity lies in the three years before it, writes use the server clock.
var genEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

const (
	day  = int64(24 * time.Hour)
	year = 365 * day
)

// record is the stored core of any entity: only what filtering, ordering and writes
// need. Everything else is rendered from (seed, id) on demand, plus over.
type record struct {
	id         int64
	inactive   bool
	deleted    bool
	born       int64 // creation / dateoccurred (unix ns)
	updated    int64 // last-update timestamp (unix ns)
	lastAction int64 // tickets: lastactiondate
	nextAction int64 // tickets: next action id
	actions    []action
	over       obj             // fields written through POST or the test hooks
	omit       map[string]bool // keys this version of the record lacks (Omit); a write of the key brings it back
}

type action struct {
	id   int64
	at   int64 // datetime (unix ns)
	upd  int64 // last_updated (unix ns): the last write of the action; 0 = its datetime
	sys  bool  // the system "Rule Applied" action
	over obj
}

// ticks rounds a nanosecond instant to .NET's 100ns ticks and, for variety, sometimes
// to milliseconds or whole seconds (so rendered fractions have 0–7 digits).
func ticks(r *rng, n int64) int64 {
	switch r.intn(10) {
	case 0, 1:
		return n - n%int64(time.Second)
	case 2, 3:
		return n - n%int64(time.Millisecond)
	}
	return n - n%100
}

// Generate replaces the tenant's data with a deterministic data set of the given size.
func (s *Server) Generate(size Size) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.size = size
	s.tables = newTables(s)
	s.cf = map[cfKey]any{}
	s.files = map[int64][]byte{}
	simple := s.fill
	simple(s.tables["client"], size.Clients, kClient, 0.05)
	simple(s.tables["site"], size.Sites, kSite, 0.05)
	simple(s.tables["users"], size.Users, kUser, 0.05)
	simple(s.tables["agent"], max(size.Agents, 2), kAgent, 0.05) // ~5% disabled agents
	agents := s.tables["agent"].rows
	agents[0].inactive, agents[len(agents)-1].inactive = false, false // Unassigned and the API agent
	simple(s.tables["asset"], size.Assets, kAsset, 0.05)
	simple(s.tables["clientcontract"], size.Contracts, kContract, 0)
	for _, name := range []string{"status", "tickettype", "team", "priority"} {
		ids := make([]int64, len(lookupDefs[name]))
		for i, d := range lookupDefs[name] {
			ids[i] = d.id
		}
		s.fixedRows(s.tables[name], ids)
	}
	s.generateTickets(size)
	s.generateMore(size)
}

// fill gives t n records (ids 1..n) born in the three years before the epoch, updated since, a share of
// them inactive; values come from the (seed, kind) stream.
func (s *Server) fill(t *table, n int, kind uint64, inactiveShare float64) {
	recs := make([]record, n)
	t.rows = make([]*record, n)
	for i := range recs {
		id := int64(i + 1)
		r := newRNG(s.opts.Seed, kind+200, id)
		born := ticks(r, genEpoch-3*year+r.int63n(3*year-day))
		recs[i] = record{id: id, born: born, updated: ticks(r, born+r.int63n(genEpoch-born)), inactive: r.chance(inactiveShare)}
		t.rows[i] = &recs[i]
	}
	t.nextID = int64(n) + 1
}

// fixedRows gives a lookup table records with the given ids (sorted), born with the tenant.
func (s *Server) fixedRows(t *table, ids []int64) {
	slices.Sort(ids)
	t.rows = make([]*record, len(ids))
	for i, id := range ids {
		t.rows[i] = &record{id: id, born: genEpoch - 3*year, updated: genEpoch - 3*year}
		t.nextID = max(t.nextID, id+1)
	}
}

// generateMore fills the areas of issue 18, each by its own file's generator.
func (s *Server) generateMore(size Size) {
	s.generateAppointments(size.Appointments)
	s.generateTimeEntries(size.TimeEntries, size.TimesheetDays)
	s.generateBilling(size)
	s.generateKB(size.KBArticles)
	s.generateConfig()
	s.generateFieldInfo()
	s.generateAttachments(size.Attachments)
}

func (s *Server) generateTickets(size Size) {
	t := s.tables["tickets"]
	n := size.Tickets
	per := max(size.ActionsPerTicket, 1)
	recs := make([]record, n)
	t.rows = make([]*record, n)
	// One backing array for all generated actions keeps allocation count flat.
	backing := make([]action, 0, n*per+n)
	for i := range recs {
		id := int64(i + 1)
		r := newRNG(s.opts.Seed, kTicketGen, id)
		occurred := ticks(r, genEpoch-2*year+r.int63n(2*year-day))
		k := 1 + r.intn(2*per-1) // 1..2*per-1, average per
		start := len(backing)
		at := occurred + int64(time.Second) + r.int63n(int64(time.Second))
		backing = append(backing, action{id: 1, at: ticks(r, at), sys: true})
		span := min((genEpoch-at)/int64(k+1), 10*day) // follow-ups within days, not years
		for a := 2; a <= k; a++ {
			at += 1 + r.int63n(max(span, 2))
			backing = append(backing, action{id: int64(a), at: ticks(r, at)})
		}
		acts := backing[start:len(backing):len(backing)] // full slice: appends reallocate
		last := acts[len(acts)-1].at
		recs[i] = record{
			id: id, born: occurred, lastAction: last, nextAction: int64(k) + 1, actions: acts,
			updated: ticks(r, last+r.int63n(int64(time.Hour))),
		}
		if r.chance(0.01) {
			recs[i].deleted = true
		}
		t.rows[i] = &recs[i]
	}
	t.nextID = int64(n) + 1
}

// Relations are pure functions of ids, so they need no storage.
func (s *Server) siteOfUser(u int64) int64 {
	if s.size.Sites == 0 {
		return 0
	}
	return (u-1)%int64(s.size.Sites) + 1
}

func (s *Server) clientOfSite(site int64) int64 {
	if s.size.Clients == 0 {
		return 0
	}
	return (site-1)%int64(s.size.Clients) + 1
}

type lookupDef struct {
	id   int64
	name string
	n1   int64 // status type / ticket type group / team department / priority id
	n2   int64 // priority sla id / status sequence
}

// lookupDefs: ids are deliberately not contiguous, like a tenant with history.
var lookupDefs = map[string][]lookupDef{
	"status": {{1, "New", 0, 1}, {2, "In Progress", 0, 2}, {3, "Action Required", 0, 3}, {4, "Waiting on User", 0, 4},
		{5, "Waiting on Supplier", 0, 5}, {8, "On Hold", 0, 6}, {9, "Closed", 0, 8}, {21, "Resolved - Awaiting Confirmation", 0, 7}},
	"tickettype": {{1, "Incident", 1, 0}, {3, "Service Request", 1, 0}, {4, "Problem", 2, 0}, {21, "Change Request", 2, 0}, {36, "General Purpose", 1, 0},
		{ttProject, "Project", 3, 0}, {ttTask, "Project Task", 3, 0}, {ttOpportunity, "Opportunity", 4, 0}},
	"team": {{1, "1st Line Support", 1, 0}, {2, "2nd Line Support", 1, 0}, {5, "Projects", 2, 0}, {7, "Field Engineers", 1, 0},
		{12, "Sales", 3, 0}, {26, "Service Desk", 1, 0}},
	"priority": {{1, "Critical", 1, 1}, {2, "High", 2, 1}, {3, "Medium", 3, 1}, {4, "Low", 4, 1},
		{5, "Critical", 1, 2}, {6, "High", 2, 2}, {7, "Medium", 3, 2}, {8, "Low", 4, 2}},
}

func lookupByID(name string, id int64) (lookupDef, bool) {
	for _, d := range lookupDefs[name] {
		if d.id == id {
			return d, true
		}
	}
	return lookupDef{}, false
}

const closedStatus = 9
