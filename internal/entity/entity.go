// Package entity holds one declaration per mirrored Halo entity: where Halo
// lists it, how it pages, its key, its typed columns (with their Halo field,
// value kind, COMMENT and whether a local edit may change them), its cursor
// and filter strategy, and how a create is correlated. Everything specific to
// an entity lives in its one file here (clients.go, tickets.go, ...); halo's
// list walk, the store's tables, pull, push, check, status and the CLI are
// generic and read the declarations through All and Lookup.
//
// The package sits between halo and store: it uses halo's tolerant decoders
// and paging loop, and store builds its tables from it (store.Tables), so it
// must not import store or sync.
package entity

import (
	"net/url"
	"time"
)

// Entity is the declaration of one mirrored Halo entity. Its table is
// halo.<Name>, with Keys then Columns as typed columns, plus the bookkeeping
// columns every mirror table has (raw, halo_updated_at, synced_at,
// deleted_at) and Generated ones.
type Entity struct {
	// Name is the table name in schema halo and the entity's name everywhere
	// else: job args, halosync.state, rejects, the run ledger, the outbox,
	// the CLI's --entity. Lower case, plural, e.g. "clients".
	Name string
	// Comment is the table's COMMENT ON TABLE text, exactly as the migration
	// writes it (a test compares them).
	Comment string
	// Order places the entity in a complete cycle's pull order (All sorts by
	// it; equal orders sort by Name): lookups first (below 200: statuses,
	// agents, ...: small tables a first sync pulls before the recent
	// tickets, see IsLookup), then organisations and people (200s), records
	// that reference them (300s), tickets (400s).
	Order int

	// Path is Halo's list endpoint, e.g. "/api/Client". A record is read
	// alone with GET Path/{last key}, the other key columns sent as query
	// parameters under their Halo field names (an action: GET
	// /api/Actions/3?ticket_id=42); a push POSTs to Path.
	Path string
	// Envelope lists the keys of the reply object that may hold the rows,
	// first match wins (case-insensitively), e.g. {"clients"}. A bare array
	// reply is always accepted, so nil means Halo answers a bare array.
	Envelope []string
	// Paging is how the list endpoint pages.
	Paging Paging
	// Bounds are the window parameters of a DateBounded endpoint, or of a
	// ByWindow entity's incremental reads (nil otherwise).
	Bounds *Bounds
	// Params are sent on every list request: the switches that make Halo
	// list inactive, disabled or deleted rows too (halo-api.md §10.10: a
	// hidden row would otherwise look deleted), and any that make list rows
	// carry fields the columns need (includehtmlnote for actions).
	Params url.Values
	// Parent, when set, names the entity this one is read under: it is not
	// pulled on its own (All lists it, Pulled does not); its parent's pull
	// reads it, which needs code in sync for that parent (sync/actions.go
	// for tickets' actions). Exactly one of ParentParam and Nested says how:
	//   - ParentParam: one list request per parent record with this query
	//     parameter set to the parent's id (actions: "ticket_id"); such a
	//     list is one unpaged reply;
	//   - Nested: the rows sit in each parent record's JSON under this key
	//     (invoice lines under "lines", asked for with a Params switch of
	//     the parent); the parent's key fills the child's leading key
	//     columns when a row lacks them.
	Parent      string
	ParentParam string
	Nested      string

	// Keys are the primary key columns, in order. Most entities key on
	// {ID}; actions on (ticket_id, id); an entity whose Halo id is always 0
	// keys on the fields that do identify it (timesheets: agent_id, date).
	// Key columns are never NULL, so their Kind is Integer (missing: 0),
	// Text or TextKeep (missing: ""), or Timestamp or Date (missing or a
	// sentinel: the record is a reject), unless Identify computes them.
	Keys []Column
	// Identify, when set, computes the key values from the record's decoded
	// typed columns, for an entity whose identity depends on what the row
	// holds (time entries: their ticket action when they have one, else
	// agent, start and type). Its key columns are then not read from Halo.
	// An error makes the record a reject.
	Identify func(Record) ([]any, error)
	// Columns are the typed columns besides the keys, in table order.
	Columns []Column
	// Generated are computed columns of the table (GENERATED ALWAYS AS ...,
	// e.g. agents.inactive = isdisabled), never written by halosync. Their
	// COMMENT is the migration's business.
	Generated []string

	// UpdatedAt lists the Halo fields that give halo_updated_at, Halo's own
	// last-modified time: the first one present with a valid time wins
	// (tickets: last_update, then lastupdate, then flastupdate). Empty: the
	// entity has none and halo_updated_at stays NULL.
	UpdatedAt []string
	// Interval says which of the worker's pull intervals schedules the
	// entity's incremental pulls (HALOSYNC_INTERVAL_*).
	Interval Interval
	// Filter says how an incremental pull reads the entity (not set for an
	// entity read under a Parent: its parent's pull decides what to read).
	Filter Filter

	// Create says how a locally inserted row is created in Halo without
	// ever creating it twice. Only meaningful for pushable entities.
	Create Create
	// Access is what the API agent needs to see the entity, in the setup
	// guides' words: halosync check's advice when the entity's list fails
	// with 403 or answers no rows. Empty: the generic advice (the
	// permissions for this area and scope all).
	Access string

	// ReadOnly entities refuse every local INSERT, UPDATE or DELETE with an
	// error naming the table (invoices: Halo's financial records are not
	// edited from the mirror). An entity that is not ReadOnly and has no
	// Writable column is simply not pushed.
	ReadOnly bool

	byName map[string]int // index of each key and typed column, by Name (declare fills it)
}

