package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
)

// repoRoot is the module root (tests run in cmd/halosync).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "module root")
	return root
}

// ensureTool finds a test tool, installing Debian's package when it is missing, the way
// deploy/local/postgres.sh installs Postgres (deploy/local/tools.sh). No skip: a missing tool fails.
func ensureTool(t *testing.T, name string) string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "deploy", "local", "tools.sh"), name)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), "deploy/local/tools.sh %s:\n%s", name, errOut.String())
	lines := strings.Fields(out.String())
	require.NotEmpty(t, lines, "tools.sh printed no path for %s", name)
	return lines[len(lines)-1]
}

// headless runs one headless Chromium command (a DOM dump or a screenshot) and returns its stdout.
func headless(t *testing.T, chromium string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--mute-audio", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), "chromium %v:\n%s", args, errOut.String())
	return out.String()
}

// pngSize reads a PNG's width and height from its IHDR chunk.
func pngSize(t *testing.T, path string) (int, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(b), 24)
	require.Equal(t, "\x89PNG\r\n\x1a\n", string(b[:8]), "%s is a PNG", path)
	return int(binary.BigEndian.Uint32(b[16:20])), int(binary.BigEndian.Uint32(b[20:24]))
}

// TestStatusPageInBrowser starts the real worker against the fake Halo (with a low rate limit, so it meets
// 429s, and contracts forbidden, so a breaker opens with its hint), lets it sync and push an edit, then
// opens /status in headless Chromium: every entity is listed with its sparkline, the budget chart is drawn
// with its 429 minute, the breaker shows its fix. It saves screenshots (desktop and phone width) in
// .local/ (docs/status.png is one of them) and checks that the Grafana dashboard and the alert rules use
// only metric names the worker's /metrics really exports.
func TestStatusPageInBrowser(t *testing.T) {
	chromium := ensureTool(t, "chromium")
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 31, ClientSecret: testSecret, RateLimit: 12, RateWindow: 3 * time.Second})
	fake.Generate(e2eSize)
	fake.SetFault(halofake.Faults{Forbidden: map[string]bool{"contracts": true}})
	base := fake.Start()
	t.Cleanup(fake.Close)
	pool := testdb.New(t)
	ctx := context.Background()
	addr := freeAddr(t)
	env := map[string]string{
		"DATABASE_URL": testdb.URL(t), "HALO_RESOURCE_SERVER": base, "HALO_CLIENT_ID": halofake.DefaultClientID,
		"HALO_CLIENT_SECRET": testSecret, "HALOSYNC_LOG_FORMAT": "json", "HALOSYNC_HTTP_ADDR": addr,
		// A little more than the fake allows (12/3s): the worker meets 429s, the budget chart shows them.
		"HALO_RATE_LIMIT": "15/3s",
	}
	seedHistory(t, pool)
	cmd := exec.Command(halosyncBinary(t), "worker")
	cmd.Env = binaryEnv(env)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	deadline := time.Now().Add(3 * time.Minute)
	waitUntil := func(what, query string) {
		t.Helper()
		for {
			var ok bool
			require.NoError(t, pool.QueryRow(ctx, query).Scan(&ok))
			if ok {
				return
			}
			require.True(t, time.Now().Before(deadline), "worker: %s in time; logs:\n%s", what, logs.String())
			time.Sleep(200 * time.Millisecond)
		}
	}
	// A run of the recent window can finish with no ticket (the fake's tickets are older than it): the edit
	// below needs a stored ticket, so wait for the tickets themselves.
	waitUntil("tickets pulled", `SELECT count(*) > 0 FROM halosync.runs WHERE entity = 'tickets' AND mode <> 'seed' AND error IS NULL AND finished_at IS NOT NULL
  AND EXISTS (SELECT FROM halo.tickets)`)
	waitUntil("a 429 counted", `SELECT coalesce(sum(rate_limited), 0) > 0 FROM halosync.budget_minutes`)
	waitUntil("the contracts breaker and its hint", `SELECT EXISTS (SELECT 1 FROM halosync.endpoint_health WHERE endpoint ILIKE '%clientcontract%' AND fix_hint IS NOT NULL)`)
	_, err := pool.Exec(ctx, `UPDATE halo.tickets SET summary = 'edited for the status page' WHERE id = (SELECT min(id) FROM halo.tickets)`)
	require.NoError(t, err)
	waitUntil("the edit pushed", `SELECT EXISTS (SELECT 1 FROM halosync.outbox WHERE state = 'done')`)

	url := "http://" + addr + "/status"
	dom := headless(t, chromium, "--dump-dom", url)
	for _, e := range statusEntities() {
		require.Regexp(t, `<section class="card \w+" data-entity="`+e+`">`, dom, "entity %s listed", e)
	}
	require.Regexp(t, `<svg class="sparkline" data-entity="tickets"[^>]*>[\s\S]*?<path class="lag-line" d="M`, dom, "tickets' lag drawn")
	chart := regexp.MustCompile(`(?s)<svg id="budget-chart".*?</svg>`).FindString(dom)
	require.NotEmpty(t, chart, "budget chart drawn")
	require.Contains(t, chart, `<rect class="bar`, "a bar per busy minute")
	require.Contains(t, chart, `<rect class="bar limited"`, "the 429 minute stands out")
	require.Contains(t, dom, "agent lacks permission or team access", "the forbidden endpoint's fix hint")

	shots := filepath.Join(repoRoot(t), ".local")
	require.NoError(t, os.MkdirAll(shots, 0o755))
	desktop, phone := filepath.Join(shots, "status.png"), filepath.Join(shots, "status-phone.png")
	headless(t, chromium, "--screenshot="+desktop, "--window-size=1280,1900", url)
	w, h := pngSize(t, desktop)
	require.Equal(t, []int{1280, 1900}, []int{w, h})
	headless(t, chromium, "--screenshot="+phone, "--window-size=390,1600", url)
	w, _ = pngSize(t, phone)
	require.Equal(t, 390, w)
	t.Logf("screenshots: %s, %s", desktop, phone)

	t.Run("deploy files use exported metrics", func(t *testing.T) { checkDeployMetrics(t, "http://"+addr+"/metrics") })
}

