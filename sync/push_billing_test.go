package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// Pushes of the billing and calendar entities (issue 18 item 4): appointments, items, suppliers, quotes.

var picoBilling = func() halofake.Size {
	s := pico
	s.Appointments, s.Items, s.Suppliers, s.Quotes = 12, 7, 5, 4
	return s
}()

// postLog records the bodies of the POSTs that reach the fake, by API path.
type postLog struct {
	mu     sync.Mutex
	bodies map[string][]string
}

func (l *postLog) of(path string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bodies[strings.ToLower(path)]...)
}

// keys lists, for every record POSTed to path (a body is an array of records), its field names, sorted.
func (l *postLog) keys(path string) [][]string {
	var out [][]string
	for _, body := range l.of(path) {
		var arr []map[string]any
		if json.Unmarshal([]byte(body), &arr) != nil {
			continue
		}
		for _, rec := range arr {
			ks := make([]string, 0, len(rec))
			for k := range rec {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			out = append(out, ks)
		}
	}
	return out
}

// newBillingPushEnv is newPushEnv's tenant with appointments, items, suppliers and quotes, served through a
// proxy that logs POST bodies.
func newBillingPushEnv(t *testing.T, opts halofake.Options) (*pushEnv, *postLog) {
	t.Helper()
	skew := &atomic.Int64{}
	opts.Seed = 7
	opts.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	fake := halofake.New(opts)
	fake.Generate(picoBilling)
	fake.Start()
	t.Cleanup(fake.Close)
	log := &postLog{bodies: map[string][]string{}}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/") {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(b)))
			log.mu.Lock()
			log.bodies[strings.ToLower(r.URL.Path)] = append(log.bodies[strings.ToLower(r.URL.Path)], string(b))
			log.mu.Unlock()
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	e := newEnvFor(t, fake, proxy.URL, testdb.New(t))
	e.cycle(t, true)
	return &pushEnv{env: e, skew: skew, pinned: &atomic.Pointer[time.Time]{}, pusher: &hsync.Pusher{Halo: e.puller.Halo, Store: e.puller.Store}}, log
}

var billingPushCases = []struct {
	entity, path, column string // column: a writable text column, sent under its own name
	readonly             string // an assignment to a column of the same table a local edit may not change
}{
	{"appointments", "/api/Appointment", "subject", "agent_name = 'x'"},
	{"items", "/api/Item", "name", "datecreated = now()"},
	{"suppliers", "/api/Supplier", "name", "toplevel_name = 'x'"},
	{"quotes", "/api/Quotation", "title", "client_name = 'x'"},
}

// TestPushBillingEntities: an edit of a writable column is one POST carrying the id and the changed writable
// fields only; the next syncs write and push nothing back (no echo); Halo's later change of the same field
// wins, and the local value is kept as a conflict.
func TestPushBillingEntities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range billingPushCases {
		t.Run(c.entity, func(t *testing.T) {
			t.Parallel()
			e, log := newBillingPushEnv(t, halofake.Options{})
			id := e.firstID(t, c.entity)
			e.exec(t, `UPDATE halo.`+c.entity+` SET `+c.column+` = 'edited locally' WHERE id = $1`, id)
			require.Equal(t, 1, e.pushAll(t))
			bodies := log.of(c.path)
			require.Len(t, bodies, 1, "one POST")
			var sent []map[string]any
			require.NoError(t, json.Unmarshal([]byte(bodies[0]), &sent))
			require.Len(t, sent, 1)
			require.Equal(t, map[string]any{"id": float64(id), c.column: "edited locally"}, sent[0], "the id and the changed writable field only")
			require.Equal(t, "edited locally", e.record(t, c.entity, id)[c.column])
			require.Equal(t, "edited locally", e.scalar(t, `SELECT `+c.column+` FROM halo.`+c.entity+` WHERE id = $1`, id))

			// No echo: the syncs after the push read Halo's copy, write nothing and queue nothing.
			e.cycle(t, false)
			e.cycle(t, true)
			require.Equal(t, 0, e.pushAll(t))
			require.Len(t, log.of(c.path), 1)
			require.Len(t, e.outbox(t), 1)

			// A non-writable column is refused.
			_, err := e.pool.Exec(ctx, `UPDATE halo.`+c.entity+` SET `+c.readonly+` WHERE id = $1`, id)
			require.ErrorContains(t, err, `column "`+strings.Fields(c.readonly)[0]+`" of halo.`+c.entity+` is not writable`)

			// Conflict: Halo changes the field ten minutes after our edit; its change wins and ours is kept.
			e.exec(t, `UPDATE halo.`+c.entity+` SET `+c.column+` = 'local again' WHERE id = $1`, id)
			e.remoteEdit(c.entity, id, map[string]any{c.column: "changed in Halo"}, 10*time.Minute)
			require.Equal(t, 1, e.pushAll(t))
			require.Equal(t, "changed in Halo", e.record(t, c.entity, id)[c.column])
			require.Equal(t, "changed in Halo", e.scalar(t, `SELECT `+c.column+` FROM halo.`+c.entity+` WHERE id = $1`, id))
			cs, err := e.puller.Store.ListConflicts(ctx, e.pool, true)
			require.NoError(t, err)
			require.Len(t, cs, 1)
			require.Equal(t, c.column, cs[0].Field)
			require.Equal(t, "halo", cs[0].Winner)
			require.Equal(t, "local again", cs[0].LocalValue)
		})
	}
}

