package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCanonOneRepresentation: a value from an outbox row's JSON, from a mapped Halo record and from the
// mirror comes out the same, so the push compares with Same and nothing fuzzier.
func TestCanonOneRepresentation(t *testing.T) {
	tk := Tables["tickets"]
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	n := int64(7)
	s := "Printer"
	empty := ""
	for _, c := range []struct {
		col  string
		vals []any
	}{
		{"client_id", []any{json.Number("7"), json.Number("7.0"), int64(7), &n, 7.0, "7"}},
		{"summary", []any{"Printer", &s}},
		{"details", []any{nil, "", &empty, (*string)(nil)}},
		{"fixbydate", []any{"2026-03-01T12:00:00.123456+00:00", "2026-03-01T13:00:00.123456789+01:00", at, &at}},
	} {
		first, err := tk.Canon(c.col, c.vals[0])
		require.NoError(t, err, c.col)
		for _, v := range c.vals[1:] {
			got, err := tk.Canon(c.col, v)
			require.NoError(t, err, "%s %#v", c.col, v)
			require.True(t, Same(first, got), "%s: %#v vs %#v", c.col, first, got)
		}
	}
	a := Tables["actions"]
	f1, err := a.Canon("timetaken", json.Number("1.50"))
	require.NoError(t, err)
	f2, err := a.Canon("timetaken", 1.5)
	require.NoError(t, err)
	require.True(t, Same(f1, f2))

	_, err = tk.Canon("client_id", "seven")
	require.Error(t, err)
	_, err = tk.Canon("no_such_column", 1)
	require.Error(t, err)
}
