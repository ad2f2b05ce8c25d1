package sync_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// fastRetry is halo.DefaultRetry with test-sized backoffs.
var fastRetry = halo.RetryPolicy{Tries: 6, Base: 5 * time.Millisecond, Max: 50 * time.Millisecond}

// fastGuard is a Guard with test-sized breaker backoffs and a budget so large
// that only tests about the budget meet it.
func fastGuard(st *store.Store, mod func(*hsync.GuardConfig)) *hsync.Guard {
	cfg := hsync.GuardConfig{
		Store: st, Limit: 100000, Window: time.Second,
		OpenBase: 50 * time.Millisecond, OpenMax: 400 * time.Millisecond,
		AuthBase: 100 * time.Millisecond, AuthMax: time.Second,
		ForbiddenBase: 100 * time.Millisecond, ForbiddenMax: time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	return hsync.NewGuard(cfg)
}

// guarded is an env whose client has a Guard and in-process retries, like
// the one cmd/halosync builds.
type guarded struct {
	*env
	guard *hsync.Guard
	hc    *halo.Client
}

func newGuarded(t *testing.T, fake *halofake.Server, pool *pgxpool.Pool, guard func(*store.Store) *hsync.Guard, mod func(*halo.Config)) *guarded {
	t.Helper()
	st := store.New(pool)
	g := guard(st)
	cfg := halo.Config{BaseURL: fake.URL(), ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret,
		Scope: "all", Limiter: g, Retry: fastRetry}
	if mod != nil {
		mod(&cfg)
	}
	hc, err := halo.New(cfg)
	require.NoError(t, err)
	return &guarded{env: &env{fake: fake, pool: pool, puller: &hsync.Puller{Halo: hc, Store: st, WaitForLock: true}}, guard: g, hc: hc}
}

func newFake(t *testing.T, opts halofake.Options, size halofake.Size) *halofake.Server {
	t.Helper()
	fake := halofake.New(opts)
	fake.Generate(size)
	fake.Start()
	t.Cleanup(fake.Close)
	return fake
}

func (e *env) statuses(code int) int {
	n := 0
	for _, r := range e.fake.Requests() {
		if r.Status == code {
			n++
		}
	}
	return n
}

func (e *env) tokenRequests() int {
	n := 0
	for _, r := range e.fake.Requests() {
		if r.Path == "/auth/token" {
			n++
		}
	}
	return n
}

func health(t *testing.T, pool *pgxpool.Pool, endpoint string) store.EndpointHealth {
	t.Helper()
	rows, err := store.New(pool).ListHealth(context.Background(), pool)
	require.NoError(t, err)
	for _, h := range rows {
		if h.Endpoint == endpoint {
			return h
		}
	}
	t.Fatalf("no endpoint_health row %q in %v", endpoint, rows)
	return store.EndpointHealth{}
}

// TestFault429Burst: Halo's rolling limit is 20 requests per 2 s and the
// budget matches it. Three "processes" (clients with their own guards and one
// database) pulling at once get no 429; after a foreign burst exhausts Halo's
// window, the first request gets the only 429, and the budget then waits for
// the window to roll instead of hammering.
func TestFault429Burst(t *testing.T) {
	t.Parallel()
	fake := newFake(t, halofake.Options{BulkActions: true, Seed: 21, RateLimit: 20, RateWindow: 2 * time.Second}, tiny)
	pool := testdb.New(t)
	budget := func(st *store.Store) *hsync.Guard {
		// Halo counts the three processes' token requests too; at 20 per
		// window they need the headroom a production window of 300 does not.
		return fastGuard(st, func(c *hsync.GuardConfig) { c.Limit, c.Window, c.BulkShare = 20, 2*time.Second, 0.8 })
	}
	procs := []*guarded{newGuarded(t, fake, pool, budget, nil), newGuarded(t, fake, pool, budget, nil), newGuarded(t, fake, pool, budget, nil)}

	var wg gosync.WaitGroup
	errs := make([]error, len(procs))
	for i, p := range procs {
		wg.Go(func() { _, errs[i] = p.puller.Cycle(context.Background(), nil, false) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Zero(t, procs[0].statuses(http.StatusTooManyRequests), "no 429 while the shared budget matches Halo's limit")
	requireMirror(t, procs[0].env)

	// A burst from elsewhere (another integration) spends Halo's window.
	for range 20 {
		req, _ := http.NewRequest(http.MethodGet, fake.URL()+"/api/Status", nil)
		req.Header.Set("User-Agent", "someone-else")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	fake.ResetRequests()
	_, err := procs[1].puller.Cycle(context.Background(), nil, true)
	require.NoError(t, err)
	require.Equal(t, 1, procs[1].statuses(http.StatusTooManyRequests), "the first request meets the 429, none after it")
	requireMirror(t, procs[1].env)

	b, err := store.New(pool).GetBudget(context.Background(), "halo")
	require.NoError(t, err)
	require.EqualValues(t, 1, b.RateLimited)
	require.Positive(t, b.Refused, "the budget held requests back")
	var n429 int64
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT sum(rate_limited_count) FROM halosync.endpoint_health WHERE endpoint <> '*'`).Scan(&n429))
	require.EqualValues(t, 1, n429)
}

// TestFaultServerErrors: Halo answers 20 % of requests with 500/503. A pull
// of hundreds of pages gets through in one cycle: the client retries GETs in
// process, each try through the guard, and the breaker does not trip.
func TestFaultServerErrors(t *testing.T) {
	t.Parallel()
	size := halofake.Size{Clients: 120, Sites: 300, Users: 2500, Agents: 6, Tickets: 6000, ActionsPerTicket: 3, Assets: 600, Contracts: 20}
	fake := newFake(t, halofake.Options{BulkActions: true, Seed: 5}, size)
	fake.SetFault(halofake.Faults{ErrorRate: 0.2})
	e := newGuarded(t, fake, testdb.New(t), func(st *store.Store) *hsync.Guard { return fastGuard(st, nil) }, nil)

	e.cycle(t, false)
	fake.SetFault(halofake.Faults{})
	requireMirror(t, e.env)

	pages := e.apiRequests() - e.statuses(500) - e.statuses(503)
	require.Greater(t, pages, 250, "hundreds of pages")
	require.Greater(t, e.statuses(500)+e.statuses(503), 50, "the fake failed about a fifth of them")
	h := health(t, e.pool, store.ConnectionEndpoint)
	require.Equal(t, "closed", h.BreakerState)
	require.Positive(t, h.Errors)
	require.NotNil(t, h.LastError)
}

// TestFaultTimeouts: Halo answers slower than the client's timeout. The
// connection breaker opens (no request leaves while it is open: jobs snooze),
// the status row says what to check, and once Halo is fast again the next
// cycle mirrors everything.
//
// The timeout is generous (a healthy request on two loaded cores stays far
// below it) and the slow Halo never answers within the test's life (the fake
// stops waiting when the client hangs up), so neither side depends on how
// fast the machine is. Two timeouts open the breaker, to keep the test short.
func TestFaultTimeouts(t *testing.T) {
	t.Parallel()
	fake := newFake(t, halofake.Options{BulkActions: true, Seed: 8}, tiny)
	// The breaker's first open time is longer than a job waits in process.
	e := newGuarded(t, fake, testdb.New(t), func(st *store.Store) *hsync.Guard {
		return fastGuard(st, func(c *hsync.GuardConfig) {
			c.OpenBase, c.OpenMax = 3*time.Second, 3*time.Second
			c.TripAfter = 2
		})
	}, func(c *halo.Config) { c.HTTPClient = &http.Client{Timeout: 3 * time.Second} })
	// A first page arrives; then Halo stops answering in time.
	_, err := e.puller.Pull(context.Background(), entity.Statuses.Name, false)
	require.NoError(t, err)
	fake.SetFault(halofake.Faults{Latency: time.Hour})

	ctx := hsync.WithMaxWait(context.Background(), jobs.JobMaxWait)
	_, err = e.puller.Cycle(ctx, nil, false)
	require.Error(t, err)
	c := halo.Classify(err).Class
	require.True(t, c == halo.ClassTransient || c == halo.ClassWait, "got %v", err)
	h := health(t, e.pool, store.ConnectionEndpoint)
	require.Positive(t, h.Errors)
	require.NotNil(t, h.FixHint)
	require.Contains(t, *h.FixHint, "HALO_TIMEOUT")
	opened := false
	for _, s := range []string{"open", "half-open"} {
		opened = opened || h.BreakerState == s
	}
	require.True(t, opened, "breaker state %s", h.BreakerState)

	fake.SetFault(halofake.Faults{})
	e.cycle(t, false) // waits in process for the breaker's probe time
	requireMirror(t, e.env)
	require.Equal(t, "closed", health(t, e.pool, store.ConnectionEndpoint).BreakerState)
}

func isWait(err error) bool {
	var w *halo.WaitError
	return errors.As(err, &w)
}

// TestFaultTokensRevoked: every token is revoked in the middle of the ticket
// walk. The client fetches one new token and repeats the request; the pull
// goes on and the breaker does not count the 401 that preceded the refresh.
func TestFaultTokensRevoked(t *testing.T) {
	t.Parallel()
	fake := newFake(t, halofake.Options{BulkActions: true, Seed: 12}, tiny)
	e := newGuarded(t, fake, testdb.New(t), func(st *store.Store) *hsync.Guard { return fastGuard(st, nil) }, nil)
	pages := 0
	e.puller.ProgressFunc = func(p hsync.Progress) {
		if p.Entity == entity.Tickets.Name && !p.Done {
			if pages++; pages == 1 {
				fake.RevokeTokens()
			}
		}
	}
	e.cycle(t, false)
	requireMirror(t, e.env)
	require.Equal(t, 2, e.tokenRequests(), "one token, then exactly one refresh")
	require.Equal(t, 1, e.statuses(http.StatusUnauthorized))
	require.Equal(t, "closed", health(t, e.pool, store.ConnectionEndpoint).BreakerState)
}

// TestFaultCredentialsRefused: a wrong secret (or a revoked application) is a
// configuration error for the whole connection: the breaker opens at once,
// nothing else is sent, River cancels the job, and the status row says how to
// fix it.
func TestFaultCredentialsRefused(t *testing.T) {
	t.Parallel()
	fake := newFake(t, halofake.Options{BulkActions: true, Seed: 12}, tiny)
	e := newGuarded(t, fake, testdb.New(t), func(st *store.Store) *hsync.Guard {
		return fastGuard(st, func(c *hsync.GuardConfig) { c.AuthBase, c.AuthMax = time.Hour, time.Hour })
	}, func(c *halo.Config) { c.ClientSecret = "wrong" })
	ctx := hsync.WithMaxWait(context.Background(), jobs.JobMaxWait)
	_, err := e.puller.Pull(ctx, entity.Statuses.Name, false)
	var auth *halo.AuthError
	require.ErrorAs(t, err, &auth)
	var cancel *river.JobCancelError
	require.ErrorAs(t, jobs.Steer(err), &cancel)

	_, err = e.puller.Pull(ctx, entity.Clients.Name, false)
	require.True(t, isWait(err), "the open breaker holds every request: %v", err)
	var snooze *river.JobSnoozeError
	require.ErrorAs(t, jobs.Steer(err), &snooze)
	require.Equal(t, 1, e.tokenRequests(), "nothing more was sent")

	h := health(t, e.pool, store.ConnectionEndpoint)
	require.Equal(t, "open", h.BreakerState)
	require.NotNil(t, h.FixHint)
	require.Contains(t, *h.FixHint, "HALO_CLIENT_SECRET")
	require.NotNil(t, h.OpenUntil)
	require.WithinDuration(t, time.Now().Add(time.Hour), *h.OpenUntil, 5*time.Minute)
}

// TestFault403OneEntity: the API agent may not read tickets. Tickets' breaker
// opens (that endpoint only), the job is cancelled with the reason, the other
// entities keep syncing, endpoint_health shows the fix; once permission is
// granted the next probe succeeds and the mirror is exact.
func TestFault403OneEntity(t *testing.T) {
	t.Parallel()
	fake := newFake(t, halofake.Options{BulkActions: true, Seed: 17}, tiny)
	fake.SetFault(halofake.Faults{Forbidden: map[string]bool{"tickets": true}})
	e := newGuarded(t, fake, testdb.New(t), func(st *store.Store) *hsync.Guard {
		return fastGuard(st, func(c *hsync.GuardConfig) { c.ForbiddenBase, c.ForbiddenMax = time.Hour, time.Hour })
	}, nil)
	ctx := hsync.WithMaxWait(context.Background(), jobs.JobMaxWait)
	_, err := e.puller.Cycle(ctx, nil, false)
	var forbid *halo.ForbiddenError
	require.ErrorAs(t, err, &forbid)
	var cancel *river.JobCancelError
	require.ErrorAs(t, jobs.Steer(forbid), &cancel)
	for _, name := range hsync.PullOrder {
		if name != entity.Tickets.Name {
			require.Equal(t, fakeIDs(e.env, name), liveIDs(t, e.pool, name), "%s keeps syncing", name)
		}
	}
	h := health(t, e.pool, "GET /api/tickets")
	require.Equal(t, "open", h.BreakerState)
	require.NotNil(t, h.FixHint)
	require.Contains(t, *h.FixHint, "GET /api/Tickets: 403 — the API application's agent lacks permission or team access")
	require.Equal(t, "closed", health(t, e.pool, store.ConnectionEndpoint).BreakerState, "a 403 is not the connection's fault")
	var ledger string
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT error FROM halosync.runs WHERE entity = 'tickets' ORDER BY id DESC LIMIT 1`).Scan(&ledger))
	require.Contains(t, ledger, "403")

	// While open, a tickets pull sends nothing and snoozes until the probe.
	before := e.apiRequests()
	_, err = e.puller.Pull(ctx, entity.Tickets.Name, false)
	require.True(t, isWait(err), "got %v", err)
	require.Equal(t, before, e.apiRequests())
	require.Positive(t, health(t, e.pool, "GET /api/tickets").Snoozes)

	// Permission granted; a fresh guard (a restarted worker) probes at once.
	fake.SetFault(halofake.Faults{})
	e2 := newGuarded(t, fake, e.pool, func(st *store.Store) *hsync.Guard { return fastGuard(st, nil) }, nil)
	e2.cycle(t, false)
	requireMirror(t, e2.env)
	h = health(t, e.pool, "GET /api/tickets")
	require.Equal(t, "closed", h.BreakerState)
	require.Nil(t, h.FixHint)
}

// TestFault403Backoff: an endpoint breaker's open time doubles with each
// failed probe, so a permission problem costs one request per backoff step.
func TestFault403Backoff(t *testing.T) {
	t.Parallel()
	fake := newFake(t, halofake.Options{BulkActions: true, Seed: 17}, tiny)
	fake.SetFault(halofake.Faults{Forbidden: map[string]bool{"client": true}})
	e := newGuarded(t, fake, testdb.New(t), func(st *store.Store) *hsync.Guard {
		return fastGuard(st, func(c *hsync.GuardConfig) {
			c.ForbiddenBase, c.ForbiddenMax = 200*time.Millisecond, 1600*time.Millisecond
		})
	}, nil)
	var prev time.Duration
	for i := range 4 {
		start := time.Now()
		_, err := e.puller.Pull(context.Background(), entity.Clients.Name, false)
		var forbid *halo.ForbiddenError
		require.ErrorAs(t, err, &forbid, "probe %d", i)
		h := health(t, e.pool, "GET /api/client")
		require.NotNil(t, h.OpenUntil)
		open := h.OpenUntil.Sub(start)
		if i > 0 {
			require.Greater(t, open, prev, "backoff grows (probe %d)", i)
		}
		require.LessOrEqual(t, open, 5*time.Second)
		prev = open
	}
	require.Equal(t, 4, e.apiRequests(), "one request per probe")
}

// TestFaultPostgresDropped: every connection of the pool is terminated in
// the middle of the ticket walk. The pull fails or recovers on fresh
// connections; either way the rerun mirrors exactly.
func TestFaultPostgresDropped(t *testing.T) {
	t.Parallel()
	fake := newFake(t, halofake.Options{BulkActions: true, Seed: 23}, tiny)
	dbURL, pool := testdb.NewURL(t)
	e := newGuarded(t, fake, pool, func(st *store.Store) *hsync.Guard { return fastGuard(st, nil) }, nil)
	admin := testdb.Admin(t)
	dbName := pool.Config().ConnConfig.Database
	require.NotEmpty(t, dbName, dbURL)
	pages, killed := 0, 0
	e.puller.ProgressFunc = func(p hsync.Progress) {
		if p.Entity == entity.Tickets.Name && !p.Done {
			if pages++; pages == 2 {
				require.NoError(t, admin.QueryRow(context.Background(),
					`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1`, dbName).Scan(&killed))
			}
		}
	}
	_, _ = e.puller.Cycle(context.Background(), nil, false)
	require.Positive(t, killed, "connections were terminated")
	e.puller.ProgressFunc = nil
	e.cycle(t, false)
	requireMirror(t, e.env)
}

// TestOneTokenForConcurrentPulls: many pulls at once in one process (River
// runs them in parallel) share one token: the first request fetches it while
// the others wait for that fetch.
func TestOneTokenForConcurrentPulls(t *testing.T) {
	t.Parallel()
	fake := newFake(t, halofake.Options{BulkActions: true, Seed: 4}, tiny)
	e := newGuarded(t, fake, testdb.New(t), func(st *store.Store) *hsync.Guard { return fastGuard(st, nil) }, nil)
	var wg gosync.WaitGroup
	// At most 8 pulls at once: each holds a connection for its lock and needs another, so more pulls than
	// the test pool's connections would wait on each other (the worker runs HALOSYNC_WORKERS pulls on a
	// pool of 3 × workers + 8).
	slots := make(chan struct{}, 8)
	pull := func(entity string, full bool) (err error) {
		slots <- struct{}{}
		defer func() { <-slots }()
		_, err = e.puller.Pull(context.Background(), entity, full)
		return err
	}
	errs := make([]error, len(hsync.PullOrder))
	for i, entity := range hsync.PullOrder {
		wg.Go(func() { errs[i] = pull(entity, false) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	requireMirror(t, e.env)
	require.Equal(t, 1, e.tokenRequests(), "%d concurrent pulls fetched one token", len(hsync.PullOrder))

	// A token that expires is refreshed once for all of them.
	fake.ExpireTokens()
	fake.ResetRequests()
	errs = make([]error, len(hsync.PullOrder))
	for i, entity := range hsync.PullOrder {
		wg.Go(func() { errs[i] = pull(entity, true) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 1, e.tokenRequests(), "one refresh for all")
	requireMirror(t, e.env)
}

// TestEndpointKey pins the endpoint names endpoint_health uses.
func TestEndpointKey(t *testing.T) {
	for in, want := range map[string][2]string{
		"GET /api/Tickets":          {"GET /api/tickets", "GET /api/Tickets"},
		"GET /api/Tickets/123":      {"GET /api/tickets", "GET /api/Tickets"},
		"post /api/Actions":         {"POST /api/actions", "POST /api/Actions"},
		"DELETE /api/Client/9/Site": {"DELETE /api/client/site", "DELETE /api/Client/Site"},
	} {
		m, p, _ := strings.Cut(in, " ")
		k, d := hsync.EndpointKey(m, p)
		require.Equal(t, want, [2]string{k, d}, in)
	}
}
