package bench

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
	hsync "github.com/halosync/halosync/sync"
)

// haloRate is Halo's request budget (about 300 requests per 5 minutes): the backfill figures turn request
// counts into the time they take at that rate instead of sleeping.
const haloRate = 300.0 / (5 * 60) // requests per second

// genEpoch is where the fake's generated history ends (halofake: activity lies in the years before it).
var genEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func simulated(requests int) time.Duration {
	return time.Duration(float64(requests) / haloRate * float64(time.Second))
}

// BenchmarkBackfill (issue 19): on the large tenant (200k tickets, 600k actions), how soon the last 30 days
// of tickets and actions are in the mirror compared with the whole first sync, and how much of a backfill
// killed halfway is read again after the restart.
func BenchmarkBackfill(b *testing.B) {
	recentFirst(b)
	resumeAfterKill(b)
}

// recentFirst runs the first sync of the large tenant in process, the fake's clock at the end of its
// generated history (so the last 30 days hold data), rate limit off; every request is time-stamped by the
// tap. The moment the recent window is complete is the latest synced_at (the writing transaction's start)
// of a recent ticket or action; the requests sent before it, at Halo's 300 per 5 minutes, are the time to
// the recent window, the requests of the whole sync the time of the backfill.
func recentFirst(b *testing.B) {
	ctx := context.Background()
	const name = "recent window (30 days) in the mirror ÷ whole backfill, at 300 req / 5 min"
	clk := &clock{}
	clk.advance(time.Until(genEpoch))
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 6, Now: clk.now})
	fake.Generate(large)
	t := serveFake(b, fake)
	pool := testdb.New(b)
	windowStart := clk.now().Add(-hsync.RecentWindow)
	started := time.Now()
	if _, err := puller(b, t.url, pool).Cycle(ctx, nil, false); err != nil {
		b.Fatalf("first sync (large): %v", err)
	}
	elapsed := time.Since(started)
	var done time.Time
	var tickets, actions int
	if err := pool.QueryRow(ctx, `SELECT greatest(
		(SELECT max(synced_at) FROM halo.tickets WHERE halo_updated_at >= $1),
		(SELECT max(synced_at) FROM halo.actions WHERE datetime >= $1)),
		(SELECT count(*) FROM halo.tickets WHERE halo_updated_at >= $1 AND deleted_at IS NULL),
		(SELECT count(*) FROM halo.actions WHERE datetime >= $1 AND deleted_at IS NULL)`, windowStart).Scan(&done, &tickets, &actions); err != nil {
		b.Fatal(err)
	}
	hits := t.log()
	total, before := apiRequests(hits), 0
	for _, h := range hits {
		if !h.At.After(done) && len(h.Path) > 5 && h.Path[:5] == "/api/" {
			before++
		}
	}
	ratio := float64(before) / float64(total)
	measured("recent_ratio", name, ratio, "ratio",
		fmt.Sprintf("%.3f (%d of %d requests: %s of %s)", ratio, before, total, simulated(before).Round(time.Minute), simulated(total).Round(time.Minute)),
		"≤ 0.1", boolp(ratio <= 0.1),
		fmt.Sprintf("large tenant, first sync by the sync package in process (%s with the rate limit off); window = %d tickets updated and %d actions dated in the last 30 days; time = requests at Halo's 300 per 5 minutes", elapsed.Round(time.Second), tickets, actions))
	b.ReportMetric(ratio, "recent/total")
}

