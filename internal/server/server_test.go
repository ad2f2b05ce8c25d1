package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/internal/server"
	"github.com/halosync/halosync/internal/telemetry"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

const (
	adminUser     = "operator"
	adminPassword = "correct horse battery staple"
	webhookSecret = "whsec-test"
	hookUser      = "halo-hooks"
	hookPassword  = "webhook basic password"
)

type bundle struct {
	pool *pgxpool.Pool
	url  string // database URL
	rc   *river.Client[pgx.Tx]
	tel  *telemetry.Telemetry
	srv  *server.Server
	ts   *httptest.Server
}

// newBundle builds a server on a fresh database with an insert-only River client. mod adjusts the config.
func newBundle(t *testing.T, mod func(*server.Config)) *bundle {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b := &bundle{}
	b.url, b.pool = testdb.NewURL(t)
	var err error
	b.rc, err = jobs.NewClient(jobs.Config{Pool: b.pool})
	require.NoError(t, err)
	b.tel, err = telemetry.New(ctx, telemetry.Options{Version: "test"})
	require.NoError(t, err)
	cfg := server.Config{Pool: b.pool, River: b.rc, Telemetry: b.tel, Addr: "0.0.0.0:8080",
		AdminUser: adminUser, AdminPassword: adminPassword, WebhookSecret: webhookSecret,
		WebhookUser: hookUser, WebhookPassword: hookPassword}
	if mod != nil {
		mod(&cfg)
	}
	b.srv, err = server.New(ctx, cfg)
	require.NoError(t, err)
	b.ts = httptest.NewServer(b.srv.Handler())
	t.Cleanup(b.ts.Close)
	return b
}

func (b *bundle) do(t *testing.T, method, path string, body []byte, hdr map[string]string, basic ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, b.ts.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(out)
}

func TestRiverUI(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	res, err := b.rc.Insert(context.Background(), jobs.PullArgs{Entity: "clients", Full: true}, nil)
	require.NoError(t, err)

	code, _ := b.do(t, http.MethodGet, "/riverui/", nil, nil)
	require.Equal(t, http.StatusUnauthorized, code, "no credentials")
	code, _ = b.do(t, http.MethodGet, "/riverui/api/jobs?state=available", nil, nil, adminUser, "wrong")
	require.Equal(t, http.StatusUnauthorized, code, "wrong password")
	code, _ = b.do(t, http.MethodGet, "/riverui/api/jobs?state=available", nil, nil, "someone", adminPassword)
	require.Equal(t, http.StatusUnauthorized, code, "wrong user")

	code, body := b.do(t, http.MethodGet, "/riverui/api/jobs?state=available", nil, nil, adminUser, adminPassword)
	require.Equal(t, http.StatusOK, code, body)
	var list struct {
		Data []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Data, 1)
	require.Equal(t, res.Job.ID, list.Data[0].ID)
	require.Equal(t, "halosync_pull", list.Data[0].Kind)

	code, body = b.do(t, http.MethodGet, "/riverui/", nil, nil, adminUser, adminPassword)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "<html")
}

