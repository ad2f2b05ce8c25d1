package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/entity"
	decl "github.com/halosync/halosync/internal/entity" // where a variable is named entity
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// tiny is a tenant small enough for many tests and large enough to page.
var tiny = halofake.Size{Clients: 12, Sites: 30, Users: 230, Agents: 6, Tickets: 250, ActionsPerTicket: 3, Assets: 120, Contracts: 8}

type env struct {
	fake   *halofake.Server
	puller *hsync.Puller
	pool   *pgxpool.Pool
}

func newEnv(t *testing.T, opts halofake.Options, size halofake.Size) *env {
	t.Helper()
	fake := halofake.New(opts)
	fake.Generate(size)
	base := fake.Start()
	t.Cleanup(fake.Close)
	return newEnvFor(t, fake, base, testdb.New(t))
}

func newEnvFor(t *testing.T, fake *halofake.Server, base string, pool *pgxpool.Pool) *env {
	t.Helper()
	hc, err := halo.New(halo.Config{BaseURL: base, ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret, Scope: "all"})
	require.NoError(t, err)
	return &env{fake: fake, pool: pool, puller: &hsync.Puller{Halo: hc, Store: store.New(pool), WaitForLock: true}}
}

func (e *env) cycle(t *testing.T, full bool) []*store.Run {
	t.Helper()
	runs, err := e.puller.Cycle(context.Background(), nil, full)
	require.NoError(t, err)
	return runs
}

// apiRequests counts the fake's /api requests (token requests excluded).
// pull runs one entity's pull and returns its (first) ledger row, whatever the run's outcome.
func (e *env) pull(t *testing.T, entity string, full bool) *store.Run {
	t.Helper()
	runs, err := e.puller.Pull(context.Background(), entity, full)
	require.NoError(t, err)
	require.NotEmpty(t, runs)
	return runs[0]
}

// pullOne is pull with a fresh request log (so a test counts its own requests), for a run that must succeed.
func (e *env) pullOne(t *testing.T, entity string, full bool) *store.Run {
	t.Helper()
	e.fake.ResetRequests()
	r := e.pull(t, entity, full)
	require.Empty(t, r.Error)
	return r
}

func (e *env) apiRequests() int {
	n := 0
	for _, r := range e.fake.Requests() {
		if strings.HasPrefix(r.Path, "/api/") {
			n++
		}
	}
	return n
}

func ceilDiv(a, b int) int {
	if a == 0 {
		return 1 // an empty list still costs the request that finds it empty
	}
	return (a + b - 1) / b
}

// liveIDs lists the ids of the mirror table that are not tombstoned.
func liveIDs(t *testing.T, pool *pgxpool.Pool, table string) []string {
	t.Helper()
	// the key as entity.KeyString writes it: values joined by "/", times in RFC 3339 UTC
	var parts []string
	for _, k := range store.Tables[table].Keys {
		part := k.Name + "::text"
		if k.Type == store.TypeTimestamptz {
			part = fmt.Sprintf(`to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`, k.Name)
		}
		parts = append(parts, part)
	}
	key := strings.Join(parts, " || '/' || ")
	rows, err := pool.Query(context.Background(), fmt.Sprintf(`SELECT %s FROM halo.%s WHERE deleted_at IS NULL ORDER BY 1`, key, table))
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return ids
}