// resumeAfterKill starts the binary's first sync of the large tenant, SIGKILLs it once half the sync's
// requests are sent, and restarts it: requests after the restart ÷ the pages the backfill had not stored
// (Σ over entities of ⌈(rows in Halo − rows in the mirror) / page cap⌉ at the kill).
func resumeAfterKill(b *testing.B) {
	ctx := context.Background()
	const name = "backfill killed at 50 %: requests after the restart ÷ pages left"
	if _, err := binary(); err != nil {
		notMeasured("resume_ratio", name, "≤ 1.02", err.Error())
		return
	}
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 7})
	fake.Generate(large)
	m := minimumOf(b, fake)
	expected := m.base + m.bulkActions
	t := serveFake(b, fake)
	dbURL, pool := testdb.NewURL(b)
	env := haloEnv(t.url, dbURL, "HALO_RATE_LIMIT=1000000/1s")
	p := start(b, env, "sync", "--once")
	for apiRequests(t.log()) < expected/2 {
		select {
		case <-p.done:
			b.Fatalf("the sync ended before half its requests: %v\n%s", p.err, lastLines(p.out.String(), 20))
		case <-time.After(5 * time.Millisecond):
		}
	}
	_ = p.cmd.Process.Kill() // SIGKILL
	_ = p.wait(time.Minute)
	sentBefore := apiRequests(t.log())

	// What the mirror holds at the kill, against Halo: pages of the walks,
	left := 0
	for _, e := range []struct {
		table string
		halo  int
		cap   int
	}{
		{"clients", len(fake.Records("clients")), 100}, {"sites", len(fake.Records("sites")), 100},
		{"users", len(fake.Records("users")), 100}, {"contracts", len(fake.Records("contracts")), 100},
		{"assets", len(fake.Records("assets")), 50}, {"tickets", m.tickets, 100}, {"actions", m.actions, 100},
	} {
		var have int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM halo.`+e.table+` WHERE deleted_at IS NULL`).Scan(&have); err != nil {
			b.Fatal(err)
		}
		if e.halo > have {
			left += (e.halo - have + e.cap - 1) / e.cap
		}
	}
	// and one request per ticket with attachments whose attachments were not read yet.
	withAttachments := ticketsWithAttachments(fake)
	var attachmentsRead int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM halosync.attachment_reads WHERE ticket_id = ANY($1)`,
		withAttachments).Scan(&attachmentsRead); err != nil {
		b.Fatal(err)
	}
	left += len(withAttachments) - attachmentsRead
	var page *int
	_ = pool.QueryRow(ctx, `SELECT walk_page FROM halosync.entity_state WHERE entity = 'actions'`).Scan(&page)
	var notDone []string
	rows, err := pool.Query(ctx, `SELECT entity FROM halosync.entity_state WHERE last_success_at IS NULL ORDER BY 1`)
	if err == nil {
		for rows.Next() {
			var e string
			_ = rows.Scan(&e)
			notDone = append(notDone, e)
		}
		rows.Close()
	}

	t.reset()
	// The entities not finished at the kill are the tickets and their actions (the other entities come
	// first and had completed); a whole cycle would also re-read the full-only lists (users, contracts,
	// agents, lookups), as every cycle does.
	restart := start(b, env, "sync", "--once", "--entity", "tickets")
	if err := restart.wait(15 * time.Minute); err != nil {
		b.Fatalf("restarted sync: %v\n%s", err, lastLines(restart.out.String(), 20))
	}
	after := apiRequests(t.log())
	var tickets, actions int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM halo.tickets WHERE deleted_at IS NULL), (SELECT count(*) FROM halo.actions WHERE deleted_at IS NULL)`).Scan(&tickets, &actions); err != nil {
		b.Fatal(err)
	}
	if tickets != m.tickets || actions != m.actions {
		b.Fatalf("after the restart the mirror has %d tickets and %d actions, Halo %d and %d", tickets, actions, m.tickets, m.actions)
	}
	ratio := float64(after) / float64(left)
	pos := "none"
	if page != nil {
		pos = fmt.Sprintf("actions walk at page %d", *page)
	}
	measured("resume_ratio", name, ratio, "ratio", fmt.Sprintf("%.4f (%d / %d)", ratio, after, left), "≤ 1.02", boolp(ratio <= 1.02),
		fmt.Sprintf("large tenant, `halosync sync --once` SIGKILLed after %d of ~%d requests (recorded position: %s; unfinished: %v), restarted as `sync --once --entity tickets`; the mirror is then exact", sentBefore, expected, pos, notDone))
	b.ReportMetric(ratio, "resume-req/left")
}

// BenchmarkMemory1M (issue 19): the worker binary's peak RSS during the first sync of a 1M-ticket tenant (3M
// actions), rate limit off. Long (about 4.3M rows: see README, Performance); HALOSYNC_BENCH_SKIP_1M=1 skips it.
// memory1MLimit is how long the 1M-ticket sync may take before the figure is given up (a shared machine
// is slow, not wrong).
const memory1MLimit = 2 * time.Hour

func BenchmarkMemory1M(b *testing.B) {
	const name = "memory: worker peak RSS, 1M-ticket first sync"
	if os.Getenv("HALOSYNC_BENCH_SKIP_1M") != "" {
		notMeasured("memory_1m", name, "< 200 MB", "skipped (HALOSYNC_BENCH_SKIP_1M)")
		return
	}
	if _, err := binary(); err != nil {
		notMeasured("memory_1m", name, "< 200 MB", err.Error())
		return
	}
	huge := halofake.Size{Name: "1m", Clients: 5000, Sites: 10000, Users: 50000, Agents: 150, Tickets: 1_000_000, ActionsPerTicket: 3, Assets: 20000, Contracts: 1000}
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 8})
	fake.Generate(huge)
	t := serveFake(b, fake)
	dbURL, pool := testdb.NewURL(b)
	started := time.Now()
	p := start(b, haloEnv(t.url, dbURL, "HALO_RATE_LIMIT=1000000/1s"), "sync", "--once")
	if err := p.wait(memory1MLimit); err != nil {
		// Recorded, not fatal: the other figures of the run still go to the table and results.json.
		notMeasured("memory_1m", name, "< 200 MB", fmt.Sprintf("sync --once did not finish (%v) after %s; peak so far %.0f MiB: %s",
			err, time.Since(started).Round(time.Second), float64(p.peakRSSKB())/1024, firstLine(lastLines(p.out.String(), 3))))
		return
	}
	elapsed := time.Since(started)
	rows, err := tableRows(context.Background(), pool)
	if err != nil {
		b.Fatal(err)
	}
	peakMB := float64(p.peakRSSKB()) / 1024
	measured("memory_1m", name, peakMB, "MiB", fmt.Sprintf("%.0f MiB", peakMB), "< 200 MB", boolp(peakMB*1.048576 < 200),
		fmt.Sprintf("`halosync sync --once`, %d rows in %s, %d requests; max of VmHWM sampled every 50 ms", rows, elapsed.Round(time.Second), apiRequests(t.log())))
	b.ReportMetric(peakMB, "MiB-peak-1M")
}
