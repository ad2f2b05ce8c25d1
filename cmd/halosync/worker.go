package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/migrations"
)

func newWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run the sync worker: River jobs on a periodic schedule, plus webhooks, metrics, health and the River UI",
		Long: "Run the sync worker until SIGTERM or Ctrl-C. At start it pulls at once every entity whose last\n" +
			"pull is older than its interval; then River's periodic jobs keep each entity fresh. Several\n" +
			"replicas can run against one database. On SIGTERM it stops taking jobs, lets running ones\n" +
			"finish (up to 30 s, then cancels them; they resume on the next run) and exits 0.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := newApp(ctx, true)
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
	rc, err := jobs.NewClient(jobs.Config{
		Pool: a.pool, Puller: a.puller(), Schedule: a.cfg.schedule(), Logger: a.log,
		Workers: a.cfg.Workers, Periodic: true,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HALOSYNC_HTTP_ADDR %s: %w", a.cfg.HTTPAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ok, err := migrations.Current(r.Context(), a.pool)
		if err != nil || !ok {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", "err", err)
		}
	}()

	if err := rc.Start(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	stale, err := jobs.EnqueueStale(ctx, rc, a.store, a.cfg.schedule())
	if err != nil {
		a.log.Error("enqueue stale entities", "err", err)
	}
	a.log.Info("worker started", "http", ln.Addr().String(), "catching_up", stale)

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
	a.log.Info("worker stopped")
	return nil
}
