package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	gosync "sync"
	"time"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/store"
)

// Request priorities for halo.WithPriority. Bulk pulls (the default) may use
// only GuardConfig.BulkShare of the rate window, so pushes of local edits and
// webhook-triggered fetches always find headroom.
const (
	PriorityBulk = 0
	PriorityHigh = 10 // pushes, webhook fetches: the whole window
)

// GuardConfig configures a Guard. Zero fields take the defaults in brackets.
type GuardConfig struct {
	Store *store.Store // shared rate budget and endpoint_health; nil: breakers only
	Log   *slog.Logger

	// Shared rate budget [300 per 5m]: HALO_RATE_LIMIT.
	Limit  int
	Window time.Duration
	// BudgetName is the halosync.rate_budget row ["halo"].
	BudgetName string
	// BulkShare is the part of the window bulk pulls may use [0.95]: the
	// rest is kept for pushes and webhook fetches, so a backfill never makes
	// them wait for a window to roll.
	BulkShare float64
	// After429 is how much of the window nothing may leave after a 429 [1.0]:
	// Halo sends no Retry-After and its window rolls over minutes.
	After429 float64
	// Margin widens the counted window [max(Window/100, 100ms)].
	Margin time.Duration

	// TripAfter consecutive 5xx/timeouts/429s open the connection breaker [8:
	// more than one call's in-process retries, so a Halo failing 20 % of
	// requests at random does not trip it, while an outage does within two calls];
	// one 401 after a token refresh (or a refused token request) opens it at once.
	TripAfter int
	// Connection breaker backoff after load errors [15s doubling to 10m].
	OpenBase, OpenMax time.Duration
	// Connection breaker backoff after rejected credentials [1m to 1h].
	AuthBase, AuthMax time.Duration
	// Endpoint breaker backoff after a 403 [1m to 1h].
	ForbiddenBase, ForbiddenMax time.Duration

	// MaxWait is how long Wait may block in process before it returns a
	// *halo.WaitError, for contexts without WithMaxWait [15m: `sync --once`
	// waits out a rolling window]. River jobs set 2 s (see WithMaxWait), so a
	// longer wait snoozes the job instead of holding a worker.
	MaxWait time.Duration
}

// ShortWait is the longest wait Wait always does in process: breakers opened
// by configuration errors (403, rejected credentials) are never waited out
// beyond it, because only the operator can fix them.
const ShortWait = 2 * time.Second

type maxWaitKey struct{}

// WithMaxWait bounds how long a Guard's Wait blocks in process for requests
// made with ctx; longer waits return *halo.WaitError (River snoozes the job).
func WithMaxWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, maxWaitKey{}, d)
}

// Guard is the halo.Limiter of halosync: a connection-wide circuit breaker
// (gobreaker) for load and credential failures, one breaker per endpoint for
// 403s, and the request budget shared with every other process through
// Postgres. It records what it sees in halosync.endpoint_health.
type Guard struct {
	cfg    GuardConfig
	budget store.Budget
	log    *slog.Logger
	conn   *breaker

	mu      gosync.Mutex
	eps     map[string]*breaker
	ensured bool

	inflight gosync.Map // *halo.RequestInfo → *pass
}

// pass is a request the breakers let through, waiting for its outcome.
type pass struct {
	ep         *breaker
	conn, epDn func(error)
}

var _ halo.Limiter = (*Guard)(nil)

// errNotSent and errRefreshing are outcomes neither breaker counts.
var (
	errNotSent    = errors.New("request not sent")
	errRefreshing = errors.New("401 before token refresh")
)

// NewGuard builds a Guard. It touches the database only on the first request.
func NewGuard(cfg GuardConfig) *Guard {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.Limit <= 0 {
		cfg.Limit = 300
	}
	def(&cfg.Window, 5*time.Minute)
	if cfg.BudgetName == "" {
		cfg.BudgetName = "halo"
	}
	if cfg.BulkShare <= 0 || cfg.BulkShare > 1 {
		cfg.BulkShare = 0.95
	}
	if cfg.After429 <= 0 {
		cfg.After429 = 1
	}
	def(&cfg.Margin, max(cfg.Window/100, 100*time.Millisecond))
	if cfg.TripAfter <= 0 {
		cfg.TripAfter = 8
	}
	def(&cfg.OpenBase, 15*time.Second)
	def(&cfg.OpenMax, 10*time.Minute)
	def(&cfg.AuthBase, time.Minute)
	def(&cfg.AuthMax, time.Hour)
	def(&cfg.ForbiddenBase, time.Minute)
	def(&cfg.ForbiddenMax, time.Hour)
	def(&cfg.MaxWait, 15*time.Minute)
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	g := &Guard{cfg: cfg, log: log, eps: map[string]*breaker{},
		budget: store.Budget{Name: cfg.BudgetName, Limit: cfg.Limit, Window: cfg.Window, Margin: cfg.Margin}}
	g.conn = g.newBreaker(store.ConnectionEndpoint, "Halo connection", true)
	return g
}