// fakeIDs lists the ids the fake holds (deleted tickets excluded).
func fakeIDs(e *env, entity string) []string {
	ids := []string{}
	deleted := map[any]bool{}
	for _, r := range e.fake.Records("tickets") {
		if r["deleted"] == true {
			deleted[num(r["id"])] = true
		}
	}
	for _, r := range e.fake.Records(fakeName(entity)) {
		if entity == "actions" && deleted[num(r["ticket_id"])] {
			continue // a deleted ticket's actions go with it
		}
		if entity == "tickets" && r["deleted"] == true {
			continue
		}
		if entity == "actions" {
			ids = append(ids, fmt.Sprintf("%v/%v", num(r["ticket_id"]), num(r["id"])))
			continue
		}
		if keys := decl.Must(entity).Keys; len(keys) != 1 || keys[0].Name != "id" {
			// rows whose Halo id is 0 (time entries, timesheets): their declared key
			raw, err := json.Marshal(r)
			if err != nil {
				panic(err)
			}
			rec, err := decl.Must(entity).Decode(raw)
			if err != nil {
				panic(err)
			}
			ids = append(ids, decl.KeyString(rec.Keys))
			continue
		}
		ids = append(ids, fmt.Sprint(num(r["id"])))
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

// fakeName is the fake's name for an entity, where it differs.
func fakeName(entity string) string {
	if entity == decl.TimesheetEvents.Name {
		return "time_entries"
	}
	return entity
}

// windowsOf is how many requests a read of a date-bounded entity makes (one per calendar month) from
// before now (the default history, or Recent for an incremental read) to its Ahead; 0 for other entities.
func windowsOf(name string, incremental bool) int {
	e := decl.Must(name)
	if e.Paging != decl.DateBounded {
		return 0
	}
	back := hsync.DefaultHistory
	if incremental {
		back = e.Bounds.Recent
	}
	now := time.Now().UTC()
	from, to := now.Add(-back), now.Add(e.Bounds.Ahead)
	return (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month()) + 1
}

func num(v any) any {
	if f, ok := v.(float64); ok {
		return int64(f)
	}
	return v
}

func requireMirror(t *testing.T, e *env) {
	t.Helper()
	for _, entity := range append(append([]string{}, hsync.PullOrder...), entity.Actions.Name) {
		want := fakeIDs(e, entity)
		got := liveIDs(t, e.pool, entity)
		sort.Strings(got)
		require.Equal(t, want, got, "mirror of %s", entity)
	}
}

// minimumRequests is the fewest requests an initial sync can make: one per
// page of each entity at its server page cap, the deleted-tickets list, and
// the actions either in bulk pages or one request per ticket that has any.
func minimumRequests(e *env, bulk bool) int {
	n := 0
	for _, entity := range hsync.PullOrder {
		recs := len(e.fake.Records(fakeName(entity)))
		switch {
		case windowsOf(entity, false) > 0:
			n += windowsOf(entity, false)
			continue
		}
		switch entity {
		case "assets":
			n += ceilDiv(recs, 50)
		case "agents", "statuses", "ticket_types", "teams", "priorities":
			n++
		case "tickets":
			n += ceilDiv(len(fakeIDs(e, "tickets")), 100) + 1 // + deleted=true list
		default:
			n += ceilDiv(recs, 100)
		}
	}
	// The recent window (issue 19): the tickets updated in the last 30
	// days, then the actions dated in them. The fake's tenant is older, so
	// each is one empty page.
	n++
	n++ // Halo's version (GET /api/InstanceInfo), read once an hour
	if bulk {
		return n + 1 + ceilDiv(len(fakeIDs(e, "actions")), 100)
	}
	withActions := map[string]bool{}
	for _, key := range fakeIDs(e, "actions") {
		ticket, _, _ := strings.Cut(key, "/")
		withActions[ticket] = true
	}
	return n + len(withActions) + 1 // + the one refused bulk probe (in the recent window)
}

func TestFirstSyncMirrorsEverything(t *testing.T) {
	for _, c := range []struct {
		bulk        bool
		concurrency int
	}{{true, 0}, {false, 0}, {true, 4}} {
		bulk := c.bulk
		t.Run(fmt.Sprintf("bulk=%v,concurrency=%d", bulk, c.concurrency), func(t *testing.T) {
			e := newEnv(t, halofake.Options{BulkActions: bulk, Seed: 7}, tiny)
			e.puller.Concurrency = c.concurrency
			runs := e.cycle(t, false)
			requireMirror(t, e)
			require.Equal(t, minimumRequests(e, bulk), e.apiRequests(), "requests of the initial sync")
			// The runs come in the order of the entities, whatever ran at once
			// (the recent window's, before the first entity after the lookups).
			last := -1
			for _, r := range runs {
				if r.Mode == "recent" {
					continue
				}
				at := slices.Index(hsync.PullOrder, r.Entity)
				if r.Entity == "actions" || r.Entity == "attachments" {
					at = slices.Index(hsync.PullOrder, "tickets")
				}
				require.GreaterOrEqual(t, at, last, "run of %s out of order", r.Entity)
				last = at
			}

			var ledgerRequests int64
			for _, r := range runs {
				require.Empty(t, r.Error)
				ledgerRequests += r.Requests
			}
			// The ledger counts the same requests the fake saw (actions
			// runs are reported by the tickets pull, not in runs).
			var total int64
			require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT sum(requests) FROM halosync.runs`).Scan(&total))
			require.EqualValues(t, e.apiRequests(), total)

			// Inactive rows are mirrored with inactive = true.
			inactiveRows := 0
			for _, entity := range []string{"clients", "sites", "users", "assets"} {
				var inactive int
				require.NoError(t, e.pool.QueryRow(context.Background(),
					fmt.Sprintf(`SELECT count(*) FROM halo.%s WHERE inactive`, entity)).Scan(&inactive))
				want := 0
				for _, c := range e.fake.Records(entity) {
					if c["inactive"] == true {
						want++
					}
				}
				require.Equal(t, want, inactive, "inactive %s", entity)
				inactiveRows += want
			}
			require.Positive(t, inactiveRows, "the fake tenant has inactive rows")
		})
	}
}

func TestSecondSyncWritesNothing(t *testing.T) {
	for _, honour := range []bool{true, false} {
		t.Run(fmt.Sprintf("honourFilter=%v", honour), func(t *testing.T) {
			e := newEnv(t, halofake.Options{BulkActions: true, HonourLastUpdateFilter: honour, Seed: 3}, tiny)
			e.cycle(t, false)
			if !honour {
				// The first incremental pull finds the filter ignored and
				// remembers it; from then on the entity is read whole.
				e.cycle(t, false)
			}
			e.fake.ResetRequests()
			var before string
			require.NoError(t, e.pool.QueryRow(context.Background(),
				`SELECT max(synced_at)::text FROM halo.tickets`).Scan(&before))
			runs := e.cycle(t, false)
			for _, r := range runs {
				require.Zero(t, r.Inserted+r.Updated+r.Tombstoned, "%s wrote rows", r.Entity)
			}
			var after string
			require.NoError(t, e.pool.QueryRow(context.Background(),
				`SELECT max(synced_at)::text FROM halo.tickets`).Scan(&after))
			require.Equal(t, before, after, "no ticket row was rewritten")
			// Minimum: one request for each small or filtered entity, the
			// full user list (its rows carry no timestamp), tickets + the
			// deleted list, and no actions at all.
			want := 0
			for _, entity := range hsync.PullOrder {
				recs := len(e.fake.Records(fakeName(entity)))
				switch {
				case windowsOf(entity, true) > 0:
					want += windowsOf(entity, true)
				case entity == "users":
					want += ceilDiv(recs, 100)
				case entity == "tickets":
					want += 2
				case !honour && entity == "assets":
					want += ceilDiv(recs, 50)
				case !honour && (entity == "clients" || entity == "sites"):
					want += ceilDiv(recs, 100)
				default:
					want++
				}
			}
			require.Equal(t, want, e.apiRequests())
		})
	}
}

func TestChangesInHaloReachTheMirror(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, HonourLastUpdateFilter: true, Seed: 11}, tiny)
	e.cycle(t, false)
	ctx := context.Background()

	tickets := e.fake.Records("tickets")
	t1, t2, t3 := int64(num(tickets[0]["id"]).(int64)), int64(num(tickets[1]["id"]).(int64)), int64(num(tickets[2]["id"]).(int64))
	e.fake.Update("tickets", t1, map[string]any{"summary": "Printer on fire — ünïcode ✓"})
	actionID := e.fake.AddAction(t2, "a new note")
	e.fake.Delete("tickets", t3)
	newTicket := e.fake.Create("tickets", map[string]any{"summary": "brand new", "details": "made in Halo", "client_id": 1, "tickettype_id": 1})
	clientID := int64(num(e.fake.Records("clients")[0]["id"]).(int64))
	e.fake.Update("clients", clientID, map[string]any{"inactive": true})

	e.cycle(t, false)

	var summary string
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT summary FROM halo.tickets WHERE id = $1`, t1).Scan(&summary))
	require.Equal(t, "Printer on fire — ünïcode ✓", summary)
	var note string
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT note FROM halo.actions WHERE ticket_id = $1 AND id = $2`, t2, actionID).Scan(&note))
	require.Equal(t, "a new note", note)
	var deleted bool
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT deleted_at IS NOT NULL FROM halo.tickets WHERE id = $1`, t3).Scan(&deleted))
	require.True(t, deleted, "a ticket deleted in Halo is tombstoned")
	var n int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.tickets WHERE id = $1 AND summary = 'brand new'`, newTicket).Scan(&n))
	require.Equal(t, 1, n)
	var inactive bool
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT inactive FROM halo.clients WHERE id = $1`, clientID).Scan(&inactive))
	require.True(t, inactive)

	// A client removed from Halo is tombstoned by the full reconcile.
	gone := int64(num(e.fake.Records("clients")[1]["id"]).(int64))
	e.fake.Delete("clients", gone)
	e.cycle(t, true)
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT deleted_at IS NOT NULL FROM halo.clients WHERE id = $1`, gone).Scan(&deleted))
	require.True(t, deleted)
	requireMirror(t, e)
}

func TestUnstorableRecordGoesToRejects(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 5}, tiny)
	bad := int64(num(e.fake.Records("tickets")[4]["id"]).(int64))
	e.fake.Update("tickets", bad, map[string]any{"summary": "nul \u0000 inside"})
	runs := e.cycle(t, false)

	var reason string
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT reason FROM halosync.rejects WHERE entity = 'tickets' AND record_key = $1`, fmt.Sprint(bad)).Scan(&reason))
	require.NotEmpty(t, reason)
	for _, r := range runs {
		if r.Entity == "tickets" {
			require.EqualValues(t, 1, r.Rejected)
		}
	}
	// Everything else is mirrored.
	want := fakeIDs(e, "tickets")
	got := liveIDs(t, e.pool, "tickets")
	require.Len(t, got, len(want)-1)
	require.NotContains(t, got, fmt.Sprint(bad))
}

