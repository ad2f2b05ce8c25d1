package bench

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
)

// Sizes of the incremental figure: a 10k-ticket tenant and halofake.Large (200k tickets, 600k actions,
// 50k users, 20k assets…), whose initial sync by the binary also gives the memory figure.
var (
	small10k = halofake.Size{Name: "10k", Clients: 250, Sites: 500, Users: 2500, Agents: 50, Tickets: 10000,
		ActionsPerTicket: 3, Assets: 1000, Contracts: 50}
	large = halofake.Large
)

const (
	changedTickets = 50
	withNewActions = 20 // of the changed tickets, these get a new action; the others a new summary
	rounds         = 20 // incremental pulls per mirror; the median time counts
)

// incremental is what the incremental pulls of one mirror cost.
type incremental struct {
	times    []time.Duration // halosync's own: wall time less the fake's answering
	wall     []time.Duration
	requests []int // to /api/Tickets and /api/Actions
}

// quiesce brings a freshly synced mirror to the steady state the rounds measure: VACUUM (ANALYZE), the work
// autovacuum would otherwise do on the initial sync's tables while the first rounds run (most of a minute
// of one core at 200k tickets). It returns the live ticket ids.
func quiesce(ctx context.Context, pool *pgxpool.Pool) ([]int64, error) {
	if _, err := pool.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		return nil, fmt.Errorf("vacuum the mirror: %w", err)
	}
	return liveTicketIDs(ctx, pool)
}

// BenchmarkIncremental: an incremental ticket pull after 50 changes (20 with a new action) over a 10k- and
// a 200k-ticket mirror, and the worker binary's peak memory during the 200k-ticket initial sync.
func BenchmarkIncremental(b *testing.B) {
	ctx := context.Background()

	// 10k: initial sync of the tickets in process.
	clk10 := &clock{}
	fake10 := halofake.New(halofake.Options{BulkActions: true, Seed: 2, Now: clk10.now})
	fake10.Generate(small10k)
	t10 := serveFake(b, fake10)
	url10, pool10 := testdb.NewURL(b)
	if _, err := puller(b, t10.url, pool10).Pull(ctx, "tickets", false); err != nil {
		b.Fatalf("10k initial ticket pull: %v", err)
	}
	r10, err := incrementalRounds(ctx, b, fake10, clk10, t10, url10)
	if err != nil {
		b.Fatalf("10k: %v", err)
	}

	// 200k: initial sync of everything by the binary (rate limit off), memory sampled.
	clkL := &clock{}
	fakeL := halofake.New(halofake.Options{BulkActions: true, Seed: 3, Now: clkL.now})
	genStart := time.Now()
	fakeL.Generate(large)
	b.Logf("generated %d tickets in %s", large.Tickets, time.Since(genStart).Round(time.Millisecond))
	tL := serveFake(b, fakeL)
	dbURL, poolL := testdb.NewURL(b)
	if _, err := binary(); err != nil {
		notMeasured("memory", "memory: worker peak RSS, 200k-ticket initial sync", "< 200 MB", err.Error())
		notMeasured("large_sync", "200k-ticket initial sync by the binary", "–", err.Error())
	} else {
		started := time.Now()
		p := start(b, haloEnv(tL.url, dbURL, "HALO_RATE_LIMIT=1000000/1s"), "sync", "--once")
		err := p.wait(30 * time.Minute) // generous: the machine may be shared
		elapsed := time.Since(started)
		if err != nil {
			b.Fatalf("halosync sync --once (200k): %v\n%s", err, lastLines(p.out.String(), 20))
		}
		peakMB := float64(p.peakRSSKB()) / 1024
		rows, err := tableRows(ctx, poolL)
		if err != nil {
			b.Fatal(err)
		}
		measured("memory", "memory: worker peak RSS, 200k-ticket initial sync", peakMB, "MiB",
			fmt.Sprintf("%.0f MiB", peakMB), "< 200 MB", boolp(peakMB*1.048576 < 200),
			"`halosync sync --once` against the fake over HTTP, rate limit off; max of VmHWM sampled every 50 ms")
		measured("large_sync", "200k-ticket initial sync by the binary", float64(rows)/elapsed.Seconds(), "rows/s",
			fmt.Sprintf("%d rows in %s (%.0f rows/s)", rows, elapsed.Round(time.Second), float64(rows)/elapsed.Seconds()), "–", nil,
			fmt.Sprintf("%d requests", apiRequests(tL.log())))
		b.ReportMetric(peakMB, "MiB-peak")
	}
	var haveLarge bool
	if err := poolL.QueryRow(ctx, `SELECT count(*) > 0 FROM halo.tickets`).Scan(&haveLarge); err != nil || !haveLarge {
		b.Fatalf("no 200k mirror to measure on (err %v)", err)
	}
	rL, err := incrementalRounds(ctx, b, fakeL, clkL, tL, dbURL)
	if err != nil {
		b.Fatalf("200k: %v", err)
	}

	m10, mL := median(r10.times), median(rL.times)
	goalReq := 2 + withNewActions
	maxReq := 0
	for _, n := range append(append([]int(nil), r10.requests...), rL.requests...) {
		maxReq = max(maxReq, n)
	}
	detail := func(r incremental) string {
		return fmt.Sprintf("%d rounds of %d changed tickets (%d with a new action): halosync's times %v (wall times, the fake's answering included: median %s, %v), requests %v",
			rounds, changedTickets, withNewActions, roundMS(r.times), ms(median(r.wall)), roundMS(r.wall), r.requests)
	}
	measured("incr_10k", "incremental ticket pull, 10k-ticket mirror", float64(m10)/1e6, "ms",
		fmt.Sprintf("%s, %d requests", ms(m10), r10.requests[len(r10.requests)-1]), "–", nil, detail(r10))
	measured("incr_200k", "incremental ticket pull, 200k-ticket mirror", float64(mL)/1e6, "ms",
		fmt.Sprintf("%s, %d requests", ms(mL), rL.requests[len(rL.requests)-1]), "–", nil, detail(rL))
	ratio := float64(mL) / float64(m10)
	wallRatio := float64(median(rL.wall)) / float64(median(r10.wall))
	measured("incr_ratio", "incremental time, 200k ÷ 10k", ratio, "ratio", fmt.Sprintf("%.2f", ratio), "≤ 1.3", boolp(ratio <= 1.3),
		fmt.Sprintf("median of the rounds, halosync's own time: each round's wall time less the time the fake took to answer its requests (the fake scans every ticket and action in memory for a filtered list; Halo answers from its own indexes). Wall-clock ratio, the fake's answering included: %.2f", wallRatio))
	measured("incr_requests", "incremental requests to Tickets + Actions", float64(maxReq), "requests",
		fmt.Sprintf("%d (worst round)", maxReq), fmt.Sprintf("≤ %d (2 + %d with new actions)", goalReq, withNewActions), boolp(maxReq <= goalReq), "")
	b.ReportMetric(ratio, "incr-200k/10k")
}

