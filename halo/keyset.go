package halo

import "strconv"

// keySet is the paging loop's de-duplication set: the keys of every row a walk has
// listed, held for the whole walk. A 1M-ticket first sync lists a million tickets and
// several million actions, so a string per key (the set it replaces) grew the worker
// by over a hundred megabytes (issue 19). Keys are stored by shape:
//   - a decimal integer ("42"): one bit in a 4096-bit block, ~1 bit per id for
//     Halo's dense ids;
//   - two decimal integers "a/b" (actions: ticket/action): one bit in a 64-bit word
//     per (a, b>>6), one word per ticket for its first 64 actions;
//   - anything else (priorities' text keys, non-canonical numbers such as "007"):
//     the string itself.
//
// Only canonical decimals ("-5", "42", never "+5" or "042") take the integer paths,
// so two different key strings never share a bit.
type keySet struct {
	ints  map[int64]*[64]uint64
	pairs map[int64]uint64    // packed (a, b>>6) when both fit, see addPair
	wide  map[[2]int64]uint64 // (a, b>>6) otherwise
	strs  map[string]struct{}
	raw   map[uint64]struct{} // hashes of rows that did not decode
	n     int
}

func newKeySet() *keySet {
	return &keySet{ints: map[int64]*[64]uint64{}, pairs: map[int64]uint64{}, wide: map[[2]int64]uint64{}, strs: map[string]struct{}{}, raw: map[uint64]struct{}{}}
}

// len is how many distinct keys were added.
func (s *keySet) len() int { return s.n }

// add records key and reports whether it was new.
func (s *keySet) add(key string) bool {
	if id, ok := canonicalInt(key); ok {
		return s.addInt(id)
	}
	for i := 0; i < len(key); i++ {
		if key[i] != '/' {
			continue
		}
		a, okA := canonicalInt(key[:i])
		b, okB := canonicalInt(key[i+1:])
		if okA && okB {
			return s.addPair(a, b)
		}
		break
	}
	if _, dup := s.strs[key]; dup {
		return false
	}
	s.strs[key] = struct{}{}
	s.n++
	return true
}

// addRaw records the hash of a row that did not decode (it has no key).
func (s *keySet) addRaw(h uint64) bool {
	if _, dup := s.raw[h]; dup {
		return false
	}
	s.raw[h] = struct{}{}
	s.n++
	return true
}

func (s *keySet) addInt(id int64) bool {
	// id>>12 and id&4095 are floor division and its non-negative remainder,
	// so negative ids get blocks of their own.
	blk := s.ints[id>>12]
	if blk == nil {
		blk = new([64]uint64)
		s.ints[id>>12] = blk
	}
	low := id & 4095
	w, bit := low>>6, uint64(1)<<(low&63)
	if blk[w]&bit != 0 {
		return false
	}
	blk[w] |= bit
	s.n++
	return true
}

// addPair packs a (below 2^43) and b>>6 (b below 2^26) into one int64 key, a map
// slot a third smaller than the two-word key other pairs take.
func (s *keySet) addPair(a, b int64) bool {
	bit := uint64(1) << (b & 63)
	if a >= 0 && a < 1<<43 && b >= 0 && b < 1<<26 {
		k := a<<20 | b>>6
		w := s.pairs[k]
		if w&bit != 0 {
			return false
		}
		s.pairs[k] = w | bit
		s.n++
		return true
	}
	k := [2]int64{a, b >> 6}
	w := s.wide[k]
	if w&bit != 0 {
		return false
	}
	s.wide[k] = w | bit
	s.n++
	return true
}

// canonicalInt parses s as a decimal int64 written the one way strconv.FormatInt
// writes it.
func canonicalInt(s string) (int64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	digits := s
	if s[0] == '-' {
		digits = s[1:]
	}
	if digits == "" || (digits[0] == '0' && (len(digits) > 1 || s[0] == '-')) {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