func TestCancelledPullResumesExactly(t *testing.T) {
	for _, stopAt := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("page%d", stopAt), func(t *testing.T) {
			e := newEnv(t, halofake.Options{BulkActions: true, Seed: int64(stopAt)}, tiny)
			ctx, cancel := context.WithCancel(context.Background())
			pages := 0
			e.puller.ProgressFunc = func(p hsync.Progress) {
				if p.Entity == "tickets" && !p.Done {
					if pages++; pages == stopAt {
						cancel()
					}
				}
			}
			_, err := e.puller.Cycle(ctx, nil, false)
			require.Error(t, err)
			require.True(t, errors.Is(err, context.Canceled), "got %v", err)

			e.puller.ProgressFunc = nil
			e.cycle(t, false)
			requireMirror(t, e)
		})
	}
}

func TestTwoPullersShareTheWork(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 9}, tiny)
	other := newEnvFor(t, e.fake, e.fake.URL(), e.pool)
	other.puller.WaitForLock = false

	unlock, err := e.puller.Store.LockEntity(context.Background(), "tickets", true)
	require.NoError(t, err)
	_, err = other.puller.Pull(context.Background(), "tickets", false)
	require.ErrorIs(t, err, hsync.ErrBusy, "a second process does not pull an entity being pulled")
	unlock()

	errs := make(chan error, 2)
	for _, p := range []*hsync.Puller{e.puller, other.puller} {
		go func() {
			p.WaitForLock = true
			_, err := p.Cycle(context.Background(), nil, false)
			errs <- err
		}()
	}
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
	requireMirror(t, e)
}