func TestRiverUIWithoutPassword(t *testing.T) {
	t.Parallel()
	t.Run("NotServedOnAllInterfaces", func(t *testing.T) {
		t.Parallel()
		b := newBundle(t, func(c *server.Config) { c.AdminPassword = ""; c.Addr = ":8080" })
		require.False(t, b.srv.RiverUIServed())
		code, body := b.do(t, http.MethodGet, "/riverui/api/jobs", nil, nil)
		require.Equal(t, http.StatusNotFound, code)
		require.Contains(t, body, "HALOSYNC_ADMIN_PASSWORD")
	})
	t.Run("ServedOnLoopback", func(t *testing.T) {
		t.Parallel()
		b := newBundle(t, func(c *server.Config) { c.AdminPassword = ""; c.Addr = "127.0.0.1:8080" })
		require.True(t, b.srv.RiverUIServed())
		code, _ := b.do(t, http.MethodGet, "/riverui/api/jobs", nil, nil)
		require.Equal(t, http.StatusOK, code)
	})
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true,
		":8080": false, "0.0.0.0:8080": false, "10.0.0.5:8080": false, "[::]:8080": false} {
		require.Equal(t, want, server.IsLoopback(addr), addr)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	b := newBundle(t, func(c *server.Config) { c.AdminPassword = ""; c.ReadyTimeout = 5 * time.Second })
	code, _ := b.do(t, http.MethodGet, "/healthz", nil, nil)
	require.Equal(t, http.StatusOK, code)
	code, body := b.do(t, http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusOK, code, body)

	// Schema not current: unready.
	_, err := b.pool.Exec(context.Background(), `DELETE FROM halosync.goose_db_version WHERE version_id = (SELECT max(version_id) FROM halosync.goose_db_version)`)
	require.NoError(t, err)
	code, body = b.do(t, http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "schema not current")

	// The database is gone: unready; the process is still alive.
	u, err := url.Parse(b.url)
	require.NoError(t, err)
	admin := testdb.Admin(t)
	_, err = admin.Exec(context.Background(), "DROP DATABASE "+pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()+" WITH (FORCE)")
	require.NoError(t, err)
	code, body = b.do(t, http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "database unreachable")
	code, _ = b.do(t, http.MethodGet, "/healthz", nil, nil)
	require.Equal(t, http.StatusOK, code)
}

// scrape fetches /metrics and parses it as Prometheus text.
func scrape(t *testing.T, b *bundle) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := b.do(t, http.MethodGet, "/metrics", nil, nil)
	require.Equal(t, http.StatusOK, code)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err, "metrics must parse as Prometheus text")
	return fams
}

// value sums the samples of a family whose labels include want.
func value(f *dto.MetricFamily, want map[string]string) (float64, bool) {
	if f == nil {
		return 0, false
	}
	sum, found := 0.0, false
metrics:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue metrics
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum, found
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBundle(t, nil)
	st := store.New(b.pool)
	ok := time.Now().Add(-90 * time.Second)
	require.NoError(t, st.SaveState(ctx, b.pool, &store.EntityState{Entity: "tickets", LastSuccessAt: &ok, LastPullAt: &ok, Rows: 42}))
	_, err := b.pool.Exec(ctx, `INSERT INTO halosync.endpoint_health (endpoint, breaker_state) VALUES ('GET /api/tickets', 'open')`)
	require.NoError(t, err)
	_, err = b.pool.Exec(ctx, `INSERT INTO halosync.outbox (entity, record_key, op, state, pushed_at) VALUES
		('tickets', '1', 'update', 'done', now()), ('tickets', '2', 'update', 'done', now()), ('tickets', '3', 'update', 'done', now()),
		('tickets', '4', 'update', 'parked', NULL)`)
	require.NoError(t, err)
	require.NoError(t, b.tel.ObserveDatabase(st, telemetry.DatabaseOptions{Entities: hsync.PullOrder}))

	b.tel.Metrics.RecordRun(&store.Run{Entity: "tickets", Mode: "incremental", Fetched: 120})
	b.tel.Metrics.RecordRequest(ctx, "/api/Tickets/17", 200)
	b.tel.Metrics.RecordRequest(ctx, "/api/Tickets", 429)

	fams := scrape(t, b)
	v, found := value(fams["halosync_records_pulled_total"], map[string]string{"entity": "tickets", "mode": "incremental"})
	require.True(t, found, "records pulled")
	require.Equal(t, 120.0, v)
	v, _ = value(fams["halosync_records_pushed_total"], map[string]string{"entity": "tickets"})
	require.Equal(t, 3.0, v)
	v, _ = value(fams["halosync_pushes"], map[string]string{"state": "parked"})
	require.Equal(t, 1.0, v)
	v, _ = value(fams["halosync_halo_requests_total"], map[string]string{"endpoint": "/api/Tickets/{id}", "status": "200"})
	require.Equal(t, 1.0, v)
	v, _ = value(fams["halosync_halo_rate_limited_total"], map[string]string{"endpoint": "/api/Tickets"})
	require.Equal(t, 1.0, v)
	v, found = value(fams["halosync_entity_lag_seconds"], map[string]string{"entity": "tickets"})
	require.True(t, found, "lag per entity")
	require.GreaterOrEqual(t, v, 90.0)
	v, _ = value(fams["halosync_entity_rows"], map[string]string{"entity": "tickets"})
	require.Equal(t, 42.0, v)
	v, found = value(fams["halosync_breaker_state"], map[string]string{"endpoint": "GET /api/tickets"})
	require.True(t, found, "breaker state")
	require.Equal(t, 2.0, v)
	require.Contains(t, fams, "go_goroutines", "runtime metrics too")
}

