package converge

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/jobs"
)

// model is what the history did, for the checks at rest.
type model struct {
	edits   []localEdit
	inserts []localInsert
	deletes []localDelete
	both    []bothEdit
	// touches lists, per record ("entity key"), the operations that changed it on either side: field "" is
	// a delete of the whole record.
	touches    map[string][]touch
	haloGone   map[string]bool            // records a HaloDelete removed
	bad        map[string]string          // records a HaloBad spoiled → the field
	omitted    map[string]map[string]bool // records a HaloDrift left without fields → those fields
	localGone  map[string]bool            // records a LocalDelete deleted
	sqlRefused int                        // local statements the mirror refused (not edits)
	// localActions are the tickets (key) whose actions were edited, inserted or deleted locally.
	localActions map[string]bool
}

type touch struct {
	op    int
	field string
	halo  bool
}

type localEdit struct {
	entity, key, field string
	value              any
	op                 int
}

type localInsert struct {
	entity, marker string
	key            string   // the temporary key the row got
	aliases        []string // later values of the marker field, set before the create reached Halo
	op             int
}

type localDelete struct {
	entity, key string
	op          int
}

type bothEdit struct {
	entity, key, field string
	local, halo        any
	delta              time.Duration
	op                 int
	concurrent         bool      // neither side had seen the other: the push must record a conflict
	haloNoop           bool      // Halo wrote the value the push's base has: no change the pusher can see
	haloReal           time.Time // when Halo's half was written (real time; its pinned time is another)
}

func newModel() *model {
	return &model{touches: map[string][]touch{}, haloGone: map[string]bool{}, bad: map[string]string{},
		localGone: map[string]bool{}, omitted: map[string]map[string]bool{}, localActions: map[string]bool{}}
}

func rk(entity, key string) string { return entity + " " + key }

func (m *model) touch(entity, key, field string, op int, halo bool) {
	m.touches[rk(entity, key)] = append(m.touches[rk(entity, key)], touch{op: op, field: field, halo: halo})
	if halo && field != "" {
		delete(m.omitted[rk(entity, key)], field) // Halo has the field again
	}
	if entity == "actions" && !halo {
		tid, _, _ := strings.Cut(key, "/")
		m.localActions[tid] = true
	}
	if entity == "actions" {
		// Writing an action moves its ticket's last-modified time in Halo, and Halo dates conflicts per
		// record: a later action write decides the ticket's conflicts (but changes none of its fields).
		tid, _, _ := strings.Cut(key, "/")
		m.touch("tickets", tid, actionTouch, op, halo)
	}
}

// actionTouch is the field of a ticket touch made by writing one of its actions.
const actionTouch = "*action*"

// touchedAfter says whether an operation after op changed the record (field "" = any field).
func (m *model) touchedAfter(entity, key string, op int, field string) bool {
	for _, t := range m.touches[rk(entity, key)] {
		if t.op > op && (field == "" || t.field == "" || t.field == field) {
			return true
		}
	}
	return false
}

// target is one record: its key text ("7", "7/2" for actions) and key values.
type target struct {
	key  string
	keys []int64
}

func keyOf(keys ...int64) target {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.FormatInt(k, 10)
	}
	return target{key: strings.Join(parts, "/"), keys: keys}
}

func num(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case int64:
		return x
	}
	return 0
}

// haloLive lists the records Halo has (tickets not deleted; actions of those), by key.
func (e *env) haloLive(entity string) []target {
	var out []target
	if entity == "actions" {
		live := map[int64]bool{}
		for _, t := range e.fake.Records("tickets") {
			if t["deleted"] != true {
				live[num(t["id"])] = true
			}
		}
		for _, a := range e.fake.Records("actions") {
			if tid := num(a["ticket_id"]); live[tid] {
				out = append(out, keyOf(tid, num(a["id"])))
			}
		}
	} else {
		for _, r := range e.fake.Records(entity) {
			if entity == "tickets" && r["deleted"] == true {
				continue
			}
			out = append(out, keyOf(num(r["id"])))
		}
	}
	slices.SortFunc(out, func(a, b target) int { return slices.Compare(a.keys, b.keys) })
	return out
}