// TestPushBillingCreateCrashParked: a create interrupted after Halo's reply is parked "may already exist in
// Halo" (these entities have no field that proves a record ours), never posted twice.
func TestPushBillingCreateCrashParked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct{ entity, insert, field, value string }{
		{"appointments", `INSERT INTO halo.appointments (subject, start_date, end_date) VALUES ('crash visit', now(), now() + interval '1 hour') RETURNING id`, "subject", "crash visit"},
		{"items", `INSERT INTO halo.items (name, baseprice) VALUES ('Crash Widget', 12.5) RETURNING id`, "name", "Crash Widget"},
		{"suppliers", `INSERT INTO halo.suppliers (name) VALUES ('Crash Supplies') RETURNING id`, "name", "Crash Supplies"},
		{"quotes", `INSERT INTO halo.quotes (title, client_id) SELECT 'Crash Quote', min(id) FROM halo.clients RETURNING id`, "title", "Crash Quote"},
	} {
		t.Run(c.entity, func(t *testing.T) {
			t.Parallel()
			e, _ := newBillingPushEnv(t, halofake.Options{})
			created := func() int {
				n := 0
				for _, r := range e.fake.Records(c.entity) {
					if r[c.field] == c.value {
						n++
					}
				}
				return n
			}
			var temp int64
			require.NoError(t, e.pool.QueryRow(ctx, c.insert).Scan(&temp))
			require.Negative(t, temp)
			crash := errors.New("simulated crash after Halo's reply")
			hsync.SetAfterPost(e.pusher, func(context.Context, int64) error { return crash })
			require.ErrorIs(t, e.pusher.Push(ctx, e.outbox(t)[0].ID), crash)
			require.Equal(t, 1, created(), "Halo has the record")
			hsync.SetAfterPost(e.pusher, nil)
			require.Equal(t, 1, e.pushAll(t))
			ob := e.outbox(t)[0]
			require.Equal(t, store.OutboxParked, ob.State)
			require.Contains(t, *ob.LastError, "may already exist in Halo: check and retry")
			require.Equal(t, 0, e.pushAll(t), "parked stays parked")
			require.Equal(t, 1, created(), "never posted twice")
		})
	}
}

// TestPushBillingCreate: a row inserted locally is created in Halo and takes Halo's id.
func TestPushBillingCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newBillingPushEnv(t, halofake.Options{})
	var temp int64
	require.NoError(t, e.pool.QueryRow(ctx, `INSERT INTO halo.items (name, baseprice, taxable) VALUES ('New Widget', 9.5, true) RETURNING id`).Scan(&temp))
	require.Equal(t, 1, e.pushAll(t))
	ob := e.outbox(t)[0]
	require.Equal(t, store.OutboxDone, ob.State)
	require.NotNil(t, ob.HaloID)
	require.EqualValues(t, 0, e.scalar(t, `SELECT count(*) FROM halo.items WHERE id = $1`, temp))
	require.Equal(t, "New Widget", e.scalar(t, `SELECT name FROM halo.items WHERE id = $1`, *ob.HaloID))
	require.Equal(t, "New Widget", e.record(t, "items", *ob.HaloID)["name"])
}

// TestPushAppointmentNewIDOnUpdate: Halo may answer an appointment's update with a new id (the old one is
// gone): the mirror follows, and the next full sync neither duplicates nor resurrects it.
func TestPushAppointmentNewIDOnUpdate(t *testing.T) {
	t.Parallel()
	e, _ := newBillingPushEnv(t, halofake.Options{AppointmentNewIDOnUpdate: true})
	id := e.firstID(t, "appointments")
	e.exec(t, `UPDATE halo.appointments SET subject = 'renumbered' WHERE id = $1`, id)
	require.Equal(t, 1, e.pushAll(t))
	require.Nil(t, e.record(t, "appointments", id), "Halo dropped the old id")
	var newID int64
	for _, r := range e.fake.Records("appointments") {
		if r["subject"] == "renumbered" {
			newID = num(r["id"]).(int64)
		}
	}
	require.Positive(t, newID)
	e.cycle(t, true)
	require.EqualValues(t, 1, e.scalar(t, `SELECT count(*) FROM halo.appointments WHERE subject = 'renumbered' AND deleted_at IS NULL`))
	require.EqualValues(t, 1, e.scalar(t, `SELECT count(*) FROM halo.appointments WHERE id = $1 AND deleted_at IS NULL`, newID))
	require.EqualValues(t, 0, e.scalar(t, `SELECT count(*) FROM halo.appointments WHERE id = $1 AND deleted_at IS NULL`, id))
	require.Equal(t, 0, e.pushAll(t))
}
