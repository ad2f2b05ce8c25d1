package converge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// checked are the mirrored entities whose records histories change and the checks compare (lookups and
// agents are read-only in Halo's API and never change in a history).
var checked = []string{"tickets", "actions", "clients", "sites", "users", "assets", "contracts"}

// synced are the entities a history syncs, in pull order: those it changes. Lookups and agents never change
// in a history (Halo's API does not write them); pulling them would only slow every history down.
var synced = []string{"clients", "sites", "users", "contracts", "assets", "tickets"}

// notListed are mapped columns Halo's list rows do not carry (the short user rows of halo-api.md §12.6), so a
// pull cannot fill them; the full record (what the checks read) has them.
var notListed = map[string]map[string]bool{"users": {"datecreated": true}}

// drainRounds bounds the pull+push rounds at rest; a history that needs more has not converged.
const drainRounds = 6

// drain brings the history to rest: faults off, the worker stopped (its running jobs finish), webhooks still
// held are lost, then pushes and full pulls until a round finds no work and no error. A round whose full pulls
// resumed a walk begun before it (a Crash or dropped connections stopped a full pull after it stored a page)
// is not at rest either: a resumed walk does not read again the pages its earlier part stored, and drops the
// rows of the page it starts at as repeats, so a change that did not move a record's last_update since that
// part read it (a site or client renamed, whose name Halo joins into tickets) is not in the mirror yet. The
// next round's walks start from page 1 (seed 314).
func (e *env) drain(ctx context.Context) error {
	e.heal()
	e.stopWorker(false)
	var last error
	for range drainRounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.elapseBackoff(ctx); err != nil {
			return err
		}
		resumed, rerr := e.walksInProgress(ctx)
		if rerr != nil {
			return rerr
		}
		_, perr := e.pusher.PushPending(ctx)
		_, cerr := e.puller.Cycle(ctx, synced, true)
		if err := e.elapseBackoff(ctx); err != nil {
			return err
		}
		n, perr2 := e.pusher.PushPending(ctx)
		open, oerr := e.openPushes(ctx)
		last = errors.Join(perr, cerr, perr2, oerr)
		// At rest when the full pull after the pushes left nothing to push: the mirror is Halo's.
		if last == nil && n == 0 && len(open) == 0 && len(resumed) == 0 {
			return nil
		}
		if last == nil && len(open) > 0 {
			last = fmt.Errorf("pushes still open: %s", strings.Join(open, "; "))
		}
		if last == nil && len(resumed) > 0 {
			last = fmt.Errorf("full pulls resumed walks begun before the round: %s", strings.Join(resumed, ", "))
		}
		time.Sleep(20 * time.Millisecond) // breakers opened by the faults close
	}
	return fmt.Errorf("no rest after %d rounds of pushes and full pulls: %w", drainRounds, last)
}

// elapseBackoff lets the waits of failed pushes end now (a push tried again later waits until its
// next_attempt_at): at rest is after every wait, and the drain must not sleep through backoffs.
func (e *env) elapseBackoff(ctx context.Context) error {
	_, err := e.w.hpool.Exec(ctx, `UPDATE halosync.outbox SET next_attempt_at = now()
WHERE state IN ('pending', 'sending') AND next_attempt_at > now()`)
	if err != nil {
		return fmt.Errorf("elapse push backoff: %w", err)
	}
	return nil
}

// walksInProgress lists the entities the drain pulls (synced, and the actions pulled with tickets) with a
// full walk in progress, which their next full pull resumes (sync/resume.go: a walk_page after page 1)
// instead of walking from page 1.
func (e *env) walksInProgress(ctx context.Context) ([]string, error) {
	rows, err := e.w.hpool.Query(ctx, `SELECT entity FROM halosync.entity_state
WHERE walk_page > 1 AND entity = ANY($1) ORDER BY entity`, append(slices.Clone(synced), "actions"))
	if err != nil {
		return nil, fmt.Errorf("read walks in progress: %w", err)
	}
	return collectStrings(rows)
}

