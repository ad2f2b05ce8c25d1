// Package converge is halosync's convergence checker (issue 17): it generates random histories of edits on
// both sides, webhooks, worker crashes and faults, runs them in process against the fake Halo over real HTTP,
// a real Postgres and the real sync and jobs code with River running, and then checks at rest that the mirror
// and Halo agree (see check.go for the invariants). A failing history is shrunk and printed with its seed.
//
// A history is a seed: Generate(seed) always yields the same operations, and targets are picked at run time
// (Op.Pick modulo the records that exist then), so any subsequence of a history is a valid history too —
// which is what shrinking needs.
package converge

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Kind is what an operation does.
type Kind uint8

// Operation kinds. Halo* change the fake Halo "as if edited in Halo" (last-modified times move, webhooks are
// emitted); Local* are an analyst's SQL on the mirror; Hook* decide what happens to the webhooks Halo emitted
// so far (held back until then: delayed); the rest steer the worker and the faults.
const (
	HaloUpdate  Kind = iota // change one field of a record
	HaloCreate              // new record (tickets, clients) or new action
	HaloDelete              // delete a record (tickets softly) or an action
	HaloBad                 // a value the mirror must reject (NUL, id of the wrong type) or a sentinel date
	HaloHeal                // a valid value again in the field HaloBad spoiled
	HaloDrift               // the record's next version lacks a field (a drifting schema)
	LocalUpdate             // UPDATE one writable column
	LocalInsert             // INSERT a row (pushed as a create)
	LocalDelete             // DELETE a row (pushed as a delete)
	BothEdit                // the same field edited in Halo and locally at nearly the same time (Delta apart)
	HookDeliver             // deliver the oldest held webhook
	HookLate                // deliver the newest held webhook first (out of order)
	HookDup                 // deliver an already delivered webhook again
	HookLose                // drop the oldest held webhook
	Pull                    // enqueue a River pull (Full: with reconciliation)
	Settle                  // let the worker run for N milliseconds
	Crash                   // stop the worker after N ms, cancelling whatever it runs (mid-pull, mid-push), and start it again
	Fault                   // switch a fault on (Fault field)
	Heal                    // switch every fault off
	Quiesce                 // wait until the worker has pushed every open edit (regression histories only: weight 0)
	Hold                    // stop the worker until the next Crash or the end of the history: edits wait, and the rest phase pushes them oldest first (regression histories only: weight 0)
	numKinds
)

