package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/spf13/cobra"

	"github.com/halosync/halosync/internal/server"
	"github.com/halosync/halosync/internal/telemetry"
	"github.com/halosync/halosync/jobs"
)

func newWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run the sync worker: River jobs on a periodic schedule, plus webhooks, metrics, health, the status page and the River UI",
		Long: "Run the sync worker until SIGTERM or Ctrl-C. At start it pulls at once every entity whose last\n" +
			"pull is older than its interval; then River's periodic jobs keep each entity fresh. Several\n" +
			"replicas can run against one database. On SIGTERM it stops taking jobs, lets running ones\n" +
			"finish (up to 30 s, then cancels them; they resume on the next run) and exits 0.\n\n" +
			"HTTP on HALOSYNC_HTTP_ADDR: GET /healthz, GET /readyz, GET /metrics (Prometheus),\n" +
			"POST /webhooks/halo (HMAC Token header with HALO_WEBHOOK_SECRET, or basic auth\n" +
			"HALOSYNC_WEBHOOK_USER / HALOSYNC_WEBHOOK_PASSWORD), the status page at /status and the River UI at\n" +
			"/riverui/ (both: basic auth HALOSYNC_ADMIN_USER / HALOSYNC_ADMIN_PASSWORD; without a password served\n" +
			"only on a loopback address; they answer only to known Host names, and the River UI refuses\n" +
			"cross-origin requests). OTLP export of traces and metrics when OTEL_EXPORTER_OTLP_ENDPOINT is set.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			tel, err := telemetry.New(ctx, telemetry.Options{Version: version, OTLPEndpoint: telemetry.OTLPEndpointFromEnv(), Global: true})
			if err != nil {
				return err
			}
			defer func() {
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = tel.Shutdown(sctx)
			}()
			a, err := newApp(ctx, true, withTelemetry(tel))
			if err != nil {
				return err
			}
			defer a.close()
			if err := a.migrate(ctx); err != nil {
				return err
			}
			return runWorker(ctx, a)
		},
	}
}

func runWorker(ctx context.Context, a *app) error {
	puller := a.puller()
	// The worker spreads the actions sweep over its pulls; `sync --once`
	// reads all of it (ActionSweep 0).
	limit, window, _ := ParseRate(a.cfg.HaloRateLimit)
	puller.ActionSweep = jobs.ActionSweepPerPull(limit, window, a.cfg.IntervalTickets)
	var mw []rivertype.Middleware
	if a.tel != nil {
		puller.OnRun = a.tel.Metrics.RecordRun
		mw = append(mw, a.tel.RiverMiddleware())
		if err := a.tel.ObserveDatabase(a.store, telemetry.DatabaseOptions{Entities: statusEntities(), Interval: a.cfg.schedule().Interval}); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		if ep := telemetry.OTLPEndpointFromEnv(); ep != "" {
			a.log.Info("exporting traces and metrics by OTLP", "endpoint", ep)
		}
	}
	rc, err := jobs.NewClient(jobs.Config{
		Pool: a.pool, Puller: puller, Pusher: a.pusher(), Schedule: a.cfg.schedule(), Logger: a.log,
		Workers: a.cfg.Workers, Periodic: true, Middleware: mw, Retention: a.cfg.retention(),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HALOSYNC_HTTP_ADDR %s: %w", a.cfg.HTTPAddr, err)
	}
	// The HTTP server (and the River UI's background queries) outlive ctx until the jobs have drained.
	srvCtx, stopSrv := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSrv()
	srv, err := server.New(srvCtx, server.Config{
		Pool: a.pool, River: rc, Log: a.log, Telemetry: a.tel, Addr: a.cfg.HTTPAddr,
		PublicHosts: a.cfg.publicHosts(), AdminUser: a.cfg.AdminUser, AdminPassword: a.cfg.AdminPassword,
		WebhookUser: a.cfg.WebhookUser, WebhookPassword: a.cfg.WebhookPassword, WebhookSecret: a.cfg.HaloWebhookSecret,
		Status: server.StatusConfig{Entities: statusEntities(), Interval: a.cfg.schedule().Interval,
			JobTag: jobs.EntityTag, JobKinds: []string{jobs.PullArgs{}.Kind(), jobs.FetchTicketArgs{}.Kind()}},
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	go func() {
		if err := srv.Serve(ln); err != nil {
			a.log.Error("http server", "err", err)
		}
	}()

	if err := rc.Start(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	go func() { _ = jobs.ListenPush(ctx, a.pool, rc) }() // local edits → push jobs at once (NOTIFY halosync_push)
	stale, err := jobs.EnqueueStale(ctx, rc, a.store, a.cfg.schedule())
	if err != nil {
		a.log.Error("enqueue stale entities", "err", err)
	}
	a.log.Info("worker started", "http", ln.Addr().String(), "catching_up", stale)
	srv.LogStartup(ln.Addr().String())

	<-ctx.Done()
	a.log.Info("shutting down: draining running jobs")
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rc.Stop(stopCtx); err != nil {
		a.log.Warn("jobs did not finish in time; cancelling them (they resume on the next run)", "err", err)
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = rc.StopAndCancel(cctx)
		ccancel()
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	stopSrv()
	a.log.Info("worker stopped")
	return nil
}