// openPushes lists outbox rows still to push (pending or sending).
func (e *env) openPushes(ctx context.Context) ([]string, error) {
	rows, err := e.w.hpool.Query(ctx, `SELECT format('%s %s %s (%s): %s', entity, record_key, op, state, coalesce(last_error, '-'))
FROM halosync.outbox WHERE state IN ('pending', 'sending') ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collectStrings(rows)
}

type stringRows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close()
}

func collectStrings(rows stringRows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// snapshot is both sides at rest.
type snapshot struct {
	halo    map[string]map[string]haloRec // entity → key → record
	mirror  map[string]map[string]mirrorRec
	parked  map[string]string // "entity key" → reason
	rejects map[string]bool   // "entity key"
	confl   []conflict
}

type haloRec struct {
	raw     []byte
	row     store.Row
	bad     error // why the mirror cannot hold it (nil: storable)
	deleted bool  // tickets: deleted in Halo (actions: their ticket is)
}

type mirrorRec struct {
	vals []any
	live bool
}

type conflict struct {
	entity, key, field, winner string
	local, remote              *time.Time
}

func (e *env) snapshot(ctx context.Context) (*snapshot, error) {
	s := &snapshot{halo: map[string]map[string]haloRec{}, mirror: map[string]map[string]mirrorRec{},
		parked: map[string]string{}, rejects: map[string]bool{}}
	deletedTickets := map[int64]bool{}
	for _, t := range e.fake.Records("tickets") {
		if t["deleted"] == true {
			deletedTickets[num(t["id"])] = true
		}
	}
	for _, entity := range checked {
		hs := map[string]haloRec{}
		for _, rec := range e.fake.Records(entity) {
			raw, err := json.Marshal(rec)
			if err != nil {
				return nil, err
			}
			var key target
			hr := haloRec{raw: raw}
			if entity == "actions" {
				key = keyOf(num(rec["ticket_id"]), num(rec["id"]))
				hr.deleted = deletedTickets[key.keys[0]]
			} else {
				key = keyOf(num(rec["id"]))
				hr.deleted = entity == "tickets" && rec["deleted"] == true
			}
			hr.row, hr.bad = hsync.RecordRow(entity, raw)
			if hr.bad == nil {
				hr.bad = storable(hr.row)
			}
			hs[key.key] = hr
		}
		s.halo[entity] = hs
		ms, err := e.mirrorRows(ctx, entity)
		if err != nil {
			return nil, err
		}
		s.mirror[entity] = ms
	}
	rows, err := e.w.hpool.Query(ctx, `SELECT entity || ' ' || record_key || E'\t' || coalesce(last_error, '') FROM halosync.outbox WHERE state = 'parked'`)
	if err != nil {
		return nil, err
	}
	parked, err := collectStrings(rows)
	if err != nil {
		return nil, err
	}
	for _, p := range parked {
		k, reason, _ := strings.Cut(p, "\t")
		s.parked[k] = reason
	}
	rows, err = e.w.hpool.Query(ctx, `SELECT entity || ' ' || record_key FROM halosync.rejects`)
	if err != nil {
		return nil, err
	}
	rejects, err := collectStrings(rows)
	if err != nil {
		return nil, err
	}
	for _, r := range rejects {
		s.rejects[r] = true
	}
	crows, err := e.w.hpool.Query(ctx, `SELECT entity, record_key, field, winner, local_changed_at, remote_changed_at FROM halosync.conflicts ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer crows.Close()
	for crows.Next() {
		var c conflict
		if err := crows.Scan(&c.entity, &c.key, &c.field, &c.winner, &c.local, &c.remote); err != nil {
			return nil, err
		}
		s.confl = append(s.confl, c)
	}
	return s, crows.Err()
}

// storable says why Postgres would refuse a row (the pull rejects such records).
func storable(r store.Row) error {
	if err := store.CheckRaw(r.Raw); err != nil {
		return err
	}
	for _, v := range r.Values {
		if s, ok := norm(v).(string); ok && (strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)) {
			return errors.New("text Postgres cannot store")
		}
	}
	return nil
}