// mirrorLive lists the mirror's live rows (temporary negative ids of local inserts included), by key.
func (e *env) mirrorLive(ctx context.Context, entity string, positive bool) ([]target, error) {
	cols := "id"
	if entity == "actions" {
		cols = "ticket_id, id"
	}
	q := fmt.Sprintf("SELECT %s FROM halo.%s WHERE deleted_at IS NULL", cols, entity)
	if positive {
		q += " AND id > 0"
	}
	rows, err := e.w.hpool.Query(ctx, q+" ORDER BY "+cols)
	if err != nil {
		return nil, err
	}
	var out []target
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			rows.Close()
			return nil, err
		}
		keys := make([]int64, len(vals))
		for i, v := range vals {
			keys[i] = v.(int64)
		}
		out = append(out, keyOf(keys...))
	}
	return out, rows.Err()
}

func pick(ts []target, p int) (target, bool) {
	if len(ts) == 0 {
		return target{}, false
	}
	return ts[p%len(ts)], true
}

// where is the mirror row condition of entity with the key values as parameters $first (and $first+1).
func where(entity string, first int) string {
	if entity == "actions" {
		return fmt.Sprintf("ticket_id = $%d AND id = $%d", first, first+1)
	}
	return fmt.Sprintf("id = $%d", first)
}

func whereArgs(t target) []any {
	out := make([]any, len(t.keys))
	for i, k := range t.keys {
		out[i] = k
	}
	return out
}

// haloFields is the body of a Halo-side write of field=value to t.
func haloFields(entity string, t target, field string, value any) map[string]any {
	m := map[string]any{field: value}
	if entity == "actions" {
		m["ticket_id"] = t.keys[0]
	}
	return m
}

// haloWrite runs a test hook of the fake; the hooks panic on misuse (a record gone meanwhile).
func haloWrite(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}

func haloID(t target) int64 { return t.keys[len(t.keys)-1] }