var kindNames = [...]string{"HaloUpdate", "HaloCreate", "HaloDelete", "HaloBad", "HaloHeal", "HaloDrift", "LocalUpdate",
	"LocalInsert", "LocalDelete", "BothEdit", "HookDeliver", "HookLate", "HookDup", "HookLose", "Pull", "Settle",
	"Crash", "Fault", "Heal", "Quiesce", "Hold"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// FaultKind is a fault an Op switches on.
type FaultKind uint8

// Faults.
const (
	Fault5xx     FaultKind = iota // a third of /api requests answer 500/503
	Fault429                      // half of /api requests answer Halo's 429 (no Retry-After)
	FaultTimeout                  // a third of /api requests answer after the client's timeout
	FaultRevoke                   // Halo revokes every token (one shot)
	FaultDropDB                   // every database connection of the worker is terminated (one shot)
	numFaults
)

var faultNames = [...]string{"5xx", "429", "timeout", "revoke-token", "drop-db-connections"}

func (f FaultKind) String() string { return faultNames[f] }

// Op is one operation of a history.
type Op struct {
	Kind   Kind
	Entity string        // entity the op is about (Halo*, Local*, BothEdit, Pull)
	Pick   int           // target: index into the candidate records at run time, modulo their number
	Field  string        // column / Halo field (updates, BothEdit, HaloBad)
	Value  any           // new value (updates; BothEdit: the local value)
	Value2 any           // BothEdit: Halo's value
	Delta  time.Duration // BothEdit: Halo's modification time minus the local one (0: a tie)
	Full   bool          // Pull: full pull
	N      int           // Settle, Crash: milliseconds
	Fault  FaultKind     // Fault
}

func (o Op) String() string {
	var b strings.Builder
	b.WriteString(o.Kind.String())
	switch o.Kind {
	case HaloUpdate, LocalUpdate, HaloBad, HaloHeal, HaloDrift:
		fmt.Fprintf(&b, " %s #%d %s=%q", o.Entity, o.Pick, o.Field, fmt.Sprint(o.Value))
	case BothEdit:
		fmt.Fprintf(&b, " %s #%d %s local=%q halo=%q halo-minus-local=%s", o.Entity, o.Pick, o.Field,
			fmt.Sprint(o.Value), fmt.Sprint(o.Value2), o.Delta)
	case HaloCreate, LocalInsert:
		fmt.Fprintf(&b, " %s (parent #%d) %s=%q", o.Entity, o.Pick, o.Field, fmt.Sprint(o.Value))
	case HaloDelete, LocalDelete:
		fmt.Fprintf(&b, " %s #%d", o.Entity, o.Pick)
	case HookDup:
		fmt.Fprintf(&b, " #%d", o.Pick)
	case Pull:
		fmt.Fprintf(&b, " %s full=%v", o.Entity, o.Full)
	case Settle, Crash:
		fmt.Fprintf(&b, " %dms", o.N)
	case Fault:
		fmt.Fprintf(&b, " %s", o.Fault)
	}
	return b.String()
}

// field is a column edited by the generator and how its values are made.
type field struct {
	name string
	gen  func(r *rand.Rand, tag string) any
}

func textVal(r *rand.Rand, tag string) any { return fmt.Sprintf("%s-%d", tag, r.IntN(1000)) }

func oneOf(vals ...int64) func(*rand.Rand, string) any {
	return func(r *rand.Rand, _ string) any { return vals[r.IntN(len(vals))] }
}

func boolVal(r *rand.Rand, _ string) any { return r.IntN(2) == 0 }

// fields are the writable columns each entity's histories edit (both sides).
var fields = map[string][]field{
	"tickets": {{"summary", textVal}, {"category_1", textVal}, {"status_id", oneOf(1, 2, 3, 4)},
		{"priority_id", oneOf(1, 2, 3, 4)}, {"agent_id", oneOf(1, 2, 3)}},
	"actions":   {{"note", textVal}},
	"clients":   {{"name", textVal}, {"is_vip", boolVal}},
	"sites":     {{"name", textVal}},
	"users":     {{"firstname", textVal}, {"emailaddress", textVal}},
	"assets":    {{"inventory_number", textVal}},
	"contracts": {{"ref", textVal}},
}

var editable = []string{"tickets", "tickets", "tickets", "actions", "clients", "clients", "sites", "users", "assets", "contracts"}

// driftable are the entities HaloDrift changes (the fake's Omit does not do actions).
var driftable = []string{"tickets", "tickets", "clients", "sites", "users", "assets", "contracts"}

// bothEditable are the entities BothEdit edits.
var bothEditable = []string{"tickets", "tickets", "tickets", "actions", "clients", "clients", "sites", "users", "assets", "contracts"}

// created are the entities histories create and delete locally; Halo also creates and deletes haloCreated.
var (
	created     = []string{"tickets", "tickets", "clients", "actions"}
	haloCreated = []string{"tickets", "tickets", "clients", "actions", "sites", "users", "assets", "contracts"}
)

// createField is the field a create fills with its unique value.
var createField = map[string]string{"tickets": "summary", "clients": "name", "actions": "note", "sites": "name",
	"users": "firstname", "assets": "inventory_number", "contracts": "ref"}

// pulled are the entities a Pull op may name (tickets pulls bring actions along).
var pulled = []string{"tickets", "tickets", "clients", "sites", "users", "assets", "contracts"}

// bothDeltas are Halo's modification time minus the local one in BothEdit: ties, and either side a little
// later (well inside any polling interval).
var bothDeltas = []time.Duration{0, 0, time.Millisecond, -time.Millisecond, 300 * time.Millisecond, -300 * time.Millisecond}

// weights says how often each kind is generated.
var weights = [numKinds]int{
	HaloUpdate: 12, HaloCreate: 4, HaloDelete: 3, HaloBad: 2, HaloHeal: 2, HaloDrift: 2, LocalUpdate: 12, LocalInsert: 4,
	LocalDelete: 3, BothEdit: 8, HookDeliver: 8, HookLate: 3, HookDup: 2, HookLose: 2, Pull: 5, Settle: 4,
	Crash: 3, Fault: 4, Heal: 2,
}

// Generate returns the history of seed: between 4 and 15 operations.
func Generate(seed uint64) []Op {
	r := rand.New(rand.NewPCG(seed, 0x636f6e7665726765))
	total := 0
	for _, w := range weights {
		total += w
	}
	n := 4 + r.IntN(12)
	ops := make([]Op, 0, n)
	for i := range n {
		x := r.IntN(total)
		k := Kind(0)
		for x >= weights[k] {
			x -= weights[k]
			k++
		}
		ops = append(ops, genOp(r, k, i))
	}
	return ops
}

func genOp(r *rand.Rand, k Kind, i int) Op {
	o := Op{Kind: k, Pick: r.IntN(1 << 16)}
	pickField := func(entity string) field {
		fs := fields[entity]
		return fs[r.IntN(len(fs))]
	}
	switch k {
	case HaloUpdate, LocalUpdate:
		o.Entity = editable[r.IntN(len(editable))]
		f := pickField(o.Entity)
		side := "h"
		if k == LocalUpdate {
			side = "l"
		}
		o.Field, o.Value = f.name, f.gen(r, fmt.Sprintf("%s%d", side, i))
	case BothEdit:
		o.Entity = bothEditable[r.IntN(len(bothEditable))]
		f := pickField(o.Entity)
		o.Field = f.name
		o.Value, o.Value2 = f.gen(r, fmt.Sprintf("l%d", i)), f.gen(r, fmt.Sprintf("h%d", i))
		o.Delta = bothDeltas[r.IntN(len(bothDeltas))]
	case HaloCreate, LocalInsert:
		o.Entity = haloCreated[r.IntN(len(haloCreated))]
		side := "H"
		if k == LocalInsert {
			o.Entity, side = created[r.IntN(len(created))], "L"
		}
		o.Field = createField[o.Entity]
		o.Value = fmt.Sprintf("%s%d-%d", side, i, r.IntN(1<<20))
	case HaloDelete:
		o.Entity = haloCreated[r.IntN(len(haloCreated))]
	case LocalDelete:
		o.Entity = created[r.IntN(len(created))]
	case HaloBad:
		o.Entity = []string{"tickets", "clients"}[r.IntN(2)]
		switch bad := r.IntN(3); {
		case bad == 0 && o.Entity == "tickets":
			o.Field, o.Value = "summary", "nul\x00byte"
		case bad == 0:
			o.Field, o.Value = "name", "nul\x00byte"
		case bad == 1 && o.Entity == "tickets":
			o.Field, o.Value = "client_id", "not-a-number"
		case bad == 1:
			o.Field, o.Value = "toplevel_id", "not-a-number"
		case o.Entity == "tickets":
			o.Field, o.Value = "fixbydate", "0001-01-01T00:00:00"
		default:
			o.Field, o.Value = "datecreated", "1900-01-01T00:00:00"
		}
	case HaloHeal:
		o.Entity = []string{"tickets", "clients"}[r.IntN(2)]
	case HaloDrift:
		o.Entity = driftable[r.IntN(len(driftable))]
		o.Field = pickField(o.Entity).name
	case Pull:
		o.Entity = pulled[r.IntN(len(pulled))]
		o.Full = r.IntN(3) == 0
	case Settle:
		o.N = 5 + r.IntN(60)
	case Crash:
		o.N = r.IntN(40)
	case Fault:
		o.Fault = FaultKind(r.IntN(int(numFaults)))
	}
	return o
}

// History is a seed and the indices of its operations that are kept (all of them unless shrunk), or — for
// regression tests, which must not change when the generator does — the operations themselves.
type History struct {
	Seed  uint64
	Keep  []int // nil: every operation
	Steps []Op  // when set, the operations (Seed then only seeds the fake tenant)
}

// Ops returns the history's operations.
func (h History) Ops() []Op {
	if h.Steps != nil {
		return h.Steps
	}
	all := Generate(h.Seed)
	if h.Keep == nil {
		return all
	}
	out := make([]Op, 0, len(h.Keep))
	for _, i := range h.Keep {
		if i < len(all) {
			out = append(out, all[i])
		}
	}
	return out
}

func (h History) indices() []int {
	if h.Steps != nil {
		idx := make([]int, len(h.Steps))
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	if h.Keep != nil {
		return h.Keep
	}
	n := len(Generate(h.Seed))
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// String prints the history readably, then as a Go literal to paste into regress_test.go.
func (h History) String() string {
	var b strings.Builder
	all := h.Ops()
	if h.Steps == nil {
		all = Generate(h.Seed)
	}
	for _, i := range h.indices() {
		fmt.Fprintf(&b, "  %2d  %s\n", i, all[i])
	}
	fmt.Fprintf(&b, "converge.History{Seed: %d, Steps: []converge.Op{", h.Seed)
	for _, i := range h.indices() {
		fmt.Fprintf(&b, "\n\t%#v,", all[i])
	}
	b.WriteString("\n}}")
	return b.String()
}

// GoString is the operation as a Go literal (package converge qualified).
func (o Op) GoString() string {
	var f []string
	f = append(f, "Kind: converge."+o.Kind.String())
	if o.Entity != "" {
		f = append(f, fmt.Sprintf("Entity: %q", o.Entity))
	}
	if o.Pick != 0 {
		f = append(f, fmt.Sprintf("Pick: %d", o.Pick))
	}
	if o.Field != "" {
		f = append(f, fmt.Sprintf("Field: %q", o.Field))
	}
	lit := func(v any) string {
		switch x := v.(type) {
		case int64:
			return fmt.Sprintf("int64(%d)", x)
		default:
			return fmt.Sprintf("%#v", x)
		}
	}
	if o.Value != nil {
		f = append(f, "Value: "+lit(o.Value))
	}
	if o.Value2 != nil {
		f = append(f, "Value2: "+lit(o.Value2))
	}
	if o.Delta != 0 {
		f = append(f, fmt.Sprintf("Delta: %d * time.Millisecond", o.Delta/time.Millisecond))
	}
	if o.Full {
		f = append(f, "Full: true")
	}
	if o.N != 0 {
		f = append(f, fmt.Sprintf("N: %d", o.N))
	}
	if o.Kind == Fault {
		f = append(f, "Fault: converge.Fault"+faultIdents[o.Fault])
	}
	return "{" + strings.Join(f, ", ") + "}"
}

var faultIdents = [...]string{"5xx", "429", "Timeout", "Revoke", "DropDB"}
