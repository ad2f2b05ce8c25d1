package sync_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
)

// Issue 18: knowledge-base articles and the configuration lookups (SLAs,
// categories, outcomes, organisations, top levels), each pulled on its own
// from its declaration.

// kbTenant has three pages of articles (230 at Halo's 100 a page).
var kbTenant = halofake.Size{Clients: 3, Sites: 3, Users: 3, Agents: 3, KBArticles: 230}

// requestsTo lists the fake's requests whose path is path (case-insensitive).
func (e *env) requestsTo(path string) []halofake.RequestLog {
	var out []halofake.RequestLog
	for _, r := range e.fake.Requests() {
		if strings.EqualFold(strings.TrimSuffix(r.Path, "/"), path) {
			out = append(out, r)
		}
	}
	return out
}

// The first pull of each entity mirrors every record Halo has, inactive
// articles and hidden outcomes included, in the fewest requests: one per
// page of articles and of top levels (envelope "tree"), one for each bare
// array (SLA, Category, Outcome, Organisation: no paging parameters).
func TestKBAndConfigFirstPull(t *testing.T) {
	e := newEnv(t, halofake.Options{Seed: 81, KBUnpagedHang: true}, kbTenant)
	e.pull(t, "statuses", false) // pays for the hourly version read
	for _, c := range []struct {
		entity string
		min    int
	}{
		{"kb_articles", ceilDiv(len(e.fake.Records("kb_articles")), 100)},
		{"slas", 1}, {"categories", 1}, {"outcomes", 1}, {"organisations", 1},
		{"top_levels", ceilDiv(len(e.fake.Records("top_levels")), 100)},
	} {
		t.Run(c.entity, func(t *testing.T) {
			run := e.pull(t, c.entity, false)
			require.Empty(t, run.Error)
			require.Equal(t, fakeIDs(e, c.entity), liveIDs(t, e.pool, c.entity), "mirror of %s", c.entity)
			require.NotEmpty(t, liveIDs(t, e.pool, c.entity))
			require.EqualValues(t, c.min, run.Requests, "requests of the first pull of %s", c.entity)
			require.EqualValues(t, 0, run.Rejected)
		})
	}

	// KB pages only when page_no is sent (the fake hangs otherwise, as the
	// live call timed out): every request carries it.
	for _, r := range e.requestsTo("/api/KBArticle") {
		require.NotEmpty(t, r.Query.Get("page_no"), "KB request without page_no: %v", r.Query)
		require.Equal(t, "true", r.Query.Get("includeinactive"))
	}
	require.Equal(t, "true", e.requestsTo("/api/Outcome")[0].Query.Get("showhidden"))

	ctx := context.Background()
	var inactive int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE inactive) FROM halo.kb_articles`).Scan(&inactive))
	require.Positive(t, inactive, "inactive articles are mirrored")

	// Typed columns as Halo names them, halo_updated_at from date_edited.
	var name string
	var edited, updated *string
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT name, date_edited::text, halo_updated_at::text FROM halo.kb_articles ORDER BY id LIMIT 1`).
		Scan(&name, &edited, &updated))
	require.NotEmpty(t, name)
	require.NotNil(t, edited)
	require.Equal(t, edited, updated)
	e.pull(t, "clients", false)
	var tree int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.clients c JOIN halo.top_levels tl ON tl.id = c.toplevel_id`).Scan(&tree))
	require.Positive(t, tree, "clients join their top level")
}

// /KBArticle has no modified-since filter (swagger): every pull lists the
// articles again and rewrites only what changed.
func TestKBPullDetectsChangesByContent(t *testing.T) {
	e := newEnv(t, halofake.Options{Seed: 82}, kbTenant)
	e.pull(t, "kb_articles", false)
	ids := fakeIDs(e, "kb_articles")
	e.fake.Update("kb_articles", 7, map[string]any{"name": "Renamed article"})

	run := e.pull(t, "kb_articles", false)
	require.EqualValues(t, 1, run.Updated)
	require.EqualValues(t, 0, run.Inserted)
	require.EqualValues(t, len(ids)-1, run.Unchanged)
	require.EqualValues(t, ceilDiv(len(ids), 100), run.Requests)
	for _, r := range e.requestsTo("/api/KBArticle") {
		require.False(t, r.Query.Has("lastupdatefromdate"), "no filter Halo does not document")
	}
	var name string
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT name FROM halo.kb_articles WHERE id = 7`).Scan(&name))
	require.Equal(t, "Renamed article", name)
}

// A record deleted in Halo is tombstoned after a complete walk, and nothing
// is tombstoned when the walk cannot prove it complete.
func TestKBAndConfigReconcile(t *testing.T) {
	e := newEnv(t, halofake.Options{Seed: 83}, kbTenant)
	lookups := []string{"outcomes", "categories", "slas", "organisations", "top_levels"}
	// A tenant has one organisation as a rule; deleting the only one would (rightly) meet the mass-delete
	// guard, so give it a second.
	e.fake.Create("organisations", map[string]any{"name": "Second organisation"})
	e.pull(t, "kb_articles", false)
	for _, entity := range lookups {
		e.pull(t, entity, false)
	}

	// A cut walk: Halo announces more articles than it lists.
	e.fake.Delete("kb_articles", 11)
	e.fake.SetFault(halofake.Faults{RecordCount: map[string]float64{"kb_articles": 2}})
	run := e.pull(t, "kb_articles", false)
	require.Zero(t, run.Tombstoned)
	require.Contains(t, notes(run), "reconcile skipped")
	require.Contains(t, liveIDs(t, e.pool, "kb_articles"), "11")

	// A complete walk tombstones it.
	e.fake.SetFault(halofake.Faults{})
	run = e.pull(t, "kb_articles", false)
	require.EqualValues(t, 1, run.Tombstoned)
	require.Equal(t, fakeIDs(e, "kb_articles"), liveIDs(t, e.pool, "kb_articles"))

	for _, entity := range lookups {
		id := fakeIDs(e, entity)[0]
		e.fake.Delete(entity, mustInt(t, id))
		run := e.pull(t, entity, false)
		require.EqualValues(t, 1, run.Tombstoned, entity)
		require.Equal(t, fakeIDs(e, entity), liveIDs(t, e.pool, entity))
	}
}