// exec runs operation i of the history.
func (e *env) exec(ctx context.Context, m *model, i int, o Op) error {
	switch o.Kind {
	case HaloUpdate:
		t, ok := pick(e.haloLive(o.Entity), o.Pick)
		if !ok {
			return nil
		}
		if haloWrite(func() { e.fake.Update(o.Entity, haloID(t), haloFields(o.Entity, t, o.Field, o.Value)) }) == nil {
			m.touch(o.Entity, t.key, o.Field, i, true)
		}
	case HaloCreate:
		rec := map[string]any{o.Field: o.Value}
		if o.Entity == "actions" {
			t, ok := pick(e.haloLive("tickets"), o.Pick)
			if !ok {
				return nil
			}
			rec["ticket_id"], rec["outcome"], rec["hiddenfromuser"] = t.keys[0], "Private Note", true
		}
		if haloWrite(func() { e.fake.Create(o.Entity, rec) }) == nil && o.Entity == "actions" {
			m.touch("tickets", strconv.FormatInt(rec["ticket_id"].(int64), 10), actionTouch, i, true)
		}
	case HaloDelete:
		live := e.haloLive(o.Entity)
		if len(live) < 2 {
			// Halo deleting every record of an entity is what the mass-delete guard refuses by design.
			return nil
		}
		t, _ := pick(live, o.Pick)
		err := haloWrite(func() {
			if o.Entity == "actions" {
				e.fake.DeleteAction(t.keys[0], t.keys[1])
			} else {
				e.fake.Delete(o.Entity, t.keys[0])
			}
		})
		if err == nil {
			m.haloGone[rk(o.Entity, t.key)] = true
			m.touch(o.Entity, t.key, "", i, true)
		}
	case HaloBad:
		t, ok := pick(e.haloLive(o.Entity), o.Pick)
		if !ok {
			return nil
		}
		if haloWrite(func() { e.fake.Update(o.Entity, haloID(t), map[string]any{o.Field: o.Value}) }) == nil {
			if !sentinel[o.Field] {
				m.bad[rk(o.Entity, t.key)] = o.Field
			}
			m.touch(o.Entity, t.key, o.Field, i, true)
		}
	case HaloHeal:
		var spoiled []target
		for _, t := range e.haloLive(o.Entity) {
			if _, ok := m.bad[rk(o.Entity, t.key)]; ok {
				spoiled = append(spoiled, t)
			}
		}
		t, ok := pick(spoiled, o.Pick)
		if !ok {
			return nil
		}
		f := m.bad[rk(o.Entity, t.key)]
		if haloWrite(func() { e.fake.Update(o.Entity, haloID(t), map[string]any{f: healed[f]}) }) == nil {
			delete(m.bad, rk(o.Entity, t.key))
			m.touch(o.Entity, t.key, f, i, true)
		}
	case HaloDrift:
		t, ok := pick(e.haloLive(o.Entity), o.Pick)
		if !ok {
			return nil
		}
		if haloWrite(func() { e.fake.Omit(o.Entity, haloID(t), o.Field) }) == nil {
			m.touch(o.Entity, t.key, o.Field, i, true)
			if m.omitted[rk(o.Entity, t.key)] == nil {
				m.omitted[rk(o.Entity, t.key)] = map[string]bool{}
			}
			m.omitted[rk(o.Entity, t.key)][o.Field] = true
		}
	case LocalUpdate:
		return e.localUpdate(ctx, m, i, o)
	case LocalInsert:
		return e.localInsert(ctx, m, i, o)
	case LocalDelete:
		ts, err := e.mirrorLive(ctx, o.Entity, false)
		if err != nil {
			return nil // a dropped connection: the analyst's statement failed
		}
		t, ok := pick(ts, o.Pick)
		if !ok {
			return nil
		}
		q := fmt.Sprintf("DELETE FROM halo.%s WHERE %s", o.Entity, where(o.Entity, 1))
		if _, err := e.w.hpool.Exec(ctx, q, whereArgs(t)...); err != nil {
			m.sqlRefused++
			return nil
		}
		m.deletes = append(m.deletes, localDelete{entity: o.Entity, key: t.key, op: i})
		m.localGone[rk(o.Entity, t.key)] = true
		m.touch(o.Entity, t.key, "", i, false)
	case BothEdit:
		return e.bothEdit(ctx, m, i, o)
	case HookDeliver, HookLate:
		return e.hooks.deliver(o.Kind == HookLate)
	case HookDup:
		return e.hooks.duplicate(o.Pick)
	case HookLose:
		e.hooks.lose()
	case Pull:
		e.insertPull(jobs.PullArgs{Entity: o.Entity, Full: o.Full})
	case Settle:
		time.Sleep(time.Duration(o.N) * time.Millisecond)
	case Crash:
		e.insertPull(jobs.PullArgs{Entity: "tickets", Full: true})
		time.Sleep(time.Duration(o.N) * time.Millisecond)
		e.stopWorker(true)
		return e.startWorker(ctx)
	case Fault:
		return e.fault(ctx, o.Fault)
	case Heal:
		e.heal()
	case Quiesce:
		return e.quiesce(ctx)
	case Hold:
		e.stopWorker(false)
	}
	return nil
}

