package converge

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/server"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// webhookSecret signs the fake's deliveries and is what the receiver checks.
const webhookSecret = "converge-webhook-secret"

// tenant is the size of each history's fake Halo: small, so that a history (initial sync, operations,
// drain, checks) takes a fraction of a second, and large enough that deleting a record is not a mass delete.
var tenant = halofake.Size{Clients: 4, Sites: 4, Users: 5, Agents: 3, Tickets: 6, ActionsPerTicket: 2, Assets: 3, Contracts: 2}

// World is what histories share: one migrated database (emptied between histories, which is much cheaper
// than a new one) and the webhook receiver in front of it.
type World struct {
	tb      testing.TB
	pool    *pgxpool.Pool // halosync's: the worker, the pull and push, the webhook receiver
	hpool   *pgxpool.Pool // the harness's and the analyst's own connections
	st      *store.Store
	empty   []string // tables to empty between histories: those the migrations left empty
	log     *slog.Logger
	hookSrv *httptest.Server // halosync's webhook receiver (internal/server) over real HTTP

	// Trace, when set, receives one line of timings per history.
	Trace func(format string, args ...any)
	// Binary, when set, is a built halosync: the worker runs as that subprocess (`halosync worker`) instead
	// of in process, and a Crash SIGKILLs it.
	Binary string

	dbURL    string
	inserter *river.Client[pgx.Tx]
}

