package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
)

// ingestRuns is how many initial syncs the ingest figure takes the median of.
const ingestRuns = 3

// BenchmarkIngest: ingest throughput of an initial sync (the medium tenant, bulk Actions on, rate limit off)
// against plain COPY of the same rows into the same tables of a fresh database.
//
// What is timed is our ingest path: the halo client's requests over HTTP, decoding, building rows, the
// store's upsert path and transactions. Halo's own work of rendering the pages is not ours, and on the
// benchmark's two cores the in-process fake's rendering (its bulk Actions listing scans every ticket for
// each page) took CPU from both halosync and Postgres. So the fake first answers one untimed warm-up sync,
// whose responses are recorded; the timed syncs are then served those same bytes over HTTP (a request not
// seen in the warm-up, such as the recent-window query, whose date moved, goes to the fake). The warm-up
// run's own ratio, with the fake rendering live, is reported beside the figure.
func BenchmarkIngest(b *testing.B) {
	ctx := context.Background()
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 1})
	fake.Generate(tenant)
	rp := &replay{fake: fake, cache: map[string]recorded{}}
	srv := httptest.NewServer(rp)
	b.Cleanup(func() { srv.Close(); fake.Close() })

	type ingest struct {
		syncRate, copyRate, ratio float64
		rows                      int64
		elapsed                   time.Duration
	}
	one := func(name string, profile bool) ingest {
		dbURL, _ := testdb.NewURL(b)
		st := &stmtTimes{}
		pool := tracedPool(b, dbURL, st)
		p := puller(b, srv.URL, pool)
		stop := func() {}
		if profile {
			stop = cpuProfile(b)
		}
		started := time.Now()
		runs, err := p.Cycle(ctx, nil, false)
		elapsed := time.Since(started)
		stop()
		if err != nil {
			b.Fatalf("initial sync (%s): %v", name, err)
		}
		for _, r := range runs {
			if r.Error != "" || r.Rejected > 0 {
				b.Fatalf("initial sync (%s): %s: error %q, %d rejected", name, r.Entity, r.Error, r.Rejected)
			}
		}
		statements := st.top(12) // before the counts and the COPY baseline's reads use the same pool
		rows, err := tableRows(ctx, pool)
		if err != nil {
			b.Fatal(err)
		}
		copied, copyElapsed, err := copyBaseline(ctx, b, pool)
		if err != nil {
			b.Fatalf("COPY baseline: %v", err)
		}
		if copied != rows {
			b.Fatalf("COPY baseline loaded %d rows, the sync mirrored %d", copied, rows)
		}
		in := ingest{rows: rows, elapsed: elapsed, syncRate: float64(rows) / elapsed.Seconds(), copyRate: float64(copied) / copyElapsed.Seconds()}
		in.ratio = in.syncRate / in.copyRate
		b.Logf("ingest %s: %d rows in %s, sync %.0f rows/s, COPY %.0f rows/s (%s), ratio %.2f",
			name, rows, elapsed.Round(time.Millisecond), in.syncRate, in.copyRate, copyElapsed.Round(time.Millisecond), in.ratio)
		b.Logf("ingest %s: database statements as the sync saw them (wall time, count):\n%s", name, statements)
		return in
	}

	rp.record = true
	live := one("warm-up, fake rendering live", false)
	rp.record = false
	var runs []ingest
	for i := range ingestRuns {
		runs = append(runs, one(fmt.Sprintf("run %d", i+1), i == ingestRuns-1))
	}
	misses := rp.missCount()

	sort.Slice(runs, func(i, j int) bool { return runs[i].ratio < runs[j].ratio })
	med := runs[len(runs)/2]
	var each []string
	for _, r := range runs {
		each = append(each, fmt.Sprintf("%.2f", r.ratio))
	}
	measured("ingest_rows_per_s", "ingest: initial sync, rate limit off", med.syncRate, "rows/s",
		fmt.Sprintf("%.0f rows/s", med.syncRate), "–", nil,
		fmt.Sprintf("%d rows (all halo.* tables) per run, %s per sync, bulk Actions on, Halo's pages replayed over HTTP from a warm-up sync (%d requests of the timed runs went to the fake); the median run of %d",
			med.rows, med.elapsed.Round(time.Millisecond), misses, ingestRuns))
	measured("copy_rows_per_s", "ingest: plain COPY of the same rows", med.copyRate, "rows/s",
		fmt.Sprintf("%.0f rows/s", med.copyRate), "–", nil,
		"pgx CopyFrom into the same halo.* tables (indexes, triggers) of a fresh database, one transaction; the same run")
	measured("ingest_vs_copy", "ingest: sync ÷ COPY (median of runs)", med.ratio, "ratio",
		fmt.Sprintf("%.2f (runs: %s)", med.ratio, strings.Join(each, ", ")), "≥ 0.7", boolp(med.ratio >= 0.7),
		fmt.Sprintf("with the fake rendering the pages live in this process (the warm-up): %.2f; CPU profile of the last run: %s", live.ratio, profilePath()))
	b.ReportMetric(med.syncRate, "rows/s")
	b.ReportMetric(med.ratio, "of-COPY")
}

// replay serves the fake Halo, recording the answers to GET requests while record is set and answering
// the same requests from the recording afterwards. Token requests and anything not recorded go to the fake.
type replay struct {
	fake   http.Handler
	record bool // set and cleared between syncs, never during one

	mu     sync.Mutex
	cache  map[string]recorded
	misses int
}

type recorded struct {
	status int
	ctype  string
	body   []byte
}