// quiesce waits until no push is open (pending or sending): the worker has pushed the edits so far. It
// orders a history's steps without timing (a regression history that needs a push applied before its next
// operation); it gives up after quiesceMax, and the history goes on (its checks say what that did).
func (e *env) quiesce(ctx context.Context) error {
	deadline := time.Now().Add(quiesceMax)
	for time.Now().Before(deadline) {
		open, err := e.openPushes(ctx)
		if err != nil {
			return fmt.Errorf("quiesce: %w", err)
		}
		if len(open) == 0 {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// quiesceMax bounds a Quiesce.
const quiesceMax = 10 * time.Second

// sentinel are the fields HaloBad sets to one of Halo's "no date" sentinels: storable (as NULL), not bad.
var sentinel = map[string]bool{"fixbydate": true, "datecreated": true}

// healed are valid values for the fields HaloBad spoils.
var healed = map[string]any{"summary": "healed", "name": "healed", "client_id": int64(1), "toplevel_id": int64(1),
	"fixbydate": "2026-03-01T12:00:00Z", "datecreated": "2025-01-01T00:00:00"}

func (e *env) fault(ctx context.Context, f FaultKind) error {
	switch f {
	case Fault5xx:
		e.fake.SetFault(halofake.Faults{ErrorRate: 0.3})
	case Fault429:
		e.px.setFault(Fault429, 0.5)
	case FaultTimeout:
		e.px.setFault(FaultTimeout, 0.3)
	case FaultRevoke:
		e.fake.RevokeTokens()
	case FaultDropDB:
		conn, err := pgx.ConnectConfig(ctx, e.w.hpool.Config().ConnConfig.Copy())
		if err != nil {
			return fmt.Errorf("drop connections: %w", err)
		}
		defer func() { _ = conn.Close(context.Background()) }()
		if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
			return fmt.Errorf("drop connections: %w", err)
		}
		// The harness's own connections died too; halosync's pool must find out about its own.
		e.w.hpool.Reset()
	}
	return nil
}

func (e *env) heal() {
	e.fake.SetFault(halofake.Faults{})
	e.px.heal()
}

func (e *env) localUpdate(ctx context.Context, m *model, i int, o Op) error {
	ts, err := e.mirrorLive(ctx, o.Entity, false)
	if err != nil {
		return nil
	}
	t, ok := pick(ts, o.Pick)
	if !ok {
		return nil
	}
	// An UPDATE to the value the row has changes nothing (no push): not an edit.
	q := fmt.Sprintf("UPDATE halo.%[1]s SET %[2]s = $1 WHERE %[3]s AND %[2]s IS DISTINCT FROM $1", o.Entity, o.Field, where(o.Entity, 2))
	tag, err := e.w.hpool.Exec(ctx, q, append([]any{o.Value}, whereArgs(t)...)...)
	if err != nil || tag.RowsAffected() == 0 {
		m.sqlRefused++
		return nil
	}
	m.edits = append(m.edits, localEdit{entity: o.Entity, key: t.key, field: o.Field, value: o.Value, op: i})
	m.touch(o.Entity, t.key, o.Field, i, false)
	for j := range m.inserts {
		if in := &m.inserts[j]; in.entity == o.Entity && in.key == t.key && markerField[o.Entity] == o.Field {
			in.aliases = append(in.aliases, fmt.Sprint(o.Value))
		}
	}
	return nil
}

// markerField is the column whose unique value identifies a local insert in Halo.
var markerField = map[string]string{"tickets": "summary", "clients": "name", "actions": "note"}

func (e *env) localInsert(ctx context.Context, m *model, i int, o Op) error {
	var q string
	var args []any
	switch o.Entity {
	case "tickets":
		cs, err := e.mirrorLive(ctx, "clients", false)
		if err != nil {
			return nil
		}
		c, ok := pick(cs, o.Pick)
		if !ok {
			return nil
		}
		q, args = `INSERT INTO halo.tickets (summary, client_id) VALUES ($1, $2)`, []any{o.Value, c.keys[0]}
	case "clients":
		q, args = `INSERT INTO halo.clients (name) VALUES ($1)`, []any{o.Value}
	case "actions":
		ts, err := e.mirrorLive(ctx, "tickets", false)
		if err != nil {
			return nil
		}
		t, ok := pick(ts, o.Pick)
		if !ok {
			return nil
		}
		q, args = `INSERT INTO halo.actions (ticket_id, note, outcome, hiddenfromuser) VALUES ($1, $2, 'Private Note', true)`,
			[]any{t.keys[0], o.Value}
	}
	returning := " RETURNING id::text"
	if o.Entity == "actions" {
		returning = " RETURNING ticket_id || '/' || id"
	}
	var key string
	if err := e.w.hpool.QueryRow(ctx, q+returning, args...).Scan(&key); err != nil {
		m.sqlRefused++
		return nil
	}
	m.inserts = append(m.inserts, localInsert{entity: o.Entity, marker: o.Value.(string), key: key, op: i})
	if o.Entity == "actions" {
		m.touch("actions", key, "", i, false)
	}
	return nil
}

// bothEdit edits one field in Halo and locally, Delta apart, inside the local transaction (so no push can
// see the local edit before Halo's): the local change time is the transaction's now(), and Halo's edit
// carries now()+Delta on the fake's pinned clock. A tie is exact.
func (e *env) bothEdit(ctx context.Context, m *model, i int, o Op) error {
	ts, err := e.mirrorLive(ctx, o.Entity, true)
	if err != nil {
		return nil
	}
	live := map[string]bool{}
	for _, t := range e.haloLive(o.Entity) {
		live[t.key] = true
	}
	ts = slices.DeleteFunc(ts, func(t target) bool { return !live[t.key] })
	t, ok := pick(ts, o.Pick)
	if !ok {
		return nil
	}
	// Halo's half is dated now+Delta, with now the transaction's start: it must not be before any time
	// Halo's clock already gave (an earlier BothEdit's Halo half 300 ms ahead, or any write just now).
	e.clk.waitPinnable(o.Delta)
	tx, err := e.w.hpool.Begin(ctx)
	if err != nil {
		return nil
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	var now time.Time
	var open bool
	var base, cur []byte
	// base is what the pusher will measure "changed in Halo" against: the open push's base, else the row.
	q := fmt.Sprintf(`SELECT now(), EXISTS (SELECT 1 FROM halosync.outbox WHERE entity = $1 AND record_key = $2
  AND state IN ('pending', 'sending', 'parked')),
  coalesce((SELECT base->'%[1]s' FROM halosync.outbox WHERE entity = $1 AND record_key = $2
  AND state IN ('pending', 'sending', 'parked') AND base ? '%[1]s'), to_jsonb(%[1]s)), to_jsonb(%[1]s)
FROM halo.%[2]s WHERE %[3]s FOR UPDATE`, o.Field, o.Entity, where(o.Entity, 3))
	args := append([]any{o.Entity, t.key}, whereArgs(t)...)
	if err := tx.QueryRow(ctx, q, args...).Scan(&now, &open, &base, &cur); err != nil {
		return nil
	}
	lv, _ := json.Marshal(o.Value)
	if e.w.Trace != nil {
		e.w.Trace("op %d BothEdit %s %s: now=%s open=%v base=%s current=%s", i, o.Entity, t.key, now.Format(time.RFC3339Nano), open, base, cur)
	}
	if jsonEqual(cur, lv) {
		// The local "edit" writes the value the row has: no change, no push. Only Halo edits.
		_ = tx.Rollback(ctx)
		if haloWrite(func() { e.fake.Update(o.Entity, haloID(t), haloFields(o.Entity, t, o.Field, o.Value2)) }) == nil {
			m.touch(o.Entity, t.key, o.Field, i, true)
		}
		return nil
	}
	var haloReal time.Time
	haloEdit := func() error {
		e.clk.pin(now.Add(o.Delta))
		defer e.clk.unpin()
		haloReal = time.Now()
		return haloWrite(func() { e.fake.Update(o.Entity, haloID(t), haloFields(o.Entity, t, o.Field, o.Value2)) })
	}
	if o.Delta < 0 {
		if haloEdit() != nil {
			return nil
		}
	}
	uq := fmt.Sprintf("UPDATE halo.%s SET %s = $1 WHERE %s", o.Entity, o.Field, where(o.Entity, 2))
	_, uerr := tx.Exec(ctx, uq, append([]any{o.Value}, whereArgs(t)...)...)
	if o.Delta >= 0 {
		if haloEdit() != nil {
			return nil
		}
	}
	m.touch(o.Entity, t.key, o.Field, i, true)
	if uerr != nil {
		m.sqlRefused++
		return nil
	}
	if err := tx.Commit(ctx); err != nil {
		m.sqlRefused++
		return nil
	}
	hv, _ := json.Marshal(o.Value2)
	// Halo writing the value the pusher's base already has is no change it can see: the local edit wins.
	noop := jsonEqual(base, hv)
	concurrent := !open && !noop && !valueEqual(o.Value, o.Value2)
	m.both = append(m.both, bothEdit{entity: o.Entity, key: t.key, field: o.Field, local: o.Value, halo: o.Value2,
		delta: o.Delta, op: i, concurrent: concurrent, haloNoop: noop, haloReal: haloReal})
	// The local half, unless Halo's later (or tied) edit wins: then check 2 is what says where it went.
	if o.Delta < 0 || noop {
		m.edits = append(m.edits, localEdit{entity: o.Entity, key: t.key, field: o.Field, value: o.Value, op: i})
	}
	m.touch(o.Entity, t.key, o.Field, i, false)
	return nil
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return valueEqual(x, y)
}
