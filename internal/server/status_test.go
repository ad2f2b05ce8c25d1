package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/server"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
)

func statusConfig(c *server.Config) {
	c.Status = server.StatusConfig{Entities: []string{"tickets", "actions", "clients", "statuses"},
		Interval: jobs.DefaultSchedule.Interval, JobTag: jobs.EntityTag, JobKinds: []string{"halosync_pull"}}
}

// TestStatusPage: /status is protected like the River UI and shows, from the database, every entity
// with its lag, sparkline, rows, last run, rejects, conflicts and parked pushes; the budget's last hour
// with its 429s; breakers with their fix hints; links into the River UI.
func TestStatusPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBundle(t, statusConfig)
	st := store.New(b.pool)
	now := time.Now()

	code, _ := b.do(t, http.MethodGet, "/status", nil, nil)
	require.Equal(t, http.StatusUnauthorized, code, "no credentials")
	code, _ = b.do(t, http.MethodGet, "/status", nil, nil, adminUser, "wrong")
	require.Equal(t, http.StatusUnauthorized, code, "wrong password")

	ok := now.Add(-45 * time.Second)
	require.NoError(t, st.SaveState(ctx, b.pool, &store.EntityState{Entity: "tickets", LastSuccessAt: &ok, LastPullAt: &ok, Rows: 4242}))
	old := now.Add(-5 * time.Hour)
	require.NoError(t, st.SaveState(ctx, b.pool, &store.EntityState{Entity: "clients", LastSuccessAt: &old, LastPullAt: &old, Rows: 17}))
	for _, ago := range []time.Duration{20 * time.Hour, 10 * time.Hour, 45 * time.Second} {
		at := now.Add(-ago)
		_, err := b.pool.Exec(ctx, `INSERT INTO halosync.runs (entity, mode, started_at, finished_at, requests, fetched, inserted, updated, unchanged)
VALUES ('tickets', 'incremental', $1, $1, 3, 12, 5, 4, 3)`, at)
		require.NoError(t, err)
	}
	_, err := b.pool.Exec(ctx, `INSERT INTO halosync.rejects (entity, record_key, reason) VALUES ('tickets', '9', 'bad date'), ('tickets', '10', 'bad date')`)
	require.NoError(t, err)
	_, err = b.pool.Exec(ctx, `INSERT INTO halosync.outbox (entity, record_key, op, state) VALUES ('tickets', '4', 'update', 'parked')`)
	require.NoError(t, err)
	_, err = b.pool.Exec(ctx, `INSERT INTO halosync.endpoint_health (endpoint, breaker_state, last_status, last_error, rate_limited_count, fix_hint)
VALUES ('GET /api/client', 'open', 403, 'HTTP 403 Forbidden', 0, 'grant the API agent access to customers')`)
	require.NoError(t, err)
	budget := store.Budget{Name: "halo", Limit: 300, Window: 5 * time.Minute}
	require.NoError(t, st.EnsureBudget(ctx, budget))
	for range 4 {
		_, _, err := st.Take(ctx, budget, 1)
		require.NoError(t, err)
	}
	require.NoError(t, st.BudgetBlocked(ctx, budget, time.Second))

	code, page := b.do(t, http.MethodGet, "/status", nil, nil, adminUser, adminPassword)
	require.Equal(t, http.StatusOK, code, page)
	for _, e := range []string{"tickets", "actions", "clients", "statuses"} {
		require.Contains(t, page, `<section class="card`, e)
		require.Regexp(t, `<section class="card \w+" data-entity="`+e+`">`, page, "card of %s", e)
	}
	tickets := card(t, page, "tickets")
	require.Contains(t, tickets, `class="card ok"`, "45 s behind a 1 min schedule")
	require.Contains(t, tickets, ">45s<", "lag")
	require.Contains(t, tickets, "4242", "rows")
	require.Regexp(t, `<path class="lag-line" d="M[0-9. L]+"`, tickets, "a 24 h lag line from the ledger")
	require.Contains(t, tickets, "3 req · 12 fetched, 5 new, 4 updated, 3 unchanged", "last run's counts")
	require.Regexp(t, `<dt>rejects</dt><dd class="warn">2</dd>`, tickets)
	require.Regexp(t, `<dt>parked pushes</dt><dd class="warn">1</dd>`, tickets)
	require.Contains(t, tickets, `href="/riverui/jobs/?kind=halosync_pull&amp;state=completed&amp;tags=tickets"`)
	require.Contains(t, card(t, page, "actions"), "tags=tickets", "actions are pulled by the tickets job")
	require.Contains(t, card(t, page, "clients"), `class="card bad"`, "5 h behind a 15 min schedule")
	require.Contains(t, card(t, page, "statuses"), ">never<")

	require.Contains(t, page, `<svg id="budget-chart"`)
	require.Equal(t, 1, strings.Count(page, `<rect class="bar limited"`), "this minute: 4 requests and a 429")
	require.Contains(t, page, "4 of 300 requests used")
	require.Contains(t, page, "<b class=\"warn\">1</b> × 429")
	require.Contains(t, page, "grant the API agent access to customers", "breaker fix hint")
	require.Contains(t, page, `<meta name="viewport"`, "readable on a phone")
	require.NotContains(t, page, "<script", "no front-end code")
}

// card cuts one entity's card out of the page.
func card(t *testing.T, page, entity string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<section class="card[^"]*" data-entity="` + entity + `">.*?</section>`).FindString(page)
	require.NotEmpty(t, m, "card of %s", entity)
	return m
}

// TestStatusPageProtection: without a password the page is served only on a loopback address.
func TestStatusPageProtection(t *testing.T) {
	t.Parallel()
	open := newBundle(t, func(c *server.Config) { statusConfig(c); c.AdminPassword = ""; c.Addr = "0.0.0.0:8080" })
	code, body := open.do(t, http.MethodGet, "/status", nil, nil)
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, body, "HALOSYNC_ADMIN_PASSWORD")

	local := newBundle(t, func(c *server.Config) { statusConfig(c); c.AdminPassword = ""; c.Addr = "127.0.0.1:8080" })
	code, body = local.do(t, http.MethodGet, "/status", nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "No budget yet")

	// Served without a password, it still answers only to known Host names (DNS rebinding).
	req, err := http.NewRequest(http.MethodGet, local.ts.URL+"/status", nil)
	require.NoError(t, err)
	req.Host = "rebound.example"
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode)
}

// TestEntityJobsFilter: pull and fetch jobs carry their entity's tag, which the River UI's job list
// filters on (the status page's per-entity links).
func TestEntityJobsFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBundle(t, statusConfig)
	for _, e := range []string{"tickets", "clients"} {
		_, err := b.rc.Insert(ctx, jobs.PullArgs{Entity: e}, nil)
		require.NoError(t, err)
	}
	_, err := b.rc.Insert(ctx, jobs.FetchTicketArgs{TicketID: 7}, nil)
	require.NoError(t, err)
	code, body := b.do(t, http.MethodGet, "/riverui/api/jobs?state=available&tags=tickets", nil, nil, adminUser, adminPassword)
	require.Equal(t, http.StatusOK, code, body)
	var list struct {
		Data []struct {
			Kind string   `json:"kind"`
			Tags []string `json:"tags"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Data, 2, body)
	for _, j := range list.Data {
		require.Contains(t, []string{"halosync_pull", "halosync_fetch_ticket"}, j.Kind)
		require.Equal(t, []string{"tickets"}, j.Tags)
	}
}
