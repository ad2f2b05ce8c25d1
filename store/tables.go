package store

import (
	"fmt"
	"strings"
)

// Postgres column types used by the mirror.
const (
	TypeBigint      = "bigint"
	TypeBoolean     = "boolean"
	TypeNumeric     = "numeric"
	TypeText        = "text"
	TypeTimestamptz = "timestamptz"
)

// Column is one typed column of a mirror table. Type is the Postgres type.
type Column struct {
	Name string
	Type string
}

// Table describes one mirror table in schema halo. Keys then Columns give the order of Row.Keys and
// Row.Values. Columns excludes the bookkeeping columns (raw, halo_updated_at, synced_at, deleted_at, which
// come from Row.Raw and Row.UpdatedAt or are set by store) and computed columns (Generated).
type Table struct {
	Entity  string   // entity name, also the key in Tables, e.g. "tickets"
	Name    string   // qualified table name, e.g. "halo.tickets"
	Keys    []Column // primary key columns
	Columns []Column // writable typed columns, in Row.Values order
	// Generated lists computed columns (e.g. agents.inactive = isdisabled); never written by store.
	Generated []string
}

// Tables describes every mirror table by entity name. It matches the migrations exactly (00001_mirror.sql,
// plus the columns later files add; a test compares it with the database catalogue).
var Tables = map[string]*Table{}

func init() {
	for _, t := range []*Table{
		table("clients", ids, cols(
			"name text", "toplevel_id bigint", "toplevel_name text", "inactive boolean", "main_site_id bigint",
			"is_vip boolean", "datecreated timestamptz")),
		table("sites", ids, cols(
			"name text", "client_id bigint", "client_name text", "clientsite_name text", "inactive boolean",
			"timezone text", "sla_id bigint", "datecreated timestamptz")),
		table("users", ids, cols(
			"name text", "firstname text", "surname text", "emailaddress text", "site_id bigint", "site_name text",
			"client_id bigint", "client_name text", "inactive boolean", "isserviceaccount boolean",
			"linked_agent_id bigint", "datecreated timestamptz")),
		table("agents", ids, cols(
			"name text", "email text", "firstname text", "surname text", "initials text", "isdisabled boolean",
			"team text", "isapiagent boolean"), "inactive"),
		table("tickets", ids, cols(
			"summary text", "details text", "details_html text", "client_id bigint", "client_name text",
			"site_id bigint", "site_name text", "user_id bigint", "user_name text", "agent_id bigint", "team text",
			"team_id bigint", "status_id bigint", "priority_id bigint", "tickettype_id bigint", "sla_id bigint",
			"category_1 text", "thirdpartynumber text", "contract_id bigint", "deleted boolean",
			"hasbeenclosed boolean", "onhold boolean", "inactive boolean", "dateoccurred timestamptz",
			"datecreated timestamptz", "dateclosed timestamptz", "fixbydate timestamptz",
			"respondbydate timestamptz", "targetdate timestamptz", "lastactiondate timestamptz")),
		table("actions", cols("ticket_id bigint", "id bigint"), cols(
			"outcome text", "outcome_id bigint", "who text", "who_agentid bigint", "actionby_agent_id bigint",
			"note text", "note_html text", "hiddenfromuser boolean", "important boolean", "new_status bigint",
			"timetaken numeric", "datetime timestamptz", "actiondatecreated timestamptz",
			// added by migration 00011 (report fields)
			"old_status bigint", "who_type bigint", "actisbillable boolean", "actionchargehours numeric",
			"actionnonchargehours numeric", "nonbilltime numeric")),
		table("assets", ids, cols(
			"inventory_number text", "key_field text", "client_id bigint", "client_name text", "site_id bigint",
			"site_name text", "assettype_id bigint", "assettype_name text", "status_id bigint", "inactive boolean",
			"status_name text")), // status_name: migration 00011
		table("contracts", ids, cols(
			"client_id bigint", "client_name text", "site_id bigint", "ref text", "start_date timestamptz",
			"end_date timestamptz", "expired boolean", "active boolean", "status text", "contract_status text",
			"billingperiod bigint"), "inactive"),
		table("statuses", ids, cols(
			"name text", "shortname text", "type bigint", "sequence bigint", "colour text")),
		table("ticket_types", ids, cols(
			"name text", "use text", "group_id bigint", "visible boolean", "inactive boolean")),
		table("teams", ids, cols("name text", "inactive boolean", "department_id bigint")),
		table("priorities", cols("id text"), cols(
			"priorityid bigint", "slaid bigint", "name text", "ishidden boolean", "colour text",
			// SLA targets, migration 00011
			"fixtime numeric", "fixunits text", "responsetime numeric", "responseunits text")),
		// migration 00015; the values of records' custom fields are not a Halo entity of their own: see
		// customfields.go
		table("custom_fields", ids, cols(
			"name text", "label text", "type bigint", "inputtype bigint", "custom boolean", "mandatory boolean",
			"characterlimit bigint", "usage bigint")),
	} {
		Tables[t.Entity] = t
	}
}

var ids = cols("id bigint")

func table(entity string, keys, columns []Column, generated ...string) *Table {
	return &Table{Entity: entity, Name: "halo." + entity, Keys: keys, Columns: columns, Generated: generated}
}

func cols(specs ...string) []Column {
	out := make([]Column, len(specs))
	for i, s := range specs {
		name, typ, ok := strings.Cut(s, " ")
		if !ok {
			panic("store: bad column spec " + s)
		}
		out[i] = Column{Name: name, Type: typ}
	}
	return out
}

// TableFor returns the table for entity, or an error naming the unknown entity.
func TableFor(entity string) (*Table, error) {
	t, ok := Tables[entity]
	if !ok {
		return nil, fmt.Errorf("store: unknown entity %q", entity)
	}
	return t, nil
}

// HasColumn reports whether name is one of t's key or writable columns.
func (t *Table) HasColumn(name string) bool {
	for _, c := range t.all() {
		if c.Name == name {
			return true
		}
	}
	return false
}

// all returns Keys followed by Columns.
func (t *Table) all() []Column {
	return append(append([]Column(nil), t.Keys...), t.Columns...)
}

// KeyString renders a row's key as text, as stored in halosync.rejects.record_key: "42", or "42/3" for
// actions (ticket_id/id).
func (t *Table) KeyString(keys []any) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprint(normalizeValue(k))
	}
	return strings.Join(parts, "/")
}

func (t *Table) keyNames() []string {
	names := make([]string, len(t.Keys))
	for i, c := range t.Keys {
		names[i] = c.Name
	}
	return names
}
