package halofake

import "fmt"

// rng is a tiny splitmix64 generator. Every generated value is a pure function of
// (seed, kind, id), so a record renders identically on every request without being
// stored: that is what keeps a 200k-ticket tenant small and fast to generate.
type rng struct{ s uint64 }

// Salts that separate the random streams of each entity and purpose.
const (
	kClient uint64 = iota + 1
	kSite
	kUser
	kAgent
	kTicket
	kTicketGen
	kAction
	kAsset
	kContract
	kLookup
	kWebhook
	kCustom
	kAppointment
	kTimeEntry
	kInvoice
	kItem
	kQuote
	kSupplier
	kKB
	kAttachment
	kTicketArea
)

func newRNG(seed int64, kind uint64, id int64) *rng {
	r := &rng{s: uint64(seed)*0x9E3779B97F4A7C15 ^ kind*0xBF58476D1CE4E5B9 ^ uint64(id)*0x94D049BB133111EB}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// intn returns a value in [0, n); n <= 0 yields 0.
func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return int(r.next() % uint64(n))
}

func (r *rng) int63n(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return int64(r.next() % uint64(n))
}

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// guid formats 16 random bytes as a GUID string.
func (r *rng) guid() string {
	a, b := r.next(), r.next()
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", uint32(a>>32), uint16(a>>16), uint16(a), uint16(b>>48), b&0xFFFFFFFFFFFF)
}
