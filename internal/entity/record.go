package entity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/halosync/halosync/halo"
)

// Record is one Halo record decoded by its declaration: the values of its
// key and typed columns, in declaration order, ready to store. A value is nil
// (NULL) or an int64, float64, bool, string or time.Time, as its Kind says.
type Record struct {
	Keys   []any
	Values []any
	// Raw is the record exactly as Halo sent it.
	Raw json.RawMessage
	// UpdatedAt is Halo's last-modified time of the record (the first valid
	// of the declaration's UpdatedAt fields), nil when it has none.
	UpdatedAt *time.Time

	entity *Entity
	absent []int // indexes (Keys then Columns) of columns whose field the record lacks
}

// Entity is the declaration the record was decoded by.
func (r Record) Entity() *Entity { return r.entity }

// Value returns the value of the key or typed column named col (nil for an
// unknown column).
func (r Record) Value(col string) any {
	i, ok := r.entity.byName[col]
	if !ok {
		return nil
	}
	if i < len(r.Keys) {
		return r.Keys[i]
	}
	return r.Values[i-len(r.Keys)]
}

// Sent reports whether the record carried col's field at all: a list row
// lacking a field says nothing about it (tickets' list rows carry no
// deleted), while a row saying false does.
func (r Record) Sent(col string) bool {
	i, ok := r.entity.byName[col]
	if !ok {
		return false
	}
	for _, a := range r.absent {
		if a == i {
			return false
		}
	}
	return true
}

// KeyString renders keys as halosync names a record in rejects, the outbox
// and logs: "42", or "42/3" for an action (ticket_id/id).
func KeyString(keys []any) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		if t, ok := k.(time.Time); ok {
			parts[i] = t.UTC().Format(time.RFC3339Nano)
			continue
		}
		parts[i] = fmt.Sprint(k)
	}
	return strings.Join(parts, "/")
}

// Decode reads one record of e from Halo's JSON object. An error means the
// record cannot be stored as Halo sent it (a reject), never that a field was
// missing: a missing field is NULL, or its kind's zero.
func (e *Entity) Decode(raw json.RawMessage) (Record, error) {
	return e.DecodeKeyed(raw, nil)
}

// DecodeKeyed is Decode for a record whose key is known from the request
// (GET by key, a POST's reply): a key column the record lacks or sends as 0
// or "" takes the known value (GET /api/Actions/{id} may omit ticket_id).
func (e *Entity) DecodeKeyed(raw json.RawMessage, known []any) (Record, error) {
	obj, err := object(raw)
	if err != nil {
		return Record{}, err
	}
	rec := Record{entity: e, Raw: append(json.RawMessage(nil), raw...),
		Keys: make([]any, len(e.Keys)), Values: make([]any, len(e.Columns))}
	for i, c := range e.allColumns() {
		if i < len(e.Keys) && e.Identify != nil {
			continue // computed below
		}
		v, ok := obj.get(c.HaloField())
		if !ok {
			rec.absent = append(rec.absent, i)
		}
		val, err := c.Kind.read(v)
		if err != nil {
			return Record{}, fmt.Errorf("field %s: %w", c.HaloField(), err)
		}
		if i < len(e.Keys) {
			if (val == nil || val == int64(0) || val == "") && i < len(known) && known[i] != nil {
				val = known[i]
			}
			if val == nil {
				if val = c.Kind.zero(); val == nil {
					return Record{}, fmt.Errorf("key field %s is missing", c.HaloField())
				}
			}
			rec.Keys[i] = val
		} else {
			rec.Values[i-len(e.Keys)] = val
		}
	}
	if e.Identify != nil {
		if rec.Keys, err = e.Identify(rec); err != nil {
			return Record{}, fmt.Errorf("key: %w", err)
		}
	}
	for _, f := range e.UpdatedAt {
		var t halo.Time
		if v, ok := obj.get(f); ok {
			if err := t.UnmarshalJSON(v); err != nil {
				return Record{}, fmt.Errorf("field %s: %w", f, err)
			}
		}
		if t.Valid && rec.UpdatedAt == nil {
			rec.UpdatedAt = t.Ptr()
		}
	}
	return rec, nil
}

// members is a record's top-level JSON object, by field name.
type members struct {
	exact map[string]json.RawMessage
	// folded is built on the first miss: nil while unknown, empty when every
	// name is already lower case (Halo's usual), so a miss is definite.
	folded map[string]json.RawMessage
}

func object(raw json.RawMessage) (*members, error) {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("record is not a JSON object: %.40s", b)
	}
	m, err := halo.Members(b)
	if err != nil {
		return nil, err
	}
	return &members{exact: m}, nil
}

// get finds a field as encoding/json does: the exact name, else a
// case-insensitive match. null counts as present. Declared names are lower
// case.
func (m *members) get(name string) (json.RawMessage, bool) {
	if v, ok := m.exact[name]; ok {
		return v, true
	}
	if m.folded == nil {
		m.folded = map[string]json.RawMessage{}
		for k, v := range m.exact {
			if l := strings.ToLower(k); l != k {
				m.folded[l] = v
			}
		}
	}
	v, ok := m.folded[strings.ToLower(name)]
	return v, ok
}

// read converts one JSON value (nil: the field is missing) to the kind's Go
// value, nil for NULL.
func (k Kind) read(v json.RawMessage) (any, error) {
	isNull := len(v) == 0 || bytes.Equal(bytes.TrimSpace(v), []byte("null"))
	switch k {
	case Text, TextKeep:
		s, err := text(v, isNull)
		if err != nil {
			return nil, err
		}
		if s == "" && k == Text {
			return nil, nil
		}
		return s, nil
	case Ref, Integer, IntegerOrNull:
		if isNull {
			if k == Integer {
				return int64(0), nil
			}
			return nil, nil
		}
		var n halo.Int
		if err := n.UnmarshalJSON(v); err != nil {
			return nil, err
		}
		if k == Ref && n <= 0 {
			return nil, nil
		}
		return int64(n), nil
	case Numeric, NumericOrNull:
		if isNull {
			if k == Numeric {
				return float64(0), nil
			}
			return nil, nil
		}
		var f halo.Float
		if err := f.UnmarshalJSON(v); err != nil {
			return nil, err
		}
		return float64(f), nil
	case Boolean, BooleanOrNull:
		if isNull {
			if k == Boolean {
				return false, nil
			}
			return nil, nil
		}
		var b halo.Bool
		if err := b.UnmarshalJSON(v); err != nil {
			return nil, err
		}
		return bool(b), nil
	case Timestamp, Date:
		if isNull {
			return nil, nil
		}
		var t halo.Time
		if err := t.UnmarshalJSON(v); err != nil {
			return nil, err
		}
		if !t.Valid {
			return nil, nil
		}
		return t.Time, nil
	}
	return nil, fmt.Errorf("entity: unknown kind %d", k)
}

// zero is the value a key column takes when Halo sends nothing for it; nil
// when it cannot have one.
func (k Kind) zero() any {
	switch k {
	case Integer:
		return int64(0)
	case Text, TextKeep:
		return ""
	}
	return nil
}

// text reads a text field: a JSON string as is, a number or boolean as its
// JSON text; an object or array is an error.
func text(v json.RawMessage, isNull bool) (string, error) {
	if isNull {
		return "", nil
	}
	v = bytes.TrimSpace(v)
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		return s, nil
	case '{', '[':
		return "", errors.New("expected text, got an object or array")
	}
	return string(v), nil
}
