package main

import (
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/telemetry"
)

// appOption adjusts what newApp builds, before it is built.
type appOption struct {
	halo func(*Config, *halo.Config)
	pool func(*pgxpool.Config)
	app  func(*app)
}

func applyHalo(opts []appOption, cfg *Config, c *halo.Config) {
	for _, o := range opts {
		if o.halo != nil {
			o.halo(cfg, c)
		}
	}
}

func applyPool(opts []appOption, c *pgxpool.Config) {
	for _, o := range opts {
		if o.pool != nil {
			o.pool(c)
		}
	}
}

func applyApp(opts []appOption, a *app) {
	for _, o := range opts {
		if o.app != nil {
			o.app(a)
		}
	}
}

// withTelemetry instruments the app: otelhttp (and halosync's request counts) on the Halo client's
// transport, otelpgx as the pool's tracer.
func withTelemetry(tel *telemetry.Telemetry) appOption {
	return appOption{
		halo: func(cfg *Config, c *halo.Config) {
			base := c.HTTPClient
			if base == nil {
				base = &http.Client{Timeout: cfg.HaloTimeout}
			}
			c.HTTPClient = tel.HTTPClient(base)
		},
		pool: func(c *pgxpool.Config) { c.ConnConfig.Tracer = tel.PgxTracer() },
		app:  func(a *app) { a.tel = tel },
	}
}
