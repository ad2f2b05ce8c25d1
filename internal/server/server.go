// Package server is the worker's HTTP server: the Halo webhook receiver, Prometheus metrics, health and
// readiness probes, and the River UI. It gets everything it needs from its Config (no globals), so tests
// build one on a test database and call it through httptest.
//
//	GET  /healthz        the process is alive (no auth)
//	GET  /readyz         the database answers and its schema is current (no auth)
//	GET  /metrics        Prometheus text exposition (no auth; bind HALOSYNC_HTTP_ADDR accordingly)
//	POST /webhooks/halo  Halo webhook deliveries: HMAC Token header or the webhook's own basic auth
//	     /riverui/       River UI: admin basic auth; without a password only on a loopback address;
//	                     cross-origin requests and unknown Host headers refused
//	GET  /status         status page (status.go): the River UI's protection (Host check, admin basic auth)
package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"riverqueue.com/riverui"

	"github.com/halosync/halosync/internal/telemetry"
	"github.com/halosync/halosync/migrations"
	"github.com/halosync/halosync/store"
)

// DefaultMaxWebhookBody is the largest webhook body accepted (413 beyond).
const DefaultMaxWebhookBody = 1 << 20

// DefaultMaxWebhookBatch is the most deliveries one batched POST may carry (413 beyond): each can cost
// a ticket fetch (two Halo requests) out of the shared budget.
const DefaultMaxWebhookBatch = 100

// DefaultMaxConcurrentWebhooks is how many webhook requests are served at once; more wait up to
// webhookSlotWait for a slot, then get 503.
const DefaultMaxConcurrentWebhooks = 16

// DefaultWriteTimeout bounds writing one answer (the River UI gets longer: riverUIWriteTimeout), so a
// client that does not read cannot hold a connection and its goroutine.
const DefaultWriteTimeout = 30 * time.Second

// Config is what the server needs.
type Config struct {
	Pool  *pgxpool.Pool
	River *river.Client[pgx.Tx] // River UI and webhook enqueueing; any client of the database (need not be started)
	Log   *slog.Logger
	// Telemetry serves /metrics and instruments the handler; nil serves no /metrics.
	Telemetry *telemetry.Telemetry
	// Addr is the listen address; it decides whether the River UI may be served without a password, and
	// its host is one the River UI answers to.
	Addr string
	// PublicHosts are further names the River UI answers to (HALOSYNC_PUBLIC_HOST), e.g. a reverse proxy's.
	PublicHosts []string
	// AdminUser and AdminPassword protect the River UI.
	AdminUser, AdminPassword string
	// WebhookUser and WebhookPassword are the webhook's basic auth (HALOSYNC_WEBHOOK_USER/_PASSWORD); no
	// basic auth without a password.
	WebhookUser, WebhookPassword string
	// WebhookSecret is HALO_WEBHOOK_SECRET: the key of the webhook's HMAC Token header.
	WebhookSecret string
	// MaxWebhookBody defaults to DefaultMaxWebhookBody.
	MaxWebhookBody int64
	// MaxWebhookBatch defaults to DefaultMaxWebhookBatch.
	MaxWebhookBatch int
	// MaxConcurrentWebhooks defaults to DefaultMaxConcurrentWebhooks.
	MaxConcurrentWebhooks int
	// ReadyTimeout bounds one readiness check (default 3 s).
	ReadyTimeout time.Duration
	// WriteTimeout defaults to DefaultWriteTimeout.
	WriteTimeout time.Duration
	// Status configures GET /status (status.go).
	Status StatusConfig
}

// Server is the worker's HTTP server.
type Server struct {
	cfg       Config
	store     *store.Store
	log       *slog.Logger
	handler   http.Handler
	riverUI   bool
	webhooks  bool
	http      *http.Server
	metrics   *telemetry.Metrics
	adminUser [32]byte
	adminPass [32]byte
	hookUser  [32]byte
	hookPass  [32]byte
	hookSlots chan struct{} // one token per webhook request being served
	refusals  *refusalLog
}