func (e *env) mirrorRows(ctx context.Context, entity string) (map[string]mirrorRec, error) {
	t := store.Tables[entity]
	var sel []string
	for _, c := range append(append([]store.Column(nil), t.Keys...), t.Columns...) {
		if c.Type == store.TypeNumeric {
			sel = append(sel, c.Name+"::float8")
		} else {
			sel = append(sel, c.Name)
		}
	}
	rows, err := e.w.hpool.Query(ctx, fmt.Sprintf("SELECT %s, deleted_at IS NULL FROM %s", strings.Join(sel, ", "), t.Name))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]mirrorRec{}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		keys := make([]int64, len(t.Keys))
		for i := range t.Keys {
			keys[i] = vals[i].(int64)
		}
		out[keyOf(keys...).key] = mirrorRec{vals: vals[len(t.Keys) : len(vals)-1], live: vals[len(vals)-1].(bool)}
	}
	return out, rows.Err()
}

// norm turns a row value (Go scalars, pointers, halo's named types, times) or a database value into a
// comparable form: nil, int64, float64, bool, string, or a time as RFC 3339 text at Postgres' microseconds.
// Empty text counts as NULL (Text columns store Halo's "" as NULL, see internal/entity).
func norm(v any) any {
	if v == nil {
		return nil
	}
	if tp, ok := v.(interface{ Ptr() *time.Time }); ok {
		p := tp.Ptr()
		if p == nil {
			return nil
		}
		v = *p
	}
	if t, ok := v.(time.Time); ok {
		return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano) // pgx sends whole microseconds
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.Bool:
		return rv.Bool()
	case reflect.String:
		if rv.String() == "" {
			return nil
		}
		return rv.String()
	}
	if t, ok := rv.Interface().(time.Time); ok {
		return norm(t)
	}
	return fmt.Sprint(rv.Interface())
}

// haloValue is the mapped value of column in Halo's record, or false when there is none to compare.
func (s *snapshot) haloValue(entity, key, column string) (any, bool) {
	hr, ok := s.halo[entity][key]
	if !ok || hr.bad != nil {
		return nil, false
	}
	for i, c := range store.Tables[entity].Columns {
		if c.Name == column {
			return norm(hr.row.Values[i]), true
		}
	}
	return nil, false
}

func (s *snapshot) conflictOn(entity, key, field string) *conflict {
	for i := len(s.confl) - 1; i >= 0; i-- {
		c := &s.confl[i]
		if c.entity == entity && c.key == key && c.field == field {
			return c
		}
	}
	return nil
}

