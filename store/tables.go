package store

import (
	"fmt"

	"github.com/halosync/halosync/internal/entity"
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

// Table describes one mirror table in schema halo, as its entity's declaration (internal/entity) says.
// Keys then Columns give the order of Row.Keys and Row.Values. Columns excludes the bookkeeping columns
// (raw, halo_updated_at, synced_at, deleted_at, which come from Row.Raw and Row.UpdatedAt or are set by
// store) and computed columns (Generated).
type Table struct {
	Entity  string   // entity name, also the key in Tables, e.g. "tickets"
	Name    string   // qualified table name, e.g. "halo.tickets"
	Keys    []Column // primary key columns
	Columns []Column // writable typed columns, in Row.Values order
	// Generated lists computed columns (e.g. agents.inactive = isdisabled); never written by store.
	Generated []string
	// Decl is the entity's declaration.
	Decl *entity.Entity
}

// Tables describes every mirror table by entity name, built from the declarations (a test compares them
// with the database catalogue after the real migrations).
var Tables = map[string]*Table{}

func init() {
	for _, e := range entity.All() {
		Tables[e.Name] = &Table{Entity: e.Name, Name: "halo." + e.Name, Keys: columnsOf(e.Keys),
			Columns: columnsOf(e.Columns), Generated: e.Generated, Decl: e}
	}
}

func columnsOf(cs []entity.Column) []Column {
	out := make([]Column, len(cs))
	for i, c := range cs {
		out[i] = Column{Name: c.Name, Type: c.Kind.PGType()}
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
	norm := make([]any, len(keys))
	for i, k := range keys {
		norm[i] = normalizeValue(k)
	}
	return entity.KeyString(norm)
}

func (t *Table) keyNames() []string {
	names := make([]string, len(t.Keys))
	for i, c := range t.Keys {
		names[i] = c.Name
	}
	return names
}
