package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
	hsync "github.com/halosync/halosync/sync"
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

func minimumOf(tb testing.TB, fake *halofake.Server) pageMinimum {
	var m pageMinimum
	for _, name := range hsync.PullOrder {
		switch name {
		case "tickets": // below
		case "statuses", "ticket_types", "teams", "priorities", "agents": // bare arrays
			m.base++
		case "assets":
			m.base += ceilDiv(len(fake.Records(name)), 50)
		case "kb_articles", "top_levels", "slas", "categories", "outcomes", "organisations", "attachments":
			// kbConfigMinimum, below
		case "clients", "sites", "users", "contracts":
			m.base += ceilDiv(len(fake.Records(name)), 100)
		default: // the areas of issue 18 (newents_test.go)
			m.base += minimumRequests(tb, fake, name, hsync.DefaultHistory)
		}
	}
	m.base += kbConfigMinimum(fake) + 1 // KB, top levels, config lookups, attachments; + Halo's version (InstanceInfo)
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

// BenchmarkInitialSync: requests per initial sync with the fake's bulk Actions listing on and off (rate limit
// off). Ingest throughput is BenchmarkIngest's.
func BenchmarkInitialSync(b *testing.B) {
	ctx := context.Background()
	type result struct {
		requests int
		elapsed  time.Duration
		rows     int64
	}
	var m pageMinimum
	res := map[bool]*result{}
	for _, bulk := range []bool{true, false} {
		fake := halofake.New(halofake.Options{BulkActions: bulk, Seed: 1})
		fake.Generate(tenant)
		if bulk {
			m = minimumOf(b, fake)
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
		res[bulk] = &result{requests: apiRequests(t.log()), elapsed: elapsed, rows: rows}
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
}