// New builds the server and starts the River UI's background services, which stop when ctx ends.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Pool == nil || cfg.River == nil {
		return nil, errors.New("server: Pool and River are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.MaxWebhookBody <= 0 {
		cfg.MaxWebhookBody = DefaultMaxWebhookBody
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 3 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.MaxWebhookBatch <= 0 {
		cfg.MaxWebhookBatch = DefaultMaxWebhookBatch
	}
	if cfg.MaxConcurrentWebhooks <= 0 {
		cfg.MaxConcurrentWebhooks = DefaultMaxConcurrentWebhooks
	}
	if cfg.AdminUser == "" {
		cfg.AdminUser = "admin"
	}
	if cfg.WebhookUser == "" {
		cfg.WebhookUser = "halo"
	}
	s := &Server{cfg: cfg, store: store.New(cfg.Pool), log: cfg.Log,
		adminUser: sha256.Sum256([]byte(cfg.AdminUser)), adminPass: sha256.Sum256([]byte(cfg.AdminPassword)),
		hookUser: sha256.Sum256([]byte(cfg.WebhookUser)), hookPass: sha256.Sum256([]byte(cfg.WebhookPassword)),
		hookSlots: make(chan struct{}, cfg.MaxConcurrentWebhooks), refusals: newRefusalLog(cfg.Log)}
	go s.refusals.run(ctx)
	if cfg.Telemetry != nil {
		s.metrics = cfg.Telemetry.Metrics
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Telemetry != nil {
		mux.Handle("GET /metrics", cfg.Telemetry.Handler())
	}
	mux.HandleFunc("POST /webhooks/halo", s.webhook)
	s.webhooks = cfg.WebhookSecret != "" || cfg.WebhookPassword != ""

	switch {
	case cfg.AdminPassword != "":
		s.riverUI = true
	case IsLoopback(cfg.Addr):
		s.riverUI = true
	}
	if s.riverUI {
		ui, err := riverui.NewHandler(&riverui.HandlerOpts{
			Endpoints: riverui.NewEndpoints(cfg.River, nil),
			Logger:    cfg.Log.With("component", "riverui"),
			Prefix:    "/riverui",
		})
		if err != nil {
			return nil, fmt.Errorf("river UI: %w", err)
		}
		if err := ui.Start(ctx); err != nil {
			return nil, fmt.Errorf("start river UI: %w", err)
		}
		s.mountRiverUI(mux, ui)
	} else {
		mux.HandleFunc("/riverui/", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "River UI not served: set HALOSYNC_ADMIN_PASSWORD (it is served without one only on a loopback HALOSYNC_HTTP_ADDR)", http.StatusNotFound)
		})
	}

	s.mountStatus(mux)

	s.handler = mux
	if cfg.Telemetry != nil {
		s.handler = cfg.Telemetry.ServerHandler(mux, cfg.Addr)
	}
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: cfg.WriteTimeout, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	return s, nil
}

// LogStartup says what is served and how it is protected.
func (s *Server) LogStartup(addr string) {
	base := "http://" + addr
	switch {
	case s.cfg.AdminPassword != "":
		s.log.Info("River UI served with basic auth", "url", base+"/riverui/", "user", s.cfg.AdminUser)
	case s.riverUI:
		s.log.Warn("River UI served WITHOUT authentication because HALOSYNC_HTTP_ADDR is a loopback address and HALOSYNC_ADMIN_PASSWORD is not set", "url", base+"/riverui/")
	default:
		s.log.Warn("River UI not served: HALOSYNC_ADMIN_PASSWORD is not set and HALOSYNC_HTTP_ADDR is not a loopback address", "addr", s.cfg.Addr)
	}
	if s.webhooks {
		auth := []string{}
		if s.cfg.WebhookSecret != "" {
			auth = append(auth, "HMAC Token header")
		}
		if s.cfg.WebhookPassword != "" {
			auth = append(auth, "basic auth as "+s.cfg.WebhookUser)
		}
		s.log.Info("webhook receiver ready", "url", base+"/webhooks/halo", "auth", strings.Join(auth, " or "),
			"max_batch", s.cfg.MaxWebhookBatch, "max_concurrent", s.cfg.MaxConcurrentWebhooks)
	} else {
		s.log.Warn("webhook receiver refuses every delivery: set HALO_WEBHOOK_SECRET (or HALOSYNC_WEBHOOK_PASSWORD for basic auth)")
	}
}

// RiverUIServed reports whether /riverui/ is mounted.
func (s *Server) RiverUIServed() bool { return s.riverUI }

// Handler is the server's root handler (for tests).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and waits for the running ones.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, "halosync worker\n\n  GET  /healthz\n  GET  /readyz\n  GET  /metrics\n  POST /webhooks/halo\n")
	if s.riverUI {
		fmt.Fprint(w, "       /riverui/\n  GET  /status\n")
	}
}

// readyz answers 200 when the database answers and its migrations (ours and River's) are current.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if err := s.cfg.Pool.Ping(ctx); err != nil {
		http.Error(w, "not ready: database unreachable", http.StatusServiceUnavailable)
		return
	}
	ok, err := migrations.Current(ctx, s.cfg.Pool)
	switch {
	case err != nil:
		http.Error(w, "not ready: cannot check migrations", http.StatusServiceUnavailable)
	case !ok:
		http.Error(w, "not ready: database schema not current (run halosync migrate)", http.StatusServiceUnavailable)
	default:
		_, _ = w.Write([]byte("ready\n"))
	}
}

// checkAdmin checks the River UI's basic-auth credentials.
func (s *Server) checkAdmin(r *http.Request) bool {
	return s.cfg.AdminPassword != "" && checkBasic(r, s.adminUser, s.adminPass)
}

// checkBasic compares basic-auth credentials with the hashes of the expected ones in constant time
// (hashing first, so neither length leaks).
func checkBasic(r *http.Request, user, pass [32]byte) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uh, ph := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	userOK := subtle.ConstantTimeCompare(uh[:], user[:])
	passOK := subtle.ConstantTimeCompare(ph[:], pass[:])
	return userOK&passOK == 1
}

func (s *Server) requireAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.checkAdmin(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="halosync", charset="UTF-8"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// IsLoopback reports whether a listen address binds only to loopback ("127.0.0.1:8080",
// "localhost:8080", "[::1]:8080"); ":8080" and "0.0.0.0:8080" are not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
