package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/halosync/halosync/store"
)

const instrumentationName = "github.com/halosync/halosync"

// Metrics are halosync's own instruments. Their Prometheus names (OTel's dots become underscores,
// counters get _total):
//
//	halosync_records_pulled_total{entity,mode}     records read from Halo by pulls and fetches
//	halosync_records_pushed_total{entity}          local edits written to Halo (from halosync.outbox: the
//	                                               whole deployment's total, the same on every replica)
//	halosync_halo_requests_total{endpoint,status}  HTTP requests to Halo (status "error": no response)
//	halosync_halo_rate_limited_total{endpoint}     429 answers from Halo
//	halosync_webhooks_total{result}                webhook deliveries: accepted, duplicate, ignored, unauthorized, invalid
//	halosync_entity_lag_seconds{entity}            time since the entity's last successful pull
//	halosync_entity_rows{entity}                   live rows in the mirror
//	halosync_breaker_state{endpoint}               0 closed, 1 half-open, 2 open (from halosync.endpoint_health)
//	halosync_pushes{state}                         outbox rows by state (from halosync.outbox)
//
// ObserveDatabase (observe.go) adds the gauges read from the database: these last four and those alerts
// and dashboards need (last successful pull and pull interval per entity, rejects, open conflicts, rate
// budget use, River jobs by state).
type Metrics struct {
	pulled      metric.Int64Counter
	requests    metric.Int64Counter
	rateLimited metric.Int64Counter
	webhooks    metric.Int64Counter
	meter       metric.Meter
}

func newMetrics(m metric.Meter) (*Metrics, error) {
	var err error
	x := &Metrics{meter: m}
	must := func(c metric.Int64Counter, e error) metric.Int64Counter {
		if e != nil && err == nil {
			err = e
		}
		return c
	}
	x.pulled = must(m.Int64Counter("halosync.records.pulled", metric.WithDescription("Records read from Halo by pulls and targeted fetches"), metric.WithUnit("{record}")))
	x.requests = must(m.Int64Counter("halosync.halo.requests", metric.WithDescription("HTTP requests to Halo by endpoint and status"), metric.WithUnit("{request}")))
	x.rateLimited = must(m.Int64Counter("halosync.halo.rate_limited", metric.WithDescription("HTTP 429 answers from Halo"), metric.WithUnit("{request}")))
	x.webhooks = must(m.Int64Counter("halosync.webhooks", metric.WithDescription("Webhook deliveries received, by result"), metric.WithUnit("{delivery}")))
	if err != nil {
		return nil, fmt.Errorf("telemetry instruments: %w", err)
	}
	return x, nil
}

// RecordRun counts the records a finished pull or fetch read (sync.Puller.OnRun).
func (m *Metrics) RecordRun(r *store.Run) {
	if m == nil || r == nil {
		return
	}
	m.pulled.Add(context.Background(), r.Fetched, metric.WithAttributes(attribute.String("entity", r.Entity), attribute.String("mode", r.Mode)))
}

// RecordWebhook counts one webhook delivery by its result.
func (m *Metrics) RecordWebhook(ctx context.Context, result string) {
	if m == nil {
		return
	}
	m.webhooks.Add(ctx, 1, metric.WithAttributes(attribute.String("result", result)))
}

// RecordRequest counts one Halo request; status 0 means no response arrived.
func (m *Metrics) RecordRequest(ctx context.Context, path string, status int) {
	if m == nil {
		return
	}
	ep := Endpoint(path)
	s := "error"
	if status > 0 {
		s = strconv.Itoa(status)
	}
	m.requests.Add(ctx, 1, metric.WithAttributes(attribute.String("endpoint", ep), attribute.String("status", s)))
	if status == http.StatusTooManyRequests {
		m.rateLimited.Add(ctx, 1, metric.WithAttributes(attribute.String("endpoint", ep)))
	}
}

var numericSegment = regexp.MustCompile(`/\d+(/|$)`)

// Endpoint turns a request path into a low-cardinality label: ids become {id}
// ("/api/Tickets/42" → "/api/Tickets/{id}").
func Endpoint(path string) string {
	if path == "" {
		return "/"
	}
	for {
		p := numericSegment.ReplaceAllString(path, "/{id}$1")
		if p == path {
			return p
		}
		path = p
	}
}

// countingTransport counts requests for RecordRequest.
type countingTransport struct {
	base http.RoundTripper
	m    *Metrics
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	t.m.RecordRequest(r.Context(), r.URL.Path, status)
	return resp, err
}

// BreakerValue maps a breaker state name to the gauge value.
func BreakerValue(state string) int64 {
	switch strings.ReplaceAll(strings.ToLower(state), "_", "-") {
	case "open":
		return 2
	case "half-open", "halfopen":
		return 1
	}
	return 0
}
