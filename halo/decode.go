package halo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Int is a tolerant integer. Halo sends ids as 3, 3.0, -0.0 or "3" depending on the
// endpoint and version, and encoding/json rejects the float forms for an int field, so
// every integer field is decoded through this type. "" and null decode to 0; a number
// with a fractional part is an error rather than a silent truncation.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	s, ok, err := scalarText(b)
	if err != nil {
		return fmt.Errorf("halo: integer: %w", err)
	}
	if !ok || s == "" {
		*n = 0
		return nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = Int(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("halo: %s is not an integer", truncate(string(b), 40))
	}
	if f != math.Trunc(f) || f > math.MaxInt64 || f < math.MinInt64 {
		return fmt.Errorf("halo: %s is not a whole number", truncate(string(b), 40))
	}
	*n = Int(int64(f)) // -0.0 becomes 0
	return nil
}

// MarshalJSON writes a plain JSON integer.
func (n Int) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(n), 10), nil
}

// Float is a tolerant decimal: numbers and numeric strings; "" and null are 0.
type Float float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	s, ok, err := scalarText(b)
	if err != nil {
		return fmt.Errorf("halo: decimal: %w", err)
	}
	if !ok || s == "" {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("halo: %s is not a number", truncate(string(b), 40))
	}
	if v == 0 {
		v = 0 // normalise -0.0
	}
	*f = Float(v)
	return nil
}

// Bool is a tolerant flag: true/false, "true"/"false", 0/1 and "0"/"1". "" and null
// are false.
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	s, ok, err := scalarText(b)
	if err != nil {
		return fmt.Errorf("halo: boolean: %w", err)
	}
	if !ok {
		*v = false
		return nil
	}
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		*v = true
	case "false", "0", "", "no":
		*v = false
	default:
		return fmt.Errorf("halo: %s is not a boolean", truncate(string(b), 40))
	}
	return nil
}

// Time is a nullable Halo timestamp. Valid is false when the key is missing, the
// value is "" or null, or it is one of Halo's "empty" sentinels (any year up to 1901:
// 0001-01-01, 1899-12-30, 1900-01-01, and 1901-01-01Txx:xx used for times of day).
type Time struct {
	Time  time.Time
	Valid bool
}

// Ptr returns a pointer to the time, or nil when the value is not valid.
func (t Time) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// UnmarshalJSON implements json.Unmarshaler using ParseTime.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	var s string
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && bytes.IndexByte(b[1:n-1], '\\') < 0 && bytes.IndexByte(b[1:n-1], '"') < 0 {
		// A plain string without escapes (every timestamp Halo sends):
		// no need for a full JSON decode.
		s = string(b[1 : n-1])
	} else if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("halo: timestamp %s is not a string", truncate(string(b), 40))
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalJSON writes an RFC 3339 UTC string, or null when not valid.
func (t Time) MarshalJSON() ([]byte, error) {
	if !t.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(t.Time.UTC().Format(time.RFC3339Nano))
}

// timeLayouts are tried in order. Go accepts any number of fractional digits after
// the seconds when parsing, so these cover Halo's 0–7 digit .NET "FFFFFFF" output.
var timeLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime is the one timestamp parser for Halo values. It accepts strings with or
// without a zone suffix and 0–7 fractional digits; naive values are UTC (Halo stores
// UTC). "" and sentinel dates (year <= 1901) give Time{Valid: false} and no error.
func ParseTime(s string) (Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Time{}, nil
	}
	for _, layout := range timeLayouts {
		v, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if v.Year() <= 1901 {
			return Time{}, nil
		}
		return Time{Time: v.UTC(), Valid: true}, nil
	}
	return Time{}, fmt.Errorf("halo: cannot parse timestamp %q", truncate(s, 60))
}

// FormatQueryTime formats t for query filters such as lastupdatefromdate:
// "2006-01-02T15:04:05.000Z" in UTC.
func FormatQueryTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// scalarText returns the text of a JSON scalar: the unquoted string, or the literal
// for numbers and booleans. ok is false for null. Objects and arrays are errors.
func scalarText(b []byte) (string, bool, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return "", false, nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", false, err
		}
		return strings.TrimSpace(s), true, nil
	case '{', '[':
		return "", false, fmt.Errorf("unexpected %s", truncate(string(b), 40))
	}
	return string(b), true, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Members splits a JSON object into its members, with the list walk's one
// byte scan (every member validated) and encoding/json as the fallback for
// anything unusual, whose error it returns.
func Members(b []byte) (map[string]json.RawMessage, error) {
	if m, ok := scanEnvelope(b, nil); ok {
		return m, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}
