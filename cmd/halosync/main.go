// Command halosync keeps HaloPSA data in Postgres, in both directions.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/telemetry"
	"github.com/halosync/halosync/migrations"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// defaultMemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT is
// unset. A worker runs for months next to other services; with Go's default
// pacing alone its heap may double between collections while a large pull
// streams pages through it. The limit makes the collector run earlier, not
// the process fail.
const defaultMemoryLimit = 160 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "halosync:", oneLine(err.Error()))
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "halosync",
		Short: "Keep HaloPSA data in your own Postgres, in both directions",
		Long: "halosync mirrors HaloPSA (HaloITSM, HaloServiceDesk) into Postgres with River jobs and pushes\n" +
			"local edits back. All settings come from the environment: see `halosync config`.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.AddCommand(newMigrateCmd(), newSyncCmd(), newWorkerCmd(), newConfigCmd(), newFakeHaloCmd())
	root.AddCommand(newStatusCmd(), newJobsCmd(), newConflictsCmd(), newRejectsCmd(), newPushesCmd(), newCheckCmd())
	return root
}

// app holds what most commands share, built from the configuration.
type app struct {
	cfg   *Config
	log   *slog.Logger
	pool  *pgxpool.Pool
	store *store.Store
	halo  *halo.Client
	tel   *telemetry.Telemetry // worker only; nil for the other commands
}

// newApp loads the configuration and opens what the command needs.
func newApp(ctx context.Context, needHalo bool, opts ...appOption) (*app, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, err
	}
	if err := cfg.requireDB(); err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: newLogger(cfg, os.Stderr)}
	a.store = store.New(nil) // its pool is opened below; the Halo guard shares it
	if needHalo {
		hc, err := cfg.haloConfig()
		if err != nil {
			return nil, err
		}
		// Circuit breakers and the rate budget shared through Postgres,
		// plus bounded in-process retries of idempotent requests.
		hc.Limiter, hc.Retry = newGuard(cfg, a.store, a.log), halo.DefaultRetry
		applyHalo(opts, cfg, &hc)
		if a.halo, err = halo.New(hc); err != nil {
			return nil, fmt.Errorf("halo client: %w", err)
		}
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: not a valid Postgres URL or DSN: %w", redactError(err, cfg.DatabaseURL))
	}
	store.ConfigurePool(pcfg, cfg.Workers)
	applyPool(opts, pcfg)
	if a.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, fmt.Errorf("DATABASE_URL %s: %w", redactURL(cfg.DatabaseURL), redactError(err, cfg.DatabaseURL))
	}
	if err := a.pool.Ping(ctx); err != nil {
		a.pool.Close()
		return nil, fmt.Errorf("DATABASE_URL %s: %w", redactURL(cfg.DatabaseURL), redactError(err, cfg.DatabaseURL))
	}
	a.store.Pool = a.pool
	applyApp(opts, a)
	return a, nil
}

func (a *app) close() {
	if a.pool != nil {
		a.pool.Close()
	}
}

// migrate applies migrations when the configuration asks for it.
func (a *app) migrate(ctx context.Context) error {
	if !a.cfg.AutoMigrate {
		ok, err := migrations.Current(ctx, a.pool)
		if err != nil {
			return fmt.Errorf("check migrations: %w", err)
		}
		if !ok {
			return errors.New("the database schema is not current: run `halosync migrate` (or set HALOSYNC_AUTO_MIGRATE=true)")
		}
		return nil
	}
	if err := migrations.Up(ctx, a.pool); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func (a *app) puller() *hsync.Puller {
	return &hsync.Puller{Halo: a.halo, Store: a.store, Log: a.log, Overlap: a.cfg.Overlap, MassDeleteShare: a.cfg.MassDeleteShare, History: a.cfg.TimeHistory}
}

// newLogger builds the structured logger: text on a terminal, JSON otherwise.
func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func newMigrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations (halo and halosync schemas, River's tables)",
		Long: "Apply the database migrations. Idempotent, and safe when several replicas start at once:\n" +
			"a Postgres lock lets one apply them while the others wait.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := newApp(ctx, false)
			if err != nil {
				return err
			}
			defer a.close()
			if err := migrations.Up(ctx, a.pool); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "migrations applied; the database is current")
			return nil
		},
	}
}

// oneLine folds an error's text onto one line: the CLI promises one line on stderr, and some causes
// (pgx lists every address it tried, each on a line of its own) span several.
func oneLine(msg string) string {
	return strings.Join(strings.Fields(msg), " ")
}
