package store

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
)

// Values is a record's typed columns by name, each in its canonical Go form, so two values of one column
// compare with ==, wherever they came from (a record mapped from Halo, the mirror, an outbox row's JSON):
//
//	bigint → int64, numeric → float64, boolean → bool, text → string (empty text is nil, as the mirror
//	stores Halo's ""), timestamptz → time.Time in UTC at microseconds (what Postgres keeps); NULL → nil.
//
// It is the one row representation of the push path; the pull path builds its Row from the same mappers
// and Values reads those rows (Table.ValuesOf).
type Values map[string]any

// Canon converts v, a value of column col in any of the forms above (Go scalars, pointers, named scalar
// types such as halo.Int, values with a Ptr() *time.Time method, or JSON as decoded with UseNumber) into
// its canonical form. It fails on a value the column's type cannot hold.
func (t *Table) Canon(col string, v any) (any, error) {
	typ := t.columnType(col)
	if typ == "" {
		return nil, fmt.Errorf("store: %s has no column %q", t.Entity, col)
	}
	v = deref(v)
	if v == nil {
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("store: %s.%s (%s) cannot hold %T %v", t.Entity, col, typ, v, v)
	}
	switch typ {
	case TypeBigint:
		switch x := v.(type) {
		case json.Number:
			if n, err := x.Int64(); err == nil {
				return n, nil
			}
			f, err := x.Float64()
			if err != nil || f != math.Trunc(f) {
				return bad()
			}
			return int64(f), nil
		case float64:
			if x != math.Trunc(x) {
				return bad()
			}
			return int64(x), nil
		case string:
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return bad()
			}
			return n, nil
		}
		if rv := reflect.ValueOf(v); rv.CanInt() {
			return rv.Int(), nil
		}
	case TypeNumeric:
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return bad()
			}
			return f, nil
		case string:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return bad()
			}
			return f, nil
		}
		if rv := reflect.ValueOf(v); rv.CanFloat() {
			return rv.Float(), nil
		} else if rv.CanInt() {
			return float64(rv.Int()), nil
		}
	case TypeBoolean:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Bool {
			return rv.Bool(), nil
		}
	case TypeText:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
			if rv.String() == "" {
				return nil, nil
			}
			return rv.String(), nil
		}
	case TypeTimestamptz:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Truncate(time.Microsecond), nil
		case string:
			tm, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return bad()
			}
			return tm.UTC().Truncate(time.Microsecond), nil
		}
	}
	return bad()
}

// deref unwraps pointers and values with a Ptr() *time.Time method (halo.Time); nil stays nil.
func deref(v any) any {
	if p, ok := v.(interface{ Ptr() *time.Time }); ok {
		if tp := p.Ptr(); tp != nil {
			return *tp
		}
		return nil
	}
	rv := reflect.ValueOf(v)
	for rv.IsValid() && rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return nil
	}
	return rv.Interface()
}

// CanonAll converts a column → value map (an outbox row's fields or base) into Values; columns t does not
// have are an error.
func (t *Table) CanonAll(m map[string]any) (Values, error) {
	out := make(Values, len(m))
	for k, v := range m {
		c, err := t.Canon(k, v)
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	return out, nil
}

// ValuesOf returns a mapped record's typed columns (keys included) as Values.
func (t *Table) ValuesOf(r Row) (Values, error) {
	out := make(Values, len(t.Keys)+len(t.Columns))
	for i, c := range t.Keys {
		v, err := t.Canon(c.Name, r.Keys[i])
		if err != nil {
			return nil, err
		}
		out[c.Name] = v
	}
	for i, c := range t.Columns {
		v, err := t.Canon(c.Name, r.Values[i])
		if err != nil {
			return nil, err
		}
		out[c.Name] = v
	}
	return out, nil
}

// JSON renders canonical values for a jsonb column (the outbox's fields, base and payload): times as
// RFC 3339, everything else as itself, so Canon reads them back equal.
func (v Values) JSON() ([]byte, error) {
	m := make(map[string]any, len(v))
	for k, x := range v {
		if tm, ok := x.(time.Time); ok {
			x = tm.Format(time.RFC3339Nano)
		}
		m[k] = x
	}
	return json.Marshal(m)
}

func (t *Table) columnType(col string) string {
	for _, c := range t.Keys {
		if c.Name == col {
			return c.Type
		}
	}
	for _, c := range t.Columns {
		if c.Name == col {
			return c.Type
		}
	}
	return ""
}

// ColumnType returns col's Postgres type ("" when t has no such column).
func (t *Table) ColumnType(col string) string { return t.columnType(col) }

// Same reports whether two canonical values (Canon) are equal: times by instant, anything else by ==.
func Same(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}
