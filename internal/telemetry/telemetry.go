// Package telemetry wires halosync's observability from the ecosystem's libraries: an OpenTelemetry
// MeterProvider read by the Prometheus exporter (served as text by promhttp on /metrics) and, when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, pushed by OTLP/HTTP together with traces; otelriver on the River
// client, otelhttp on the Halo client and the HTTP server, otelpgx as the pgx tracer. halosync's own
// metrics (records pulled and pushed, Halo requests by endpoint and status, 429s, breaker state, lag per
// entity) go through the OTel API in metrics.go.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/exaring/otelpgx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Options configure New.
type Options struct {
	ServiceName string // default "halosync"
	Version     string
	// OTLPEndpoint turns on OTLP/HTTP export of traces and metrics. The exporters read the rest of their
	// settings (headers, TLS, per-signal endpoints) from the standard OTEL_EXPORTER_OTLP_* variables.
	OTLPEndpoint string
	// Global makes the providers OpenTelemetry's globals (the worker does; tests do not, so they can run
	// side by side).
	Global bool
}

// Telemetry owns the providers and the Prometheus registry of one process.
type Telemetry struct {
	MeterProvider  *sdkmetric.MeterProvider
	TracerProvider *sdktrace.TracerProvider
	Metrics        *Metrics
	registry       *prometheus.Registry
	shutdown       []func(context.Context) error
}

// New builds the providers. Call Shutdown at exit to flush OTLP exports.
func New(ctx context.Context, opts Options) (*Telemetry, error) {
	if opts.ServiceName == "" {
		opts.ServiceName = "halosync"
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", opts.ServiceName), attribute.String("service.version", opts.Version)))
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}

	t := &Telemetry{registry: prometheus.NewRegistry()}
	t.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	promExp, err := otelprom.New(otelprom.WithRegisterer(t.registry), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promExp)}
	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if opts.OTLPEndpoint != "" {
		mexp, err := otlpmetrichttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTLP metric exporter: %w", err)
		}
		mopts = append(mopts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp)))
		texp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTLP trace exporter: %w", err)
		}
		topts = append(topts, sdktrace.WithBatcher(texp))
	}
	t.MeterProvider = sdkmetric.NewMeterProvider(mopts...)
	t.TracerProvider = sdktrace.NewTracerProvider(topts...)
	t.shutdown = append(t.shutdown, t.TracerProvider.Shutdown, t.MeterProvider.Shutdown)
	if opts.Global {
		otel.SetMeterProvider(t.MeterProvider)
		otel.SetTracerProvider(t.TracerProvider)
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	}
	if t.Metrics, err = newMetrics(t.MeterProvider.Meter(instrumentationName)); err != nil {
		return nil, err
	}
	return t, nil
}

// OTLPEndpointFromEnv returns OTEL_EXPORTER_OTLP_ENDPOINT (or its traces-specific variant).
func OTLPEndpointFromEnv() string {
	if v := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); v != "" {
		return v
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
}

// Shutdown flushes and stops the providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, f := range t.shutdown {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}

// Handler serves the Prometheus text exposition of every metric (GET /metrics).
func (t *Telemetry) Handler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{Registry: t.registry})
}

// Meter returns a meter of halosync's own.
func (t *Telemetry) Meter() metric.Meter { return t.MeterProvider.Meter(instrumentationName) }

// Tracer returns a tracer of halosync's own.
func (t *Telemetry) Tracer() trace.Tracer { return t.TracerProvider.Tracer(instrumentationName) }

// RiverMiddleware is otelriver's middleware: a span per job worked (linked to the span that enqueued it)
// and River's metrics, job durations included.
func (t *Telemetry) RiverMiddleware() rivertype.Middleware {
	return otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
		MeterProvider: t.MeterProvider, TracerProvider: t.TracerProvider,
		EnableTracePropagation: true, EnableWorkSpanJobKindSuffix: true,
	})
}

// PgxTracer is otelpgx's tracer for a pgx pool config (ConnConfig.Tracer).
func (t *Telemetry) PgxTracer() *otelpgx.Tracer {
	return otelpgx.NewTracer(otelpgx.WithTracerProvider(t.TracerProvider), otelpgx.WithMeterProvider(t.MeterProvider),
		otelpgx.WithTrimSQLInSpanName())
}

// HTTPClient returns the Halo client's HTTP client: otelhttp spans and metrics around every request,
// plus halosync's count of requests by endpoint and status.
func (t *Telemetry) HTTPClient(base *http.Client) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	inner := c.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	c.Transport = otelhttp.NewTransport(&countingTransport{base: inner, m: t.Metrics},
		otelhttp.WithTracerProvider(t.TracerProvider), otelhttp.WithMeterProvider(t.MeterProvider),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return "halo " + r.Method + " " + Endpoint(r.URL.Path)
		}))
	return c
}

// ServerHandler wraps the worker's HTTP handler with otelhttp. addr, the listen address, is the server's
// name: otherwise otelhttp takes server.address and server.port from each request's Host header, and
// anyone could grow /metrics by a series per Host they send. The other labels are bounded (method,
// pattern, status, protocol version).
func (t *Telemetry) ServerHandler(h http.Handler, addr string) http.Handler {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" || port == "0" {
		addr = "halosync:0" // a fixed name; a port otelhttp would otherwise read from Host
	}
	return otelhttp.NewHandler(h, "halosync", otelhttp.WithServerName(addr),
		otelhttp.WithTracerProvider(t.TracerProvider), otelhttp.WithMeterProvider(t.MeterProvider),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if r.Pattern != "" {
				return r.Pattern
			}
			return r.Method
		}),
		otelhttp.WithFilter(func(r *http.Request) bool {
			// Probes and scrapes every few seconds are noise in traces.
			return r.URL.Path != "/healthz" && r.URL.Path != "/readyz" && r.URL.Path != "/metrics"
		}))
}
