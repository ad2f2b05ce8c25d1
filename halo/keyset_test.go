package halo

import (
	"math"
	"runtime"
	"strconv"
	"testing"
)

// TestKeySetDistinctKeys: every distinct key string is new once and a duplicate
// after, whatever its shape, and keys that print differently never share a slot.
func TestKeySetDistinctKeys(t *testing.T) {
	keys := []string{
		"0", "1", "42", "4095", "4096", "-1", "-4096", "-4097",
		strconv.FormatInt(math.MaxInt64, 10), strconv.FormatInt(math.MinInt64, 10),
		"9223372036854775808", // overflows int64: kept as a string
		"007", "7", "+7", "-0", "", " 7",
		"1/2", "1/66", "1/67108864", "1/67108800", "8796093022208/1", "8796093022207/1", "0/1", "2/1", "-3/-64", "-3/0", "1/02", "1/", "/1", "1/2/3",
		"P1/2/3", "high", "HIGH",
	}
	s := newKeySet()
	for _, k := range keys {
		if !s.add(k) {
			t.Errorf("add(%q) first time: reported a duplicate", k)
		}
	}
	for _, k := range keys {
		if s.add(k) {
			t.Errorf("add(%q) second time: reported new", k)
		}
	}
	if s.len() != len(keys) {
		t.Errorf("len = %d, want %d", s.len(), len(keys))
	}
	if !s.addRaw(99) || s.addRaw(99) {
		t.Error("addRaw: want new once, then a duplicate")
	}
}

// TestKeySetNeighbours: every id in a range around block boundaries (negative and
// positive) and every action of a ticket is counted once, without false duplicates.
func TestKeySetNeighbours(t *testing.T) {
	s := newKeySet()
	for id := int64(-9000); id <= 9000; id++ {
		if !s.add(strconv.FormatInt(id, 10)) {
			t.Fatalf("id %d reported a duplicate", id)
		}
		if !s.add("5/" + strconv.FormatInt(id, 10)) {
			t.Fatalf("pair 5/%d reported a duplicate", id)
		}
	}
	for id := int64(-9000); id <= 9000; id += 97 {
		if s.add(strconv.FormatInt(id, 10)) || s.add("5/"+strconv.FormatInt(id, 10)) {
			t.Fatalf("id %d: not seen the second time", id)
		}
	}
	for _, b := range []int64{1<<26 - 1, 1 << 26, 1<<26 + 1} {
		if !s.add("5/"+strconv.FormatInt(b, 10)) || s.add("5/"+strconv.FormatInt(b, 10)) {
			t.Fatalf("pair 5/%d: want new once, then a duplicate", b)
		}
	}
	if s.add("6/1") == false {
		t.Fatal("6/1 shares a slot with 5/1")
	}
}

// TestKeySetMemory: a walk's de-duplication memory stays small per row — a million
// dense ticket ids and three million actions (the 1M-ticket sync) hold far
// less than the string per key it replaced (over 100 MB).
func TestKeySetMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a million keys")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newKeySet()
	for id := 1; id <= 1_000_000; id++ {
		s.add(strconv.Itoa(id))
		for a := 1; a <= 3; a++ {
			s.add(strconv.Itoa(id) + "/" + strconv.Itoa(a))
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("4M keys: %d keys, %.1f MiB held", s.len(), float64(held)/(1<<20))
	if s.len() != 4_000_000 {
		t.Fatalf("len = %d, want 4000000", s.len())
	}
	if held > 50<<20 {
		t.Errorf("4M keys hold %.1f MiB, want under 50", float64(held)/(1<<20))
	}
	runtime.KeepAlive(s)
}