// Column is one typed column of a mirror table.
type Column struct {
	// Name is the Postgres column name, which is Halo's JSON field name.
	Name string
	// Field is the Halo JSON field when it differs from Name ("" = Name).
	// Fields are matched case-insensitively, an exact match first, as
	// encoding/json does.
	Field string
	// Kind is how the JSON value is read and which Postgres type holds it.
	Kind Kind
	// Comment is the column's COMMENT ON COLUMN text, exactly as the
	// migration writes it (a test compares them; the README's schema table
	// is generated from it).
	Comment string
	// Writable columns may be changed by a local INSERT or UPDATE, which is
	// pushed to Halo under Field (halosync.writable_columns is kept equal
	// to the Writable columns of every declaration).
	Writable bool
	// Refers names the entity a Ref column points to (tickets.client_id:
	// "clients"). When that entity is pushable, a push of this record first
	// pushes the referenced record if it was created locally and is not in
	// Halo yet (it has a temporary negative id).
	Refers string
	// Unset is what a push sends for a NULL, when it is not the kind's
	// default ("" for text, 0 for numbers and references, false, and
	// 1900-01-01 for times): tickets' agent_id sends 1, Halo's "Unassigned".
	Unset any
}

// HaloField is the JSON field the column is read from and pushed as.
func (c Column) HaloField() string {
	if c.Field != "" {
		return c.Field
	}
	return c.Name
}

// Kind is how a column's JSON value becomes a Postgres value. Every kind
// accepts the shapes Halo is known to send (halo.Int, halo.Float, halo.Bool,
// halo.Time): 3, 3.0 and "3" for integers; 0/1, "true" and "1" for flags;
// zoned or naive timestamps with 0–7 fractional digits. A value that cannot
// be read (an object where a number belongs, "abc" for an integer) makes the
// whole record a reject; it is never guessed.
type Kind int

const (
	// Text is a string column; "" and a missing field are NULL. A number
	// or boolean is kept as its JSON text (Halo's type for text-ish fields
	// varies between versions: contract status, ticket type use).
	Text Kind = iota + 1
	// TextKeep is Text where "" is kept as "" (a missing field too): names
	// and summaries, which Halo always sends and analysts compare with ''.
	TextKeep
	// Ref is a reference to another record's integer id; 0, negative
	// values (Halo's "none" markers) and a missing field are NULL, so a
	// join never looks for client -1.
	Ref
	// Integer is an integer kept as sent, 0 included; missing is 0.
	Integer
	// IntegerOrNull is an integer kept as sent, 0 included; missing or
	// null is NULL (actions' who_type: 0 means "system").
	IntegerOrNull
	// Numeric is a decimal kept as sent; missing is 0.
	Numeric
	// NumericOrNull is a decimal; missing or null is NULL.
	NumericOrNull
	// Boolean is a flag; missing is false.
	Boolean
	// BooleanOrNull is a flag; missing or null is NULL.
	BooleanOrNull
	// Timestamp is a point in time (timestamptz, UTC). "", null, missing
	// and Halo's sentinel dates (any year up to 1901: 0001-01-01,
	// 1899-12-30, 1900-01-01) are NULL.
	Timestamp
	// Date is a Timestamp that Halo treats as a calendar date: a push
	// writes it at noon as a naive UTC string so no time zone shifts it by
	// a day (halo-api.md §10.18).
	Date
)