// Wait implements halo.Limiter: it returns nil once the breakers and the
// budget let the request go, blocks for short waits, and returns a
// *halo.WaitError when the request may not leave before a later time.
func (g *Guard) Wait(ctx context.Context, r *halo.RequestInfo) error {
	for {
		gate, err := g.try(ctx, r)
		if err != nil {
			return err
		}
		if gate == nil {
			return nil
		}
		d := time.Until(gate.until)
		if d > g.patience(ctx, gate.config) {
			g.record(gate.ep, store.HealthEvent{Snooze: true})
			return &halo.WaitError{Until: gate.until, Reason: gate.reason}
		}
		if gate.breaker && d > time.Second {
			g.record(gate.ep, store.HealthEvent{Snooze: true})
		}
		t := time.NewTimer(max(d, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (g *Guard) patience(ctx context.Context, config bool) time.Duration {
	p := g.cfg.MaxWait
	if v, ok := ctx.Value(maxWaitKey{}).(time.Duration); ok {
		p = v
	}
	if config {
		p = min(p, ShortWait)
	}
	return p
}

// gate is why a request may not go yet.
type gate struct {
	until   time.Time
	reason  string
	config  bool // a configuration error: do not wait it out
	breaker bool // a breaker, not the budget
	ep      *breaker
}

// probeWait is how long a request waits while a half-open breaker's probe is
// in flight.
const probeWait = 500 * time.Millisecond

// try makes one attempt to let r go.
func (g *Guard) try(ctx context.Context, r *halo.RequestInfo) (*gate, error) {
	ep := g.endpoint(r.Method, r.Path)
	for _, b := range []*breaker{g.conn, ep} {
		if gt := b.gate(); gt != nil {
			gt.ep = ep
			return gt, nil
		}
	}
	cdone, err := g.conn.cb.Allow()
	if err != nil {
		return &gate{until: time.Now().Add(probeWait), reason: "Halo connection breaker: waiting for the probe request", breaker: true, ep: ep}, nil
	}
	edone, err := ep.cb.Allow()
	if err != nil {
		cdone(errNotSent)
		return &gate{until: time.Now().Add(probeWait), reason: ep.display + ": waiting for the probe request", breaker: true, ep: ep}, nil
	}
	if g.cfg.Store != nil {
		share := g.cfg.BulkShare
		if r.Priority > PriorityBulk {
			share = 1
		}
		granted, retryAt, err := g.take(ctx, share)
		if err != nil || !granted {
			cdone(errNotSent)
			edone(errNotSent)
			if err != nil {
				return nil, err
			}
			return &gate{until: retryAt, reason: fmt.Sprintf("Halo rate budget spent (%d requests per %s, %.0f%% for bulk pulls)", g.cfg.Limit, g.cfg.Window, g.cfg.BulkShare*100), ep: ep}, nil
		}
	}
	g.inflight.Store(r, &pass{ep: ep, conn: cdone, epDn: edone})
	return nil, nil
}

// take takes one request from the shared budget; a dropped database
// connection is retried (the pool reconnects).
func (g *Guard) take(ctx context.Context, share float64) (bool, time.Time, error) {
	st := g.cfg.Store
	var err error
	for attempt := range 4 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return false, time.Time{}, ctx.Err()
			case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
			}
		}
		g.mu.Lock()
		ensured := g.ensured
		g.mu.Unlock()
		if !ensured {
			if err = st.EnsureBudget(ctx, g.budget); err != nil {
				continue
			}
			g.mu.Lock()
			g.ensured = true
			g.mu.Unlock()
		}
		var ok bool
		var at time.Time
		if ok, at, err = st.Take(ctx, g.budget, share); err == nil {
			return ok, at, nil
		}
	}
	return false, time.Time{}, err
}

// Done implements halo.Limiter: it reports the outcome to both breakers, the
// budget (a 429 blocks it until the window rolls) and endpoint_health.
func (g *Guard) Done(r *halo.RequestInfo, status int, err error) {
	v, ok := g.inflight.LoadAndDelete(r)
	if !ok {
		return
	}
	p := v.(*pass)
	if status >= 200 && status < 300 || notThere(r, err) {
		err = nil
	}
	verdict := halo.Classify(err)
	if verdict.Cause == halo.CauseUnauthorized && !r.Refreshed {
		// The client refreshes the token and tries once more; only a 401 on
		// that retry says the credentials are refused.
		p.conn(errRefreshing)
		p.epDn(errRefreshing)
		return
	}
	if err == nil && status == 0 {
		err = errNotSent
	}
	g.conn.observe(err)
	p.ep.observe(err)
	p.conn(err)
	p.epDn(err)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	limited := verdict.Cause == halo.CauseRateLimited
	if limited && g.cfg.Store != nil {
		block := time.Duration(float64(g.cfg.Window) * g.cfg.After429)
		if verdict.RetryAfter > block {
			block = verdict.RetryAfter
		}
		if berr := g.cfg.Store.BudgetBlocked(ctx, g.budget, block); berr != nil {
			g.log.Warn("could not block the rate budget after a 429", "err", berr)
		}
		g.log.Warn("Halo answered 429: no request leaves until the window rolls", "endpoint", p.ep.display, "wait", block)
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	st := status
	if err != nil {
		hint := hintFor(p.ep.display, err)
		ev := store.HealthEvent{Status: &st, Err: err.Error(), Request: true, RateLimited: limited, Hint: &hint, SetHint: true}
		g.record(p.ep, ev)
		if connFailure(err) {
			g.record(g.conn, ev)
		} else if g.conn.changed() {
			g.record(g.conn, store.HealthEvent{})
		}
		return
	}
	if p.ep.recovered() {
		g.record(p.ep, store.HealthEvent{Status: &st, Success: true, Request: true, SetHint: true})
	}
	if g.conn.recovered() {
		g.record(g.conn, store.HealthEvent{Status: &st, Success: true, Request: true, SetHint: true})
	}
}

// notThere reports a 404 on a GET of one record (a webhook's fetch of a deleted ticket, a push's read):
// Halo answered that the record is not there, which says nothing against the endpoint, so it is counted
// as a success and not as an error on the endpoint's health.
func notThere(r *halo.RequestInfo, err error) bool {
	if r.Method != http.MethodGet || halo.Classify(err).Class != halo.ClassNotFound {
		return false
	}
	path, _, _ := strings.Cut(r.Path, "?")
	segs := strings.Split(strings.TrimSuffix(path, "/"), "/")
	last := segs[len(segs)-1]
	return last != "" && isIDSegment(last)
}

// record writes an event for b's row with b's current state.
func (g *Guard) record(b *breaker, ev store.HealthEvent) {
	if g.cfg.Store == nil {
		return
	}
	ev.Endpoint = b.key
	ev.State, ev.OpenUntil = b.state()
	if ev.SetHint && ev.Hint == nil && ev.State != "closed" {
		ev.SetHint = false // keep the hint of the error that opened it
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.cfg.Store.RecordHealth(ctx, ev); err != nil {
		g.log.Warn("could not record endpoint health", "endpoint", b.key, "err", err)
	}
}

// endpoint returns the breaker of method+path, keyed without ids.
func (g *Guard) endpoint(method, path string) *breaker {
	key, display := EndpointKey(method, path)
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.eps[key]
	if !ok {
		b = g.newBreaker(key, display, false)
		g.eps[key] = b
	}
	return b
}

// EndpointKey names an endpoint as endpoint_health does: the method and the
// lower-cased path without id segments ("GET /api/tickets"), and a display
// form keeping the path's case ("GET /api/Tickets").
func EndpointKey(method, path string) (key, display string) {
	path, _, _ = strings.Cut(path, "?")
	var kept []string
	for s := range strings.SplitSeq(path, "/") {
		if s != "" && !isIDSegment(s) {
			kept = append(kept, s)
		}
	}
	p := "/" + strings.Join(kept, "/")
	method = strings.ToUpper(method)
	return method + " " + strings.ToLower(p), method + " " + p
}

func isIDSegment(s string) bool {
	digits := true
	for _, r := range s {
		if r < '0' || r > '9' {
			digits = false
			break
		}
	}
	if digits {
		return true
	}
	return len(s) == 36 && strings.Count(s, "-") == 4 // a GUID
}

// Health returns the in-process state of the connection breaker and of every
// endpoint breaker seen so far, for tests and logs.
func (g *Guard) Health() map[string]string {
	g.mu.Lock()
	eps := make([]*breaker, 0, len(g.eps))
	for _, b := range g.eps {
		eps = append(eps, b)
	}
	g.mu.Unlock()
	out := map[string]string{}
	for _, b := range append(eps, g.conn) {
		s, _ := b.state()
		out[b.key] = s
	}
	return out
}

// connFailure says whether err counts against the whole connection: 5xx,
// 429, timeouts and transport errors, and refused credentials.
func connFailure(err error) bool {
	if err == nil || excluded(err) {
		return false
	}
	v := halo.Classify(err)
	return v.Class == halo.ClassTransient || v.Class == halo.ClassAuth || v.Cause == halo.CauseRateLimited
}

func isForbidden(err error) bool { return halo.Classify(err).Class == halo.ClassForbidden }

func isAuth(err error) bool { return halo.Classify(err).Class == halo.ClassAuth }