func signedBody(t *testing.T, id string, ticketID int64) ([]byte, map[string]string) {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"id":%q,"webhook_id":"w","event":"ticket updated","object_id":%d,"ticket":{"id":%d,"summary":"never trusted"}}`, id, ticketID, ticketID))
	return body, map[string]string{"Token": halofake.Sign(webhookSecret, body), "Content-Type": "application/json"}
}

func fetchJobs(t *testing.T, b *bundle) []*rivertype.JobRow {
	t.Helper()
	res, err := b.rc.JobList(context.Background(), river.NewJobListParams().Kinds(jobs.FetchTicketArgs{}.Kind()).First(100))
	require.NoError(t, err)
	return res.Jobs
}

func TestWebhookAuthAndLimits(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	body, hdr := signedBody(t, "9d3c5e4a-0000-4000-8000-000000000001", 42)

	code, _ := b.do(t, http.MethodPost, "/webhooks/halo", body, nil)
	require.Equal(t, http.StatusUnauthorized, code, "no auth")
	code, _ = b.do(t, http.MethodPost, "/webhooks/halo", body, map[string]string{"Token": halofake.Sign("other-secret", body)})
	require.Equal(t, http.StatusUnauthorized, code, "signed with another secret")
	tampered := bytes.Replace(body, []byte(`42`), []byte(`43`), 1)
	code, _ = b.do(t, http.MethodPost, "/webhooks/halo", tampered, hdr)
	require.Equal(t, http.StatusUnauthorized, code, "body changed after signing")
	code, _ = b.do(t, http.MethodPost, "/webhooks/halo", body, nil, hookUser, "wrong")
	require.Equal(t, http.StatusUnauthorized, code, "bad basic auth")
	code, _ = b.do(t, http.MethodPost, "/webhooks/halo", body, nil, "intruder", hookPassword)
	require.Equal(t, http.StatusUnauthorized, code, "bad basic auth user")
	code, _ = b.do(t, http.MethodPost, "/webhooks/halo", body, nil, adminUser, adminPassword)
	require.Equal(t, http.StatusUnauthorized, code, "the River UI's admin credentials are not the webhook's")
	require.Empty(t, fetchJobs(t, b), "nothing enqueued by refused deliveries")

	big := append([]byte(`{"id":"x","pad":"`), bytes.Repeat([]byte("a"), server.DefaultMaxWebhookBody)...)
	big = append(big, `"}`...)
	code, _ = b.do(t, http.MethodPost, "/webhooks/halo", big, map[string]string{"Token": halofake.Sign(webhookSecret, big)})
	require.Equal(t, http.StatusRequestEntityTooLarge, code)

	noID := []byte(`{"event":"ticket updated","object_id":5}`)
	code, _ = b.do(t, http.MethodPost, "/webhooks/halo", noID, map[string]string{"Token": halofake.Sign(webhookSecret, noID)})
	require.Equal(t, http.StatusBadRequest, code)

	// Basic auth with the webhook's own credentials is the alternative to the HMAC header.
	basicBody, _ := signedBody(t, "9d3c5e4a-0000-4000-8000-000000000002", 7)
	code, reply := b.do(t, http.MethodPost, "/webhooks/halo", basicBody, nil, hookUser, hookPassword)
	require.Equal(t, http.StatusAccepted, code, reply)

	// A valid delivery is accepted once; Halo's manual re-send of it is a duplicate.
	code, reply = b.do(t, http.MethodPost, "/webhooks/halo", body, hdr)
	require.Equal(t, http.StatusAccepted, code, reply)
	require.Contains(t, reply, `"status":"accepted"`)
	code, reply = b.do(t, http.MethodPost, "/webhooks/halo", body, hdr)
	require.Equal(t, http.StatusOK, code, reply)
	require.Contains(t, reply, `"status":"duplicate"`)

	js := fetchJobs(t, b)
	require.Len(t, js, 2, "one fetch per distinct delivery")
	var ids []int64
	for _, j := range js {
		var a jobs.FetchTicketArgs
		require.NoError(t, json.Unmarshal(j.EncodedArgs, &a))
		ids = append(ids, a.TicketID)
	}
	require.ElementsMatch(t, []int64{7, 42}, ids)

	// Events about something else are recorded and acknowledged, not fetched.
	other := []byte(`{"id":"9d3c5e4a-0000-4000-8000-000000000003","event":"client updated","object_id":12}`)
	code, reply = b.do(t, http.MethodPost, "/webhooks/halo", other, map[string]string{"Token": halofake.Sign(webhookSecret, other)})
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, reply, `"status":"ignored"`)
	require.Len(t, fetchJobs(t, b), 2)

	fams := scrape(t, b)
	v, _ := value(fams["halosync_webhooks_total"], map[string]string{"result": "unauthorized"})
	require.Equal(t, 6.0, v)
	v, _ = value(fams["halosync_webhooks_total"], map[string]string{"result": "duplicate"})
	require.Equal(t, 1.0, v)
}