// incrementalRounds changes 50 tickets in the fake (20 get a new action, 30 a new summary), pulls tickets
// incrementally and checks every change arrived, `rounds` times. The fake's clock moves 10 minutes before
// each round, so a round's changes lie outside the next round's overlap window, as between two polls.
func incrementalRounds(ctx context.Context, b *testing.B, fake *halofake.Server, clk *clock, t *tap, dbURL string) (incremental, error) {
	var out incremental
	stmts := &stmtTimes{}
	pool := tracedPool(b, dbURL, stmts)
	ids, err := quiesce(ctx, pool)
	if err != nil {
		return out, err
	}
	stmts.reset()
	defer func() { b.Logf("database statements of the rounds (wall time, count):\n%s", stmts.top(12)) }()
	p := puller(b, t.url, pool)
	for r := range rounds {
		clk.advance(10 * time.Minute)
		pick := spread(ids, changedTickets, 1+r*7)
		note := fmt.Sprintf("bench note %d", r)
		var summaries []int64
		for i, id := range pick {
			if i < withNewActions {
				fake.AddAction(id, note)
			} else {
				fake.Update("tickets", id, map[string]any{"summary": fmt.Sprintf("bench change %d", r)})
				summaries = append(summaries, id)
			}
		}
		t.reset()
		var gcBefore runtime.MemStats
		runtime.ReadMemStats(&gcBefore)
		started := time.Now()
		if _, err := p.Pull(ctx, "tickets", false); err != nil {
			return out, fmt.Errorf("incremental pull: %w", err)
		}
		wall := time.Since(started)
		var served time.Duration
		for _, h := range t.log() {
			served += h.Served
		}
		out.wall = append(out.wall, wall)
		out.times = append(out.times, wall-served)
		out.requests = append(out.requests, apiRequests(t.log(), "/api/tickets", "/api/actions"))
		var gcAfter runtime.MemStats
		runtime.ReadMemStats(&gcAfter)
		b.Logf("round %d: %s, of which the fake answering %s; %d GC cycles", r, ms(wall), ms(served), gcAfter.NumGC-gcBefore.NumGC)

		var gotSummaries, gotNotes int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM halo.tickets WHERE id = ANY($1) AND summary = $2`,
			summaries, fmt.Sprintf("bench change %d", r)).Scan(&gotSummaries); err != nil {
			return out, err
		}
		if err := pool.QueryRow(ctx, `SELECT count(DISTINCT ticket_id) FROM halo.actions WHERE ticket_id = ANY($1) AND note = $2 AND deleted_at IS NULL`,
			pick[:withNewActions], note).Scan(&gotNotes); err != nil {
			return out, err
		}
		if gotSummaries != len(summaries) || gotNotes != withNewActions {
			return out, fmt.Errorf("round %d: %d of %d changed summaries and %d of %d new actions reached the mirror", r, gotSummaries, len(summaries), gotNotes, withNewActions)
		}
	}
	return out, nil
}

func roundMS(d []time.Duration) []string {
	out := make([]string, len(d))
	for i, x := range d {
		out[i] = ms(x)
	}
	return out
}

func lastLines(s string, n int) string {
	lines := splitLines(s)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
