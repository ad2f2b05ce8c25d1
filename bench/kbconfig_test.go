package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
)

// Issue 18 item 6 for the knowledge base, the configuration lookups and attachment metadata: the first
// sync of each within 1.05× its minimum.

// kbConfigEntities are the entities this figure covers (their runs in the ledger).
var kbConfigEntities = []string{"kb_articles", "slas", "categories", "outcomes", "organisations", "top_levels", "attachments"}

// kbConfigMinimum is the fewest requests a first sync of kbConfigEntities can make: one per page of
// articles and of top levels (page cap 100), one per bare array (SLA, Category, Outcome, Organisation:
// no paging parameters), and one per live ticket that has attachments (Halo lists them per ticket only).
func kbConfigMinimum(fake *halofake.Server) int {
	n := ceilDiv(len(fake.Records("kb_articles")), 100) + ceilDiv(len(fake.Records("top_levels")), 100) + 4
	return n + len(ticketsWithAttachments(fake))
}

// ticketsWithAttachments lists the live tickets of the fake that have attachments: a first sync reads each
// one's attachments with one request.
func ticketsWithAttachments(fake *halofake.Server) []int64 {
	live := map[int64]bool{}
	for _, t := range fake.Records("tickets") {
		if t["deleted"] != true {
			live[int64(t["id"].(float64))] = true
		}
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, a := range fake.Records("attachments") {
		if tid := int64(a["ticket_id"].(float64)); live[tid] && !seen[tid] {
			seen[tid] = true
			ids = append(ids, tid)
		}
	}
	return ids
}

// kbConfigTenant has enough articles and attachments to page and to spread over many tickets.
var kbConfigTenant = halofake.Size{Clients: 20, Sites: 40, Users: 100, Agents: 10, Tickets: 3000, ActionsPerTicket: 2,
	KBArticles: 450, Attachments: 1200}

// BenchmarkKBConfigFirstSync: requests of the first sync of kbConfigEntities ÷ their minimum, from the run
// ledger of a complete first cycle.
func BenchmarkKBConfigFirstSync(b *testing.B) {
	ctx := context.Background()
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 3})
	fake.Generate(kbConfigTenant)
	min := kbConfigMinimum(fake)
	t := serveFake(b, fake)
	p := puller(b, t.url, testdb.New(b))
	runs, err := p.Cycle(ctx, nil, false)
	if err != nil {
		b.Fatalf("first sync: %v", err)
	}
	covered := map[string]bool{}
	for _, e := range kbConfigEntities {
		covered[e] = true
	}
	var requests int64
	for _, r := range runs {
		if !covered[r.Entity] {
			continue
		}
		if r.Error != "" || r.Rejected > 0 {
			b.Fatalf("first sync: %s: error %q, %d rejected", r.Entity, r.Error, r.Rejected)
		}
		requests += r.Requests
	}
	ratio := float64(requests) / float64(min)
	measured("requests_kb_config", "first-sync requests ÷ minimum: KB, SLAs, categories, outcomes, organisations, top levels, attachments",
		ratio, "ratio", fmt.Sprintf("%.3f (%d / %d)", ratio, requests, min), "≤ 1.05", boolp(ratio <= 1.05),
		fmt.Sprintf("%d articles, %d attachments on %d tickets; minimum = pages of articles and top levels + 4 bare arrays + one request per ticket with attachments",
			len(fake.Records("kb_articles")), len(fake.Records("attachments")), kbConfigTenant.Tickets))
	b.ReportMetric(ratio, "req/min-kbconfig")
}