// TestWebhookReachesMirror runs the worker's pieces together: the fake Halo delivers signed webhooks to
// the server, which enqueues a fetch; a working River client (with otelriver) re-reads the ticket from
// Halo (through the instrumented HTTP client) into the mirror.
func TestWebhookReachesMirror(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var handler atomic.Pointer[http.Handler]
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*handler.Load()).ServeHTTP(w, r) }))
	t.Cleanup(front.Close)

	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 3, WebhookURL: front.URL + "/webhooks/halo", WebhookSecret: webhookSecret})
	fake.Generate(halofake.Size{Clients: 3, Sites: 6, Users: 10, Agents: 3, Tickets: 20, ActionsPerTicket: 2, Assets: 2, Contracts: 1})
	base := fake.Start()
	t.Cleanup(fake.Close)

	tel, err := telemetry.New(ctx, telemetry.Options{Version: "test"})
	require.NoError(t, err)
	spans := tracetest.NewSpanRecorder()
	tel.TracerProvider.RegisterSpanProcessor(spans)
	dbURL, _ := testdb.NewURL(t)
	pcfg, err := pgxpool.ParseConfig(dbURL)
	require.NoError(t, err)
	pcfg.ConnConfig.Tracer = tel.PgxTracer()
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	hc, err := halo.New(halo.Config{BaseURL: base, ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret,
		HTTPClient: tel.HTTPClient(&http.Client{Timeout: 30 * time.Second})})
	require.NoError(t, err)
	st := store.New(pool)
	puller := &hsync.Puller{Halo: hc, Store: st, OnRun: tel.Metrics.RecordRun}
	_, err = puller.Pull(ctx, entity.Tickets.Name, false)
	require.NoError(t, err)

	rc, err := jobs.NewClient(jobs.Config{Pool: pool, Puller: puller, Periodic: true, Workers: 1,
		Schedule:   jobs.Schedule{Tickets: time.Hour, Customers: time.Hour, Lookups: time.Hour},
		Middleware: []rivertype.Middleware{tel.RiverMiddleware()}})
	require.NoError(t, err)
	require.NoError(t, rc.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rc.Stop(sctx)
	})
	srvCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	srv, err := server.New(srvCtx, server.Config{Pool: pool, River: rc, Telemetry: tel, Addr: "127.0.0.1:0", WebhookSecret: webhookSecret})
	require.NoError(t, err)
	h := srv.Handler()
	handler.Store(&h)

	id := int64(fake.Records("tickets")[0]["id"].(float64))
	fake.Update("tickets", id, map[string]any{"summary": "edited in Halo, delivered by webhook"})
	fake.WaitDeliveries()
	ds := fake.Deliveries()
	require.Len(t, ds, 1)
	require.Equal(t, http.StatusAccepted, ds[0].Status)

	deadline := time.Now().Add(30 * time.Second)
	for {
		var summary string
		require.NoError(t, pool.QueryRow(ctx, `SELECT summary FROM halo.tickets WHERE id = $1`, id).Scan(&summary))
		if summary == "edited in Halo, delivered by webhook" {
			break
		}
		require.True(t, time.Now().Before(deadline), "the webhook's change did not reach the mirror")
		time.Sleep(50 * time.Millisecond)
	}

	// Halo's re-send of the same delivery is answered but enqueues nothing.
	require.NoError(t, fake.Resend(ds[0].ID))
	require.Equal(t, http.StatusOK, fake.Deliveries()[0].Status)
	res, err := rc.JobList(ctx, river.NewJobListParams().Kinds(jobs.FetchTicketArgs{}.Kind()))
	require.NoError(t, err)
	require.Len(t, res.Jobs, 1)

	// Wait for the job to be finalized, then the metrics carry River's job metrics and the fetch.
	for {
		j, err := rc.JobGet(ctx, res.Jobs[0].ID)
		require.NoError(t, err)
		if j.State == rivertype.JobStateCompleted {
			break
		}
		require.True(t, time.Now().Before(deadline), "fetch job not completed: %s", j.State)
		time.Sleep(50 * time.Millisecond)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	fams := scrape(t, &bundle{ts: ts})
	v, _ := value(fams["halosync_records_pulled_total"], map[string]string{"entity": "tickets", "mode": "webhook"})
	require.GreaterOrEqual(t, v, 1.0)
	v, _ = value(fams["halosync_halo_requests_total"], map[string]string{"endpoint": "/api/Tickets/{id}", "status": "200"})
	require.Equal(t, 1.0, v)
	var riverMetrics bool
	for name := range fams {
		if strings.HasPrefix(name, "river_work") {
			riverMetrics = true
		}
	}
	require.True(t, riverMetrics, "otelriver's job metrics (durations) are exported")

	// One trace follows the job from River through the Halo HTTP call to the database.
	var work sdktrace.ReadOnlySpan
	for work == nil {
		for _, s := range spans.Ended() {
			if s.Name() == "river.work/halosync_fetch_ticket" {
				work = s
			}
		}
		require.True(t, work != nil || time.Now().Before(deadline), "no river.work span")
		time.Sleep(20 * time.Millisecond)
	}
	var haloCall, dbCall bool
	for _, s := range spans.Ended() {
		if s.SpanContext().TraceID() != work.SpanContext().TraceID() {
			continue
		}
		switch {
		case s.Name() == "halo GET /api/Tickets/{id}":
			haloCall = true
		case strings.Contains(s.InstrumentationScope().Name, "otelpgx"):
			dbCall = true
		}
	}
	require.True(t, haloCall, "Halo request span in the job's trace")
	require.True(t, dbCall, "database span in the job's trace")
}
