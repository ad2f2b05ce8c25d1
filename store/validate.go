package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// timePtr is satisfied by halo.Time (Ptr returns nil when unset), so callers may pass it as a value
// directly; store itself does not import halo.
type timePtr interface{ Ptr() *time.Time }

// normalizeValue turns values pgx cannot encode directly into ones it can.
func normalizeValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case timePtr:
		if p := x.Ptr(); p != nil {
			return *p
		}
		return nil
	}
	return v
}

// columnValue prepares v for a column of type typ. Text columns accept any scalar (Halo sometimes sends a
// number where text is documented): non-strings are rendered with fmt.
func columnValue(typ string, v any) any {
	v = normalizeValue(v)
	if v == nil || typ != TypeText {
		return v
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.String {
		return rv.String()
	}
	return fmt.Sprint(rv.Interface())
}

// checkValue reports why Postgres would refuse v: text must be valid UTF-8 without NUL bytes.
func checkValue(v any) error {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.String {
		return nil
	}
	s := rv.String()
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("text contains a NUL byte (Postgres text cannot store \\u0000)")
	}
	if !utf8.ValidString(s) {
		return errors.New("text is not valid UTF-8")
	}
	return nil
}

// CheckRaw reports why raw cannot be stored as jsonb: empty, invalid UTF-8, invalid JSON, a \u0000 escape
// or an unpaired UTF-16 surrogate escape (Postgres jsonb refuses both). nil means storable.
func CheckRaw(raw []byte) error {
	switch {
	case len(raw) == 0:
		return errors.New("raw JSON is empty")
	case !utf8.Valid(raw):
		return errors.New("raw JSON is not valid UTF-8")
	case !json.Valid(raw):
		return errors.New("raw is not valid JSON")
	}
	return checkEscapes(raw)
}

// checkEscapes walks the \uXXXX escapes of valid JSON. Escaped backslashes are skipped as a pair, so
// "\\u0000" (a literal backslash then u0000) is correctly accepted.
func checkEscapes(raw []byte) error {
	pendingHigh := false
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			if pendingHigh {
				return errors.New("raw JSON has an unpaired UTF-16 surrogate escape (jsonb refuses it)")
			}
			continue
		}
		i++ // raw[i] is the escaped character; json.Valid guarantees it exists
		if raw[i] != 'u' {
			if pendingHigh {
				return errors.New("raw JSON has an unpaired UTF-16 surrogate escape (jsonb refuses it)")
			}
			continue
		}
		var r rune
		for _, c := range raw[i+1 : i+5] {
			r = r<<4 | rune(hexVal(c))
		}
		i += 4
		switch {
		case r == 0:
			return errors.New("raw JSON contains \\u0000 (jsonb cannot store NUL)")
		case r >= 0xD800 && r <= 0xDBFF:
			if pendingHigh {
				return errors.New("raw JSON has an unpaired UTF-16 surrogate escape (jsonb refuses it)")
			}
			pendingHigh = true
		case r >= 0xDC00 && r <= 0xDFFF:
			if !pendingHigh {
				return errors.New("raw JSON has an unpaired UTF-16 surrogate escape (jsonb refuses it)")
			}
			pendingHigh = false
		default:
			if pendingHigh {
				return errors.New("raw JSON has an unpaired UTF-16 surrogate escape (jsonb refuses it)")
			}
		}
	}
	if pendingHigh {
		return errors.New("raw JSON has an unpaired UTF-16 surrogate escape (jsonb refuses it)")
	}
	return nil
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// checkRow reports why r cannot be stored in t (nil when it can). Shape errors (wrong number of values) are
// programming errors and are returned separately by Upsert, not as rejects.
func (t *Table) checkRow(r Row) error {
	for i, k := range r.Keys {
		if normalizeValue(k) == nil {
			return fmt.Errorf("key %s is null", t.Keys[i].Name)
		}
		if t.Keys[i].Type == TypeBigint {
			// Halo's ids are positive: 0 is its "none", and negative ids
			// are the mirror's own temporary ids of pending local creates,
			// which a record from Halo must never overwrite.
			if n, err := toInt64(k); err == nil && n <= 0 {
				return fmt.Errorf("key %s is %d: Halo ids are positive (0 means none; negative ids are the mirror's pending local creates)", t.Keys[i].Name, n)
			}
		}
		if err := checkValue(columnValue(t.Keys[i].Type, k)); err != nil {
			return fmt.Errorf("key %s: %w", t.Keys[i].Name, err)
		}
	}
	for i, v := range r.Values {
		if err := checkValue(columnValue(t.Columns[i].Type, v)); err != nil {
			return fmt.Errorf("column %s: %w", t.Columns[i].Name, err)
		}
	}
	if err := r.checkRaw(); err != nil {
		return err
	}
	return nil
}

func (t *Table) checkShape(r Row) error {
	if len(r.Keys) != len(t.Keys) || len(r.Values) != len(t.Columns) {
		return fmt.Errorf("store: %s row has %d keys and %d values, want %d and %d",
			t.Entity, len(r.Keys), len(r.Values), len(t.Keys), len(t.Columns))
	}
	return nil
}
