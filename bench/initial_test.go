package bench

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
)

// tenant is the generated tenant of the request and throughput figures: 20k tickets with about 60k
// actions, 5k users, 1k sites, 500 clients, 2k assets, 200 contracts (halofake.Medium).
var tenant = halofake.Medium

// pageMinimum is Σ over entities of ⌈rows / page cap⌉ for a tenant: the pages an initial sync cannot do
// without (page cap 100, Asset 50, bare-array lookups and agents one request each). Actions: ⌈actions /
// 100⌉ with the bulk listing, else one request per ticket that has any.
type pageMinimum struct {
	base, bulkActions, perTicketActions int
	tickets, actions                    int // live (not deleted) tickets and their actions
}

func ceilDiv(a, b int) int {
	if a == 0 {
		return 1 // an empty list still costs the request that finds it empty
	}
	return (a + b - 1) / b
}

func minimumOf(fake *halofake.Server) pageMinimum {
	var m pageMinimum
	m.base = 5 // statuses, ticket types, teams, priorities, agents: bare arrays
	for _, e := range []string{"clients", "sites", "users", "contracts"} {
		m.base += ceilDiv(len(fake.Records(e)), 100)
	}
	m.base += ceilDiv(len(fake.Records("assets")), 50)
	m.base += kbConfigMinimum(fake) + 1 // KB, config lookups, attachments; + Halo's version (InstanceInfo)
	deleted := map[int64]bool{}
	for _, t := range fake.Records("tickets") {
		if t["deleted"] == true {
			deleted[int64(t["id"].(float64))] = true
		} else {
			m.tickets++
		}
	}
	m.base += ceilDiv(m.tickets, 100)
	withActions := map[int64]bool{}
	for _, a := range fake.Records("actions") {
		tid := int64(a["ticket_id"].(float64))
		if !deleted[tid] {
			m.actions++
			withActions[tid] = true
		}
	}
	m.bulkActions = ceilDiv(m.actions, 100)
	m.perTicketActions = len(withActions)
	return m
}