func (rp *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		rp.fake.ServeHTTP(w, r)
		return
	}
	if rp.record {
		rec := httptest.NewRecorder()
		rp.fake.ServeHTTP(rec, r)
		res := recorded{status: rec.Code, ctype: rec.Header().Get("Content-Type"), body: bytes.Clone(rec.Body.Bytes())}
		rp.mu.Lock()
		rp.cache[key] = res
		rp.mu.Unlock()
		rp.write(w, res)
		return
	}
	rp.mu.Lock()
	res, ok := rp.cache[key]
	if !ok {
		rp.misses++
	}
	rp.mu.Unlock()
	if !ok {
		rp.fake.ServeHTTP(w, r)
		return
	}
	rp.write(w, res)
}

func (rp *replay) write(w http.ResponseWriter, res recorded) {
	if res.ctype != "" {
		w.Header().Set("Content-Type", res.ctype)
	}
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)
}

func (rp *replay) missCount() int {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.misses
}

// stmtTimes adds up, per statement, the wall time the sync waited for Postgres: the database's side of
// the profile, as seen from the client (loopback round trips included).
type stmtTimes struct {
	mu    sync.Mutex
	total map[string]time.Duration
	count map[string]int
}

type stmtKey struct{}

type stmtStart struct {
	name string
	at   time.Time
}

func (s *stmtTimes) add(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total == nil {
		s.total, s.count = map[string]time.Duration{}, map[string]int{}
	}
	s.total[name] += d
	s.count[name]++
}

// stmtName shortens a statement to its first line, at most 90 characters.
func stmtName(sql string) string {
	sql = strings.TrimSpace(sql)
	if i := strings.IndexByte(sql, '\n'); i >= 0 {
		sql = sql[:i]
	}
	if len(sql) > 90 {
		sql = sql[:90] + "…"
	}
	return sql
}

func (s *stmtTimes) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, stmtKey{}, stmtStart{stmtName(d.SQL), time.Now()})
}

func (s *stmtTimes) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if st, ok := ctx.Value(stmtKey{}).(stmtStart); ok {
		s.add(st.name, time.Since(st.at))
	}
}

func (s *stmtTimes) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceCopyFromStartData) context.Context {
	return context.WithValue(ctx, stmtKey{}, stmtStart{"COPY " + d.TableName.Sanitize(), time.Now()})
}

func (s *stmtTimes) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromEndData) {
	if st, ok := ctx.Value(stmtKey{}).(stmtStart); ok {
		s.add(st.name, time.Since(st.at))
	}
}

// top lists the n statements that took longest, with the sum of all.
// reset forgets the statements timed so far.
func (s *stmtTimes) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.total)
	clear(s.count)
}

func (s *stmtTimes) top(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	var sum time.Duration
	for k, d := range s.total {
		names = append(names, k)
		sum += d
	}
	sort.Slice(names, func(i, j int) bool { return s.total[names[i]] > s.total[names[j]] })
	var out strings.Builder
	fmt.Fprintf(&out, "    %8s  all statements\n", sum.Round(time.Millisecond))
	for i, k := range names {
		if i == n {
			break
		}
		fmt.Fprintf(&out, "    %8s %6d×  %s\n", s.total[k].Round(time.Millisecond), s.count[k], k)
	}
	return out.String()
}

// tracedPool opens a pool on dbURL whose statements are timed by st.
func tracedPool(tb testing.TB, dbURL string, st *stmtTimes) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.ConnConfig.Tracer = st
	store.ConfigurePool(cfg, 4) // as the binary's pool, for HALOSYNC_WORKERS' default
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func profilePath() string {
	if p := os.Getenv("HALOSYNC_BENCH_PROFILE"); p != "" {
		return p
	}
	return "ingest.cpu.pprof"
}

// cpuProfile profiles this process (halosync's sync and store packages, the HTTP server replaying Halo's
// pages) until the returned stop is called; `go tool pprof -top bench/ingest.cpu.pprof` shows where the
// time goes.
func cpuProfile(b *testing.B) func() {
	f, err := os.Create(profilePath())
	if err != nil {
		b.Logf("no CPU profile: %v", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Logf("no CPU profile: %v", err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

// copyBaseline reads every mirrored row of src (untimed), then times loading them with plain COPY into the
// same tables of a fresh database, as the sync's own transactions do (halosync.origin = sync, so the push
// triggers let the rows through without queueing them).
func copyBaseline(ctx context.Context, b *testing.B, src *pgxpool.Pool) (int64, time.Duration, error) {
	type load struct {
		table mirrorTable
		rows  [][]any
	}
	tables, err := mirrorTables(ctx, src)
	if err != nil {
		return 0, 0, err
	}
	var loads []load
	for _, t := range tables {
		sel := make([]string, len(t.cols))
		for i, c := range t.cols {
			sel[i] = pgx.Identifier{c}.Sanitize()
			if c == "raw" {
				sel[i] += "::text"
			}
		}
		rows, err := src.Query(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+t.ident.Sanitize())
		if err != nil {
			return 0, 0, err
		}
		data, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
		if err != nil {
			return 0, 0, err
		}
		loads = append(loads, load{table: t, rows: data})
	}

	dst := testdb.New(b)
	var n int64
	started := time.Now()
	err = pgx.BeginFunc(ctx, dst, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('halosync.origin', 'sync', true)`); err != nil {
			return err
		}
		for _, l := range loads {
			t0 := time.Now()
			c, err := tx.CopyFrom(ctx, l.table.ident, l.table.cols, pgx.CopyFromRows(l.rows))
			if err != nil {
				return fmt.Errorf("copy %s: %w", l.table.ident.Sanitize(), err)
			}
			if d := time.Since(t0); d > 100*time.Millisecond {
				b.Logf("COPY baseline: %s, %d rows in %s", l.table.ident.Sanitize(), c, d.Round(time.Millisecond))
			}
			n += c
		}
		return nil
	})
	return n, time.Since(started), err
}
