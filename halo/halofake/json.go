package halofake

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// kv is one key of an ordered JSON object. Halo's bodies have a stable key order and
// decoders in the wild have been bitten by assuming otherwise, so the fake keeps order.
type kv struct {
	k string
	v any
}

// obj is an ordered JSON object. It is cheaper than map[string]any for the short-lived
// records rendered per request and it keeps Halo's key order.
type obj []kv

func (o obj) get(k string) (any, bool) {
	for _, e := range o {
		if e.k == k {
			return e.v, true
		}
	}
	return nil, false
}

// set replaces the value of k or appends it.
func (o *obj) set(k string, v any) {
	for i := range *o {
		if (*o)[i].k == k {
			(*o)[i].v = v
			return
		}
	}
	*o = append(*o, kv{k, v})
}

func (o *obj) del(k string) {
	for i := range *o {
		if (*o)[i].k == k {
			*o = append((*o)[:i], (*o)[i+1:]...)
			return
		}
	}
}

// rename moves the value of from to key to, keeping its position.
func (o obj) rename(from, to string) {
	for i := range o {
		if o[i].k == from {
			o[i].k = to
			return
		}
	}
}

// merge applies over on top of o (supplied fields win, new keys are appended).
func (o *obj) merge(over obj) {
	for _, e := range over {
		o.set(e.k, e.v)
	}
}

func (o obj) clone() obj { return append(obj(nil), o...) }

// MarshalJSON writes the keys in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case obj:
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, e.k)
			b.WriteByte(':')
			if err := writeJSON(b, e.v); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []obj:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case string:
		writeString(b, x)
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case f1:
		b.WriteString(x.String())
	case json.Number:
		b.WriteString(x.String())
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(raw)
	}
	return nil
}

// writeString escapes like Newtonsoft.Json: quotes, backslashes and control characters
// only. HTML characters stay literal ("<p>"), unlike encoding/json's \u003c.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// f1 is a float that always prints a decimal point, the way .NET serialises doubles:
// 12.0 and -0.0 rather than Go's 12 and -0 (halo-api.md §12.2).
type f1 float64

func (f f1) String() string {
	v := float64(f)
	if v == 0 && math.Signbit(v) {
		return "-0.0"
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// MarshalJSON keeps the decimal point when f1 is marshalled by encoding/json.
func (f f1) MarshalJSON() ([]byte, error) { return []byte(f.String()), nil }

var negZero = f1(math.Copysign(0, -1))

// Sentinel dates Halo uses for "no date" (halo-api.md §6, §12.4).
const (
	sentinel1900 = "1900-01-01T00:00:00"
	sentinel1899 = "1899-12-30T00:00:00"
	sentinel0001 = "0001-01-01T00:00:00"
)

// netTime formats t the way .NET's "FFFFFFF" does: 100ns ticks with trailing zeros
// dropped, so 0 to 7 fractional digits (halo-api.md §12.1).
func netTime(t time.Time, zulu bool) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	if frac := t.Nanosecond() / 100; frac > 0 {
		d := strconv.Itoa(frac)
		d = strings.Repeat("0", 7-len(d)) + d
		s += "." + strings.TrimRight(d, "0")
	}
	if zulu {
		s += "Z"
	}
	return s
}

// tz formats a unix-nano instant with Z (ticket-level times).
func tz(n int64) string { return netTime(time.Unix(0, n), true) }

// naive formats a unix-nano instant without a zone (entity last-update fields).
func naive(n int64) string { return netTime(time.Unix(0, n), false) }

// parseQueryTime accepts the forms clients send in lastupdatefromdate & co: with or
// without Z or an offset, 0–7 (or more) fractional digits, date only. Naive is UTC.
func parseQueryTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