func TestMassDeleteGuard(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 13}, tiny)
	e.cycle(t, false)
	sites := e.fake.Records("sites")
	for _, s := range sites[:len(sites)*3/4] {
		e.fake.Delete("sites", int64(num(s["id"]).(int64)))
	}
	_, err := e.puller.Pull(context.Background(), "sites", true)
	var mass *hsync.MassDeleteError
	require.ErrorAs(t, err, &mass)
	require.Equal(t, len(sites), len(liveIDs(t, e.pool, "sites")), "nothing tombstoned")
	var ledger string
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT error FROM halosync.runs WHERE entity = 'sites' ORDER BY id DESC LIMIT 1`).Scan(&ledger))
	require.Contains(t, ledger, "mass-delete guard")
}

// TestIgnoredDeletedFilterTombstonesNothing: a server that ignores
// deleted=true (Halo ignores unknown parameters) lists live tickets; they
// say "deleted": false and are not tombstoned.
func TestIgnoredDeletedFilterTombstonesNothing(t *testing.T) {
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 19})
	fake.Generate(tiny)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Del("deleted")
		r.URL.RawQuery = q.Encode()
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e := newEnvFor(t, fake, srv.URL, testdb.New(t))
	e.cycle(t, false)
	e.cycle(t, true)
	got := liveIDs(t, e.pool, "tickets")
	sort.Strings(got)
	require.Equal(t, fakeIDs(e, "tickets"), got, "every live ticket stays live")
}

// A cycle pulls no more entities at once than its pool can serve: each holds a connection for its lock and
// needs others for its batches, so four at once on a pool of four would wait for each other for ever.
func TestCycleFitsItsPool(t *testing.T) {
	dbURL, _ := testdb.NewURL(t)
	pool := testdb.Connect(t, dbURL+"&pool_max_conns=4")
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 5})
	fake.Generate(tiny)
	base := fake.Start()
	t.Cleanup(fake.Close)
	e := newEnvFor(t, fake, base, pool)
	e.puller.Concurrency = 4
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := e.puller.Cycle(ctx, nil, false)
	require.NoError(t, err)
	requireMirror(t, e)
}