// PGType is the Postgres type of the kind's columns.
func (k Kind) PGType() string {
	switch k {
	case Text, TextKeep:
		return "text"
	case Ref, Integer, IntegerOrNull:
		return "bigint"
	case Numeric, NumericOrNull:
		return "numeric"
	case Boolean, BooleanOrNull:
		return "boolean"
	case Timestamp, Date:
		return "timestamptz"
	}
	panic("entity: unknown kind")
}

// Paging is how a list endpoint pages.
type Paging int

const (
	// Paged endpoints are sent pageinate=true, page_size and page_no and
	// walked page by page to a short, empty or repeated page (halo's one
	// paging loop). This also covers endpoints that page only when page_no
	// is sent (appointments, KB): halosync always sends it. Lookups
	// documented as unpaged are Paged too: a tenant that does page them must
	// not be cut to one default page, and one that ignores paging costs one
	// request more at most.
	Paged Paging = iota
	// Unpaged endpoints ignore paging: one request, one reply with every row.
	Unpaged
	// DateBounded endpoints ignore paging and need a datetime window
	// (time entries: start_date/end_date); the pull walks consecutive
	// windows. The window parameters are declared in Bounds.
	DateBounded
)

// Bounds names the datetime window parameters of a DateBounded endpoint
// (or of a ByWindow entity's incremental reads) and what they bound.
type Bounds struct {
	From, To string // query parameters, e.g. "start_date", "end_date"
	// Column is the typed column the window bounds (time entries:
	// start_date): a complete walk of windows reconciles only the rows
	// whose Column lies in the range it walked.
	Column string
	// Recent is how far back from now an incremental pull reads; Ahead how
	// far ahead of now every read reaches (appointments are booked months
	// ahead; time is logged up to now).
	Recent, Ahead time.Duration
}

// Filter says how an entity can be read incrementally.
type Filter int

const (
	// ByFilter entities honour lastupdatefromdate (tickets): an incremental
	// pull lists only the rows changed since the cursor.
	ByFilter Filter = iota + 1
	// TryFilter entities are sent lastupdatefromdate, but Halo may ignore
	// it (clients, sites, assets: documented, never confirmed on a live
	// tenant), so the pull checks whether older rows came back and falls
	// back to a full walk with change detection by content.
	TryFilter
	// FullOnly entities are re-read whole every time: they have no
	// modified-since filter (contracts, agents, lookups) or their list rows
	// carry no timestamp to advance a cursor with (users, halo-api.md §12.6).
	FullOnly
	// ByWindow entities have no modified-since filter but a date window
	// (Bounds) where their changes happen: an incremental pull reads only
	// the rows whose Bounds.Column lies in [now − Recent, now + Ahead]
	// (appointments around today, time logged lately) and tombstones
	// nothing; a full pull (the worker's full interval) reads everything —
	// a DateBounded entity every window since the configured history
	// (HALOSYNC_TIME_HISTORY) — and reconciles.
	ByWindow
)

// Interval names one of the worker's pull intervals.
type Interval int

const (
	// IntervalCustomers (HALOSYNC_INTERVAL_CUSTOMERS, 15 minutes by
	// default) is the default: records that change daily (clients, sites,
	// users, assets, appointments, time…). The variable's description
	// names every entity of each interval (cmd/halosync TestIntervalDescriptions).
	IntervalCustomers Interval = iota
	// IntervalLookups (HALOSYNC_INTERVAL_LOOKUPS, an hour): configuration
	// and records that rarely change (statuses, teams, SLAs, items, invoices…).
	IntervalLookups
	// IntervalTickets (HALOSYNC_INTERVAL_TICKETS, a minute): tickets and
	// what is read with them.
	IntervalTickets
)

// Create says how a push creates a record exactly once.
type Create int

const (
	// NoCreate: the entity is not created from the mirror (not pushable,
	// or ReadOnly).
	NoCreate Create = iota
	// CreateMarked: the create writes a correlation value into the
	// configured create marker field (HALOSYNC_CREATE_MARKER, tickets'
	// third_party_id_string by default), which Halo keeps and returns in
	// list rows; an interrupted create finds its record again by it.
	CreateMarked
	// CreateParked: Halo keeps no field that proves a record ours, so an
	// interrupted create is parked "may already exist in Halo: check and
	// retry" for an operator instead of guessing by content.
	CreateParked
)