// seedHistory writes a day of ledger rows before the worker starts (every entity pulled on schedule, with
// a two-hour outage of tickets and actions) and an hour of budget use, so the sparklines and the budget
// chart have a history to draw (the screenshot in the README). The assertions check what the worker
// itself adds: its runs, its 429 minute.
func seedHistory(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `
INSERT INTO halosync.runs (entity, mode, started_at, finished_at, requests, fetched, unchanged)
SELECT e.entity, 'seed', t, t + interval '2 seconds', 1, 0, 0
FROM (VALUES ('tickets', 10), ('actions', 10), ('clients', 15), ('sites', 15), ('users', 15), ('agents', 15),
             ('assets', 15), ('contracts', 15), ('statuses', 60), ('ticket_types', 60), ('teams', 60),
             ('priorities', 60)) AS e(entity, every),
     generate_series(now() - interval '24 hours', now() - interval '5 minutes', make_interval(mins => e.every)) AS t
WHERE NOT (e.entity IN ('tickets', 'actions') AND t BETWEEN now() - interval '14 hours' AND now() - interval '12 hours')`)
	require.NoError(t, err)
	// And the hour before the start of the budget's use (the worker's own minutes are added by the trigger).
	_, err = pool.Exec(context.Background(), `
INSERT INTO halosync.budget_minutes (name, minute, granted)
SELECT 'halo', m, 20 + (extract(minute FROM m)::int * 37) % 90
FROM generate_series(date_trunc('minute', now()) - interval '59 minutes', date_trunc('minute', now()) - interval '3 minutes', interval '1 minute') AS m`)
	require.NoError(t, err)
}

var metricName = regexp.MustCompile(`\b(?:halosync|river)_[a-z0-9_]+[a-z0-9]`)

// checkDeployMetrics: every metric name deploy/grafana/halosync.json and deploy/prometheus/alerts.yaml
// refer to is in a real scrape of the worker.
func checkDeployMetrics(t *testing.T, url string) {
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	// Kept beside the screenshots: the metric names and labels to write dashboards against.
	require.NoError(t, os.WriteFile(filepath.Join(repoRoot(t), ".local", "metrics.txt"), body, 0o644))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(t, err)
	exported := map[string]bool{}
	for name, f := range fams {
		exported[name] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				exported[name+s] = true
			}
		}
	}
	for _, f := range []string{"deploy/grafana/halosync.json", "deploy/prometheus/alerts.yaml"} {
		b, err := os.ReadFile(filepath.Join(repoRoot(t), f))
		require.NoError(t, err)
		names := metricName.FindAllString(string(b), -1)
		require.NotEmpty(t, names, f)
		for _, n := range names {
			require.True(t, exported[n], "%s uses %s, which the worker does not export", f, n)
		}
	}
}