// check runs the invariants at rest and returns the divergences found.
func (e *env) check(ctx context.Context, m *model) ([]string, error) {
	s, err := e.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var div []string
	add := func(format string, args ...any) { div = append(div, fmt.Sprintf(format, args...)) }

	// 1. Every live Halo record equals its mirror row on every mapped column; nothing live on one side only.
	for _, entity := range checked {
		cols := store.Tables[entity].Columns
		for _, key := range sortedKeys(s.halo[entity]) {
			hr := s.halo[entity][key]
			mr, inMirror := s.mirror[entity][key]
			if reason, ok := s.parked[rk(entity, key)]; ok {
				if reason == "" {
					add("%s %s: push parked without a reason", entity, key)
				}
				continue // a local edit Halo refused: visible, the two sides may differ
			}
			if hr.deleted {
				if entity == "tickets" && inMirror && mr.live {
					add("tickets %s: deleted in Halo, live in the mirror", key)
				}
				continue
			}
			if hr.bad != nil {
				if !s.rejects[rk(entity, key)] {
					add("%s %s: Halo's record cannot be stored (%v) and is not in halosync.rejects", entity, key, hr.bad)
				}
				continue
			}
			if !inMirror || !mr.live {
				add("%s %s: live in Halo, not in the mirror (present=%v)", entity, key, inMirror)
				continue
			}
			for i, c := range cols {
				if notListed[entity][c.Name] || m.omitted[rk(entity, key)][c.Name] {
					continue // Halo does not say: the mirror may keep what it had
				}
				hv, mv := norm(hr.row.Values[i]), norm(mr.vals[i])
				if !reflect.DeepEqual(hv, mv) {
					add("%s %s: %s is %#v in Halo, %#v in the mirror", entity, key, c.Name, hv, mv)
				}
			}
		}
		for _, key := range sortedKeys(s.mirror[entity]) {
			mr := s.mirror[entity][key]
			if !mr.live {
				continue
			}
			if _, ok := s.parked[rk(entity, key)]; ok {
				continue
			}
			if hr, ok := s.halo[entity][key]; ok {
				if hr.deleted && entity == "actions" {
					continue // actions of a deleted ticket: Halo keeps them with it
				}
				continue // compared above
			}
			add("%s %s: live in the mirror, not in Halo", entity, key)
		}
	}

	// 2. Conflicts: the later side won (ties to Halo), and the conflict row says so.
	for _, c := range s.confl {
		if c.field == "*deleted*" || c.local == nil || c.remote == nil {
			continue
		}
		want := "halo"
		if c.local.After(*c.remote) {
			want = "local"
		}
		if c.winner != want {
			add("conflict %s %s %s: winner %s, but local changed at %s and Halo at %s (later wins, ties to Halo)",
				c.entity, c.key, c.field, c.winner, c.local.Format(time.RFC3339Nano), c.remote.Format(time.RFC3339Nano))
		}
	}
	for _, b := range m.both {
		if m.touchedAfter(b.entity, b.key, b.op, "") || m.bad[rk(b.entity, b.key)] != "" {
			continue
		}
		if _, ok := s.parked[rk(b.entity, b.key)]; ok {
			continue
		}
		if e.px.overwroteUnseen(strings.ToLower(entity.Must(b.entity).Path)+" "+b.key, haloField(b.entity, b.field), b.haloReal) {
			continue // a push in flight, decided before Halo's half, overwrote it (proxy.overwroteUnseen)
		}
		got, ok := s.haloValue(b.entity, b.key, b.field)
		if !ok || s.halo[b.entity][b.key].deleted || m.omitted[rk(b.entity, b.key)][b.field] {
			continue
		}
		winner, want := "halo", norm(b.halo)
		switch {
		case b.haloNoop:
			winner, want = "local", norm(b.local)
		case b.entity == entity.Tickets.Name && e.px.beforeActionWrite("/api/tickets "+b.key, b.haloReal):
			// Halo's edit landed in one of our action writes' window: Halo wins in doubt (proxy.beforeActionWrite).
		case b.delta < 0:
			winner, want = "local", norm(b.local)
		}
		if !valueEqual(got, want) {
			add("%s %s %s edited on both sides (Halo %s after the local edit): Halo holds %#v, want the %s value %#v",
				b.entity, b.key, b.field, b.delta, got, winner, want)
		}
		if b.concurrent {
			c := s.conflictOn(b.entity, b.key, b.field)
			switch {
			case c == nil:
				add("%s %s %s edited on both sides: no conflict row", b.entity, b.key, b.field)
			case c.winner != winner:
				add("%s %s %s edited on both sides (Halo %s after the local edit): conflict row names %s, want %s",
					b.entity, b.key, b.field, b.delta, c.winner, winner)
			}
		}
	}

	// 3. Nothing created twice in Halo; every local insert reached Halo or says why not.
	for _, in := range m.inserts {
		n := e.px.createCount(in.marker)
		for _, a := range in.aliases {
			n += e.px.createCount(a)
		}
		if n > 1 {
			add("local insert %s %q was created %d times in Halo", in.entity, in.marker, n)
		}
		if n == 0 {
			state, reason, err := e.createState(ctx, in)
			if err != nil {
				return nil, err
			}
			if !(state == "parked" && reason != "") && !(state == "done" && strings.HasPrefix(reason, "cancelled")) {
				add("local insert %s %q never reached Halo (outbox %s: %q)", in.entity, in.marker, state, reason)
			}
		}
	}

	// 4. Every local edit is in Halo, or superseded, or visible as parked or conflicted.
	for _, ed := range m.edits {
		if strings.HasPrefix(ed.key, "-") || strings.Contains(ed.key, "/-") || m.touchedAfter(ed.entity, ed.key, ed.op, ed.field) {
			continue
		}
		if _, ok := s.parked[rk(ed.entity, ed.key)]; ok {
			continue
		}
		hr, ok := s.halo[ed.entity][ed.key]
		if !ok || hr.deleted || hr.bad != nil || m.omitted[rk(ed.entity, ed.key)][ed.field] {
			continue // deleted in Halo (check 1 covers the tombstone), or Halo does not say
		}
		got, _ := s.haloValue(ed.entity, ed.key, ed.field)
		if valueEqual(got, norm(ed.value)) {
			continue
		}
		if c := s.conflictOn(ed.entity, ed.key, ed.field); c != nil && c.winner == "halo" {
			continue
		}
		add("local edit of %s %s %s = %#v (op %d) is not in Halo (Halo has %#v) and not parked or conflicted",
			ed.entity, ed.key, ed.field, ed.value, ed.op, got)
	}
	for _, d := range m.deletes {
		if strings.HasPrefix(d.key, "-") || strings.Contains(d.key, "/-") {
			continue
		}
		hr, ok := s.halo[d.entity][d.key]
		if !ok || hr.deleted {
			continue
		}
		if _, ok := s.parked[rk(d.entity, d.key)]; ok {
			continue
		}
		if s.conflictOn(d.entity, d.key, "*deleted*") != nil {
			continue
		}
		add("local delete of %s %s (op %d) is not in Halo and not parked", d.entity, d.key, d.op)
	}

	// 5. One more sync makes no POST (no echo) and leaves nothing to push.
	before := e.px.postCount()
	if _, err := e.puller.Cycle(ctx, synced, false); err != nil {
		add("one more sync failed: %v", err)
	}
	if err := e.elapseBackoff(ctx); err != nil {
		return nil, err
	}
	if _, err := e.pusher.PushPending(ctx); err != nil {
		add("one more push failed: %v", err)
	}
	if n := e.px.postCount() - before; n > 0 {
		add("one more sync made %d POST(s) to Halo (echo)", n)
	}
	if open, err := e.openPushes(ctx); err != nil {
		return nil, err
	} else if len(open) > 0 {
		add("one more sync left pushes open: %s", strings.Join(open, "; "))
	}
	return div, nil
}

func (e *env) createState(ctx context.Context, in localInsert) (state, reason string, err error) {
	err = e.w.hpool.QueryRow(ctx, `SELECT state, coalesce(last_error, '') FROM halosync.outbox
WHERE entity = $1 AND op = 'create' AND (record_key = $2 OR fields->>$3 = $4) ORDER BY id DESC LIMIT 1`,
		in.entity, in.key, markerField[in.entity], in.marker).Scan(&state, &reason)
	if err != nil && err.Error() == "no rows in result set" {
		return "missing", "", nil
	}
	return state, reason, err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// valueEqual compares two scalar values the way JSON sees them (1 == 1.0).
func valueEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var x, y any
	_ = json.Unmarshal(ja, &x)
	_ = json.Unmarshal(jb, &y)
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// haloField is the Halo field of a mirror column (the same name, unless the declaration says otherwise).
func haloField(name, col string) string {
	if c, ok := entity.Must(name).Column(col); ok {
		return c.HaloField()
	}
	return col
}