// BenchmarkInitialSync: requests per initial sync with the fake's bulk Actions listing on and off, ingest
// throughput of the bulk-on sync (rate limit off), and plain COPY of the same rows into a fresh database.
func BenchmarkInitialSync(b *testing.B) {
	ctx := context.Background()
	type result struct {
		requests int
		elapsed  time.Duration
		rows     int64
		pool     *pgxpool.Pool
	}
	var m pageMinimum
	res := map[bool]*result{}
	for _, bulk := range []bool{true, false} {
		fake := halofake.New(halofake.Options{BulkActions: bulk, Seed: 1})
		fake.Generate(tenant)
		if bulk {
			m = minimumOf(fake)
		}
		t := serveFake(b, fake)
		pool := testdb.New(b)
		p := puller(b, t.url, pool)
		started := time.Now()
		runs, err := p.Cycle(ctx, nil, false)
		elapsed := time.Since(started)
		if err != nil {
			b.Fatalf("initial sync (bulk %v): %v", bulk, err)
		}
		for _, r := range runs {
			if r.Error != "" || r.Rejected > 0 {
				b.Fatalf("initial sync (bulk %v): %s: error %q, %d rejected", bulk, r.Entity, r.Error, r.Rejected)
			}
		}
		rows, err := tableRows(ctx, pool)
		if err != nil {
			b.Fatal(err)
		}
		var actions int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM halo.actions WHERE deleted_at IS NULL`).Scan(&actions); err != nil {
			b.Fatal(err)
		}
		if actions != m.actions {
			b.Fatalf("initial sync (bulk %v) mirrored %d actions, the fake has %d", bulk, actions, m.actions)
		}
		res[bulk] = &result{requests: apiRequests(t.log()), elapsed: elapsed, rows: rows, pool: pool}
		b.Logf("initial sync, bulk actions %v: %d requests, %d rows in %s", bulk, res[bulk].requests, rows, elapsed.Round(time.Millisecond))
	}

	on, off := res[true], res[false]
	minOn, minOff := m.base+m.bulkActions, m.base+m.perTicketActions
	rOn, rOff := float64(on.requests)/float64(minOn), float64(off.requests)/float64(minOff)
	measured("requests_bulk", "requests per initial sync ÷ minimum, bulk Actions on", rOn, "ratio",
		fmt.Sprintf("%.3f (%d / %d)", rOn, on.requests, minOn), "≤ 1.05", boolp(rOn <= 1.05),
		fmt.Sprintf("%d tickets, %d actions; minimum = Σ ⌈rows / page cap⌉ = %d pages + %d bulk action pages; the extra requests are the deleted-tickets list (and any retries)",
			m.tickets, m.actions, m.base, m.bulkActions))
	measured("requests_perticket", "requests per initial sync ÷ minimum, bulk Actions off", rOff, "ratio",
		fmt.Sprintf("%.3f (%d / %d)", rOff, off.requests, minOff), "≤ 1.05", boolp(rOff <= 1.05),
		fmt.Sprintf("minimum = %d pages + %d tickets with actions (one request each); the extras are the deleted-tickets list and the refused bulk probe", m.base, m.perTicketActions))
	measured("requests_counts", "requests, bulk on | bulk off", float64(on.requests), "requests",
		fmt.Sprintf("%d | %d", on.requests, off.requests), "–", nil, "")
	b.ReportMetric(rOn, "req/min-bulk")
	b.ReportMetric(rOff, "req/min-perticket")

	// Ingest throughput against plain COPY of the same rows: the bulk-on sync above and two more like it, each
	// with its COPY baseline; the median of the three runs counts. The second extra run is CPU-profiled.
	type ingest struct {
		syncRate, copyRate, ratio float64
	}
	var runs []ingest
	for i := range ingestRuns {
		r := on
		if i > 0 {
			fake := halofake.New(halofake.Options{BulkActions: true, Seed: 1})
			fake.Generate(tenant)
			t := serveFake(b, fake)
			pool := testdb.New(b)
			p := puller(b, t.url, pool)
			stop := func() {}
			if i == ingestRuns-1 {
				stop = cpuProfile(b)
			}
			started := time.Now()
			_, err := p.Cycle(ctx, nil, false)
			elapsed := time.Since(started)
			stop()
			if err != nil {
				b.Fatalf("initial sync (ingest run %d): %v", i+1, err)
			}
			rows, err := tableRows(ctx, pool)
			if err != nil {
				b.Fatal(err)
			}
			r = &result{elapsed: elapsed, rows: rows, pool: pool}
		}
		copied, copyElapsed, err := copyBaseline(ctx, b, r.pool)
		if err != nil {
			b.Fatalf("COPY baseline: %v", err)
		}
		if copied != r.rows {
			b.Fatalf("COPY baseline loaded %d rows, the sync mirrored %d", copied, r.rows)
		}
		in := ingest{syncRate: float64(r.rows) / r.elapsed.Seconds(), copyRate: float64(copied) / copyElapsed.Seconds()}
		in.ratio = in.syncRate / in.copyRate
		runs = append(runs, in)
		b.Logf("ingest run %d: sync %.0f rows/s, COPY %.0f rows/s, ratio %.2f", i+1, in.syncRate, in.copyRate, in.ratio)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].ratio < runs[j].ratio })
	med := runs[len(runs)/2]
	var each []string
	for _, r := range runs {
		each = append(each, fmt.Sprintf("%.2f", r.ratio))
	}
	measured("ingest_rows_per_s", "ingest: initial sync, rate limit off", med.syncRate, "rows/s",
		fmt.Sprintf("%.0f rows/s", med.syncRate), "–", nil,
		fmt.Sprintf("%d rows (all halo.* tables) per run, fake Halo over HTTP in the same process, bulk Actions on; the median run of %d", on.rows, ingestRuns))
	measured("copy_rows_per_s", "ingest: plain COPY of the same rows", med.copyRate, "rows/s",
		fmt.Sprintf("%.0f rows/s", med.copyRate), "–", nil,
		"pgx CopyFrom into the same halo.* tables (indexes, push triggers) of a fresh database, one transaction; the same run")
	measured("ingest_vs_copy", "ingest: sync ÷ COPY (median of runs)", med.ratio, "ratio", fmt.Sprintf("%.2f (runs: %s)", med.ratio, strings.Join(each, ", ")), "≥ 0.7", boolp(med.ratio >= 0.7),
		"CPU profile of the last run: "+profilePath())
	b.ReportMetric(med.syncRate, "rows/s")
	b.ReportMetric(med.ratio, "of-COPY")
}

// ingestRuns is how many initial syncs the ingest figure takes the median of.
const ingestRuns = 3

func profilePath() string {
	if p := os.Getenv("HALOSYNC_BENCH_PROFILE"); p != "" {
		return p
	}
	return "ingest.cpu.pprof"
}

// cpuProfile profiles this process (halosync's sync and store packages and the in-process fake Halo) until
// the returned stop is called; `go tool pprof -top bench/ingest.cpu.pprof` shows where the time goes.
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
		table *store.Table
		cols  []string
		rows  [][]any
	}
	var loads []load
	var names []string
	for name := range store.Tables {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t := store.Tables[name]
		var cols, sel []string
		for _, c := range append(append([]store.Column(nil), t.Keys...), t.Columns...) {
			cols = append(cols, c.Name)
			sel = append(sel, pgx.Identifier{c.Name}.Sanitize())
		}
		cols = append(cols, "raw", "halo_updated_at", "deleted_at")
		sel = append(sel, "raw::text", "halo_updated_at", "deleted_at")
		q := "SELECT "
		for i, s := range sel {
			if i > 0 {
				q += ", "
			}
			q += s
		}
		rows, err := src.Query(ctx, q+" FROM "+t.Name)
		if err != nil {
			return 0, 0, err
		}
		var data [][]any
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				rows.Close()
				return 0, 0, err
			}
			data = append(data, v)
		}
		if err := rows.Err(); err != nil {
			return 0, 0, err
		}
		loads = append(loads, load{table: t, cols: cols, rows: data})
	}

	dst := testdb.New(b)
	var n int64
	started := time.Now()
	err := pgx.BeginFunc(ctx, dst, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('halosync.origin', 'sync', true)`); err != nil {
			return err
		}
		for _, l := range loads {
			c, err := tx.CopyFrom(ctx, pgx.Identifier{"halo", l.table.Entity}, l.cols, pgx.CopyFromRows(l.rows))
			if err != nil {
				return fmt.Errorf("copy %s: %w", l.table.Name, err)
			}
			n += c
		}
		return nil
	})
	return n, time.Since(started), err
}
