package halo

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestInt_UnmarshalJSON(t *testing.T) {
	t.Parallel()

	ok := map[string]int64{
		`3`: 3, `3.0`: 3, `-0.0`: 0, `-0`: 0, `"3"`: 3, `" 42 "`: 42, `""`: 0, `null`: 0,
		`-1`: -1, `12.0`: 12, `"18.0"`: 18, `1e3`: 1000, `9007199254740993`: 9007199254740993,
	}
	for in, want := range ok {
		var n Int
		require.NoError(t, json.Unmarshal([]byte(in), &n), in)
		require.Equal(t, Int(want), n, in)
	}
	for _, in := range []string{`3.5`, `"abc"`, `true`, `{}`, `[1]`} {
		var n Int
		require.Error(t, json.Unmarshal([]byte(in), &n), in)
	}

	b, err := json.Marshal(struct{ N Int }{N: 7})
	require.NoError(t, err)
	require.JSONEq(t, `{"N":7}`, string(b))
}

func TestFloat_UnmarshalJSON(t *testing.T) {
	t.Parallel()

	ok := map[string]float64{`0.25`: 0.25, `10.0`: 10, `-0.0`: 0, `"1.5"`: 1.5, `""`: 0, `null`: 0, `3`: 3}
	for in, want := range ok {
		var f Float
		require.NoError(t, json.Unmarshal([]byte(in), &f), in)
		require.Equal(t, Float(want), f, in)
		require.False(t, math.Signbit(float64(f)), "negative zero must be normalised: %s", in)
	}
	var f Float
	require.Error(t, json.Unmarshal([]byte(`"x"`), &f))
}

func TestBool_UnmarshalJSON(t *testing.T) {
	t.Parallel()

	ok := map[string]bool{`true`: true, `false`: false, `"true"`: true, `"False"`: false, `1`: true, `0`: false,
		`"1"`: true, `"0"`: false, `""`: false, `null`: false}
	for in, want := range ok {
		var v Bool
		require.NoError(t, json.Unmarshal([]byte(in), &v), in)
		require.Equal(t, Bool(want), v, in)
	}
	var v Bool
	require.Error(t, json.Unmarshal([]byte(`"maybe"`), &v))
	require.Error(t, json.Unmarshal([]byte(`2`), &v))
}

func TestParseTime(t *testing.T) {
	t.Parallel()

	t.Run("Sentinels", func(t *testing.T) {
		t.Parallel()
		for _, s := range []string{"1900-01-01T00:00:00", "1899-12-30T00:00:00", "0001-01-01T00:00:00",
			"1901-01-01T08:30:00", "1900-01-01T00:00:00Z", "", "  "} {
			got, err := ParseTime(s)
			require.NoError(t, err, s)
			require.False(t, got.Valid, s)
			require.Nil(t, got.Ptr(), s)
		}
	})

	t.Run("FractionalDigits", func(t *testing.T) {
		t.Parallel()
		base := time.Date(2024, 8, 12, 15, 54, 55, 0, time.UTC)
		fracs := []struct {
			frac string
			ns   int
		}{
			{"", 0}, {".8", 800000000}, {".83", 830000000}, {".839", 839000000}, {".8395", 839500000},
			{".83952", 839520000}, {".839520", 839520000}, {".8395207", 839520700},
		}
		for _, f := range fracs {
			want := base.Add(time.Duration(f.ns))
			for _, zone := range []string{"Z", ""} {
				s := "2024-08-12T15:54:55" + f.frac + zone
				got, err := ParseTime(s)
				require.NoError(t, err, s)
				require.True(t, got.Valid, s)
				require.True(t, want.Equal(got.Time), "%s: got %s", s, got.Time)
				require.Equal(t, time.UTC, got.Time.Location(), s)
			}
		}
	})

	t.Run("OffsetAndNaive", func(t *testing.T) {
		t.Parallel()
		got, err := ParseTime("2024-06-20T15:45:17+01:00")
		require.NoError(t, err)
		require.True(t, got.Time.Equal(time.Date(2024, 6, 20, 14, 45, 17, 0, time.UTC)))
		got, err = ParseTime("2023-10-18T09:54:25.75")
		require.NoError(t, err)
		require.Equal(t, time.Date(2023, 10, 18, 9, 54, 25, 750000000, time.UTC), got.Time)
		got, err = ParseTime("2024-06-20")
		require.NoError(t, err)
		require.True(t, got.Valid)
	})

	t.Run("Garbage", func(t *testing.T) {
		t.Parallel()
		for _, s := range []string{"15:25:00", "20/06/2024", "yesterday"} {
			_, err := ParseTime(s)
			require.Error(t, err, s)
		}
	})

	t.Run("JSON", func(t *testing.T) {
		t.Parallel()
		var v struct {
			A, B, C, D Time
		}
		require.NoError(t, json.Unmarshal([]byte(`{"A":"2024-06-20T14:45:17.1521033Z","B":"1899-12-30T00:00:00","C":null}`), &v))
		require.True(t, v.A.Valid)
		require.False(t, v.B.Valid)
		require.False(t, v.C.Valid)
		require.False(t, v.D.Valid) // missing key
		require.Error(t, json.Unmarshal([]byte(`{"A":12}`), &v))
	})
}

func TestFormatQueryTime(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("X", 2*3600)
	require.Equal(t, "2025-03-01T10:00:00.123Z", FormatQueryTime(time.Date(2025, 3, 1, 12, 0, 0, 123456789, loc)))
	require.Equal(t, "2025-03-01T12:00:00.000Z", FormatQueryTime(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)))
}