// NewWorld creates the database and the webhook receiver.
func NewWorld(tb testing.TB) *World {
	tb.Helper()
	dbURL, pool := testdb.NewURL(tb)
	w := &World{tb: tb, pool: pool, st: store.New(pool), log: slog.New(slog.DiscardHandler), dbURL: dbURL,
		hpool: testdb.Connect(tb, dbURL)}
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
WHERE schemaname IN ('halo', 'halosync', 'public') AND tablename NOT LIKE 'goose%' AND tablename NOT IN ('river_migration', 'river_queue', 'river_leader')`)
	if err != nil {
		tb.Fatalf("converge: list tables: %v", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatalf("converge: list tables: %v", err)
	}
	for _, t := range tables {
		var has bool
		if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+t+")").Scan(&has); err != nil {
			tb.Fatalf("converge: %s: %v", t, err)
		}
		if !has { // seeded tables (writable_columns…) are configuration: kept
			w.empty = append(w.empty, t)
		}
	}
	// The receiver only inserts jobs; any River client of the database does.
	inserter, err := jobs.NewClient(jobs.Config{Pool: pool, Logger: w.log})
	if err != nil {
		tb.Fatalf("converge: river inserter: %v", err)
	}
	w.inserter = inserter
	srvCtx, stop := context.WithCancel(context.Background())
	tb.Cleanup(stop)
	srv, err := server.New(srvCtx, server.Config{Pool: pool, River: inserter, Log: w.log, Addr: "192.0.2.1:8080",
		WebhookSecret: webhookSecret})
	if err != nil {
		tb.Fatalf("converge: webhook receiver: %v", err)
	}
	w.hookSrv = httptest.NewServer(srv.Handler())
	tb.Cleanup(w.hookSrv.Close)
	return w
}

// reset empties the database for the next history. The mirror's triggers are off meanwhile
// (session_replication_role = replica): a plain DELETE on a halo table is an analyst's delete, which they
// turn into soft deletes and pushes of deletes to the next history's Halo.
func (w *World) reset(ctx context.Context) error {
	b := []byte("BEGIN; SET LOCAL session_replication_role = replica;")
	for _, t := range w.empty {
		b = fmt.Appendf(b, "DELETE FROM %s;", t)
	}
	b = append(b, "COMMIT;"...)
	if _, err := w.hpool.Exec(ctx, string(b)); err != nil {
		return fmt.Errorf("reset database: %w", err)
	}
	var left int
	if err := w.hpool.QueryRow(ctx, `SELECT (SELECT count(*) FROM halo.clients) + (SELECT count(*) FROM halo.tickets) + (SELECT count(*) FROM halosync.outbox)`).Scan(&left); err != nil || left != 0 {
		return fmt.Errorf("reset database: %d rows left (%v)", left, err)
	}
	return nil
}

// worker is one running "process": a River client working pulls, pushes and webhook fetches, and the
// push listener.
type worker struct {
	rc      *river.Client[pgx.Tx]
	stopLsn context.CancelFunc
	lsnDone chan struct{}
	proc    *exec.Cmd // the subprocess variant (World.Binary)
	exited  chan struct{}
}

// env is one history's Halo, client and worker.
type env struct {
	w      *World
	fake   *halofake.Server
	px     *proxy
	hooks  *hookQueue
	hc     *halo.Client
	puller *hsync.Puller
	pusher *hsync.Pusher
	work   *worker
	clk    *pinClock
}

// schedule keeps River's periodic pulls out of a history (Pull ops and the push sweep are what run).
var schedule = jobs.Schedule{Tickets: time.Hour, Customers: time.Hour, Lookups: time.Hour, Full: 0}

// clientTimeout bounds one Halo request; FaultTimeout answers after it.
const clientTimeout = 300 * time.Millisecond

func (w *World) newEnv(seed uint64) (*env, error) {
	e := &env{w: w, hooks: newHookQueue(w.hookSrv.URL + "/webhooks/halo"), clk: &pinClock{}}
	hookURL := e.hooks.start()
	e.fake = halofake.New(halofake.Options{Seed: int64(seed), BulkActions: true, HonourLastUpdateFilter: true,
		ActionLastUpdated: true, WebhookURL: hookURL, WebhookSecret: webhookSecret, Now: e.clk.now})
	e.fake.Generate(tenant)
	e.px = newProxy(e.fake, seed)
	base := e.px.start()
	guard := hsync.NewGuard(hsync.GuardConfig{Store: w.st, Log: w.log, Limit: 100000, Window: time.Second,
		OpenBase: 20 * time.Millisecond, OpenMax: 100 * time.Millisecond, AuthBase: 20 * time.Millisecond,
		AuthMax: 100 * time.Millisecond, ForbiddenBase: 20 * time.Millisecond, ForbiddenMax: 100 * time.Millisecond,
		After429: 0.05})
	hc, err := halo.New(halo.Config{BaseURL: base, ClientID: halofake.DefaultClientID,
		ClientSecret: halofake.DefaultClientSecret, Scope: "all", Limiter: guard,
		HTTPClient: &http.Client{Timeout: clientTimeout},
		Retry:      halo.RetryPolicy{Tries: 4, Base: 5 * time.Millisecond, Max: 40 * time.Millisecond}})
	if err != nil {
		e.close()
		return nil, err
	}
	e.hc = hc
	e.puller = &hsync.Puller{Halo: hc, Store: w.st, Log: w.log, WaitForLock: true, MassDeleteShare: 0.99}
	e.pusher = &hsync.Pusher{Halo: hc, Store: w.st, Log: w.log}
	return e, nil
}

// startWorker starts a River client with the production configuration and the push listener, as
// `halosync worker` does (without the HTTP face, which the World serves).
func (e *env) startWorker(ctx context.Context) error {
	// A worker started while the database drops its connections fails to start (its supervisor starts it
	// again): a few tries.
	var err error
	for range 5 {
		if err = e.startOnce(ctx); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func (e *env) startOnce(ctx context.Context) error {
	if e.w.Binary != "" {
		return e.startProcess()
	}
	rc, err := jobs.NewClient(jobs.Config{Pool: e.w.pool, Puller: e.puller, Pusher: e.pusher, Schedule: schedule,
		Logger: e.w.log, Workers: 2, Periodic: true})
	if err != nil {
		return err
	}
	if err := rc.Start(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = jobs.ListenPush(lctx, e.w.pool, rc)
	}()
	e.work = &worker{rc: rc, stopLsn: stop, lsnDone: done}
	// As `halosync worker`: a failure here is logged and the worker runs on (the sweep catches up).
	_, _ = jobs.EnqueueStale(ctx, rc, e.w.st, schedule)
	return nil
}

// stopWorker stops the worker: gracefully (running jobs finish) or, for a crash, cancelling whatever runs.
func (e *env) stopWorker(crash bool) {
	wk := e.work
	if wk == nil {
		return
	}
	e.work = nil
	if wk.proc != nil {
		stopProcess(wk, crash)
		return
	}
	wk.stopLsn()
	<-wk.lsnDone
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if crash {
		_ = wk.rc.StopAndCancel(ctx)
		return
	}
	if err := wk.rc.Stop(ctx); err != nil {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = wk.rc.StopAndCancel(cctx)
		ccancel()
	}
}

func (e *env) close() {
	e.stopWorker(true)
	if e.px != nil {
		e.px.close()
	}
	e.fake.Close()
	e.hooks.close()
}
