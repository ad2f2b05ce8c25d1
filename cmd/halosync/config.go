package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/server"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// Config is every setting halosync reads, all from the environment. It is
// read here and only here; the packages below get typed values.
type Config struct {
	DatabaseURL string `envconfig:"DATABASE_URL" desc:"Postgres connection URL" example:"postgres://halosync@db:5432/halosync"`

	HaloResourceServer string        `envconfig:"HALO_RESOURCE_SERVER" desc:"Halo instance URL, any form the setup guides show" example:"acme.halopsa.com"`
	HaloAuthServer     string        `envconfig:"HALO_AUTH_SERVER" desc:"Authorisation server (default: instance + /auth)" example:"https://acme.halopsa.com/auth"`
	HaloTenant         string        `envconfig:"HALO_TENANT" desc:"Tenant name for Halo-hosted instances" example:"acme"`
	HaloOnPremise      bool          `envconfig:"HALO_ON_PREMISE" default:"false" desc:"On-premise Halo: send no tenant"`
	HaloClientID       string        `envconfig:"HALO_CLIENT_ID" desc:"API application client ID"`
	HaloClientSecret   string        `envconfig:"HALO_CLIENT_SECRET" secret:"true" desc:"API application client secret"`
	HaloScope          string        `envconfig:"HALO_SCOPE" default:"all" desc:"OAuth scope(s), space separated"`
	HaloAllowInsecure  bool          `envconfig:"HALO_ALLOW_INSECURE" default:"false" desc:"Allow plain http:// to a non-loopback Halo"`
	HaloRateLimit      string        `envconfig:"HALO_RATE_LIMIT" default:"300/5m" desc:"Request budget shared by all replicas, requests/window"`
	HaloTimeout        time.Duration `envconfig:"HALO_TIMEOUT" default:"60s" desc:"Timeout of one Halo HTTP request"`
	HaloWebhookSecret  string        `envconfig:"HALO_WEBHOOK_SECRET" secret:"true" desc:"HMAC secret of Halo's webhook Token header"`

	HTTPAddr        string `envconfig:"HALOSYNC_HTTP_ADDR" default:"127.0.0.1:8080" desc:"Worker HTTP address (webhooks, metrics, health, River UI)"`
	PublicHost      string `envconfig:"HALOSYNC_PUBLIC_HOST" desc:"Host names the River UI is also reached by (e.g. a reverse proxy's), comma separated; it always answers to HALOSYNC_HTTP_ADDR's host, localhost and IP addresses" example:"halosync.example.com"`
	AdminUser       string `envconfig:"HALOSYNC_ADMIN_USER" default:"admin" desc:"Basic-auth user of the River UI"`
	AdminPassword   string `envconfig:"HALOSYNC_ADMIN_PASSWORD" secret:"true" desc:"Basic-auth password of the River UI (unset: River UI only on loopback)"`
	WebhookUser     string `envconfig:"HALOSYNC_WEBHOOK_USER" default:"halo" desc:"Basic-auth user of POST /webhooks/halo"`
	WebhookPassword string `envconfig:"HALOSYNC_WEBHOOK_PASSWORD" secret:"true" desc:"Basic-auth password of POST /webhooks/halo (unset: only the HMAC Token header)"`
	LogLevel        string `envconfig:"HALOSYNC_LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	LogFormat       string `envconfig:"HALOSYNC_LOG_FORMAT" default:"auto" desc:"auto (text on a terminal, else JSON), text or json"`

	Workers           int           `envconfig:"HALOSYNC_WORKERS" default:"4" desc:"Pulls one worker process runs at once; also how many entities sync --once pulls at once"`
	IntervalTickets   time.Duration `envconfig:"HALOSYNC_INTERVAL_TICKETS" default:"1m" desc:"Incremental pull interval of tickets (with their actions and attachments)"`
	IntervalCustomers time.Duration `envconfig:"HALOSYNC_INTERVAL_CUSTOMERS" default:"15m" desc:"Pull interval of clients, sites, users, agents, assets, contracts, appointments, timesheets, timesheet_events, kb_articles"`
	IntervalLookups   time.Duration `envconfig:"HALOSYNC_INTERVAL_LOOKUPS" default:"1h" desc:"Pull interval of statuses, ticket_types, teams, priorities, categories, outcomes, slas, organisations, top_levels, custom_fields, items, suppliers, invoices and quotes (with their lines)"`
	FullInterval      time.Duration `envconfig:"HALOSYNC_FULL_INTERVAL" default:"24h" desc:"Full reconcile interval (deletions); 0 disables"`
	Overlap           time.Duration `envconfig:"HALOSYNC_OVERLAP" default:"5m" desc:"Re-read window before the cursor"`
	MassDeleteShare   float64       `envconfig:"HALOSYNC_MASS_DELETE_SHARE" default:"0.5" desc:"Largest share of a table one run may tombstone"`
	TimeHistory       time.Duration `envconfig:"HALOSYNC_TIME_HISTORY" default:"8760h" desc:"How far back time entries and timesheets are mirrored (Halo lists them only by date windows)"`
	AutoMigrate       bool          `envconfig:"HALOSYNC_AUTO_MIGRATE" default:"true" desc:"Apply migrations when worker or sync starts"`
	CreateMarker      string        `envconfig:"HALOSYNC_CREATE_MARKER" default:"third_party_id_string" desc:"Ticket field that carries a create's correlation value, or customfield:<id> (see halosync check)"`
	PushMaxAttempts   int           `envconfig:"HALOSYNC_PUSH_MAX_ATTEMPTS" default:"10" desc:"Failed attempts after which a push is parked with its last error"`

	RetainWebhooks  time.Duration `envconfig:"HALOSYNC_RETAIN_WEBHOOKS" default:"168h" desc:"Keep accepted webhook deliveries this long (de-duplication of re-sends); 0 keeps forever"`
	RetainRuns      time.Duration `envconfig:"HALOSYNC_RETAIN_RUNS" default:"2160h" desc:"Keep run ledger rows (halosync.runs) this long; 0 keeps forever"`
	RetainOutbox    time.Duration `envconfig:"HALOSYNC_RETAIN_OUTBOX" default:"720h" desc:"Keep finished (done) outbox rows this long; 0 keeps forever"`
	RetainConflicts time.Duration `envconfig:"HALOSYNC_RETAIN_CONFLICTS" default:"2160h" desc:"Keep acknowledged conflicts this long; 0 keeps forever"`

	// Read by the OpenTelemetry exporters themselves (with the other OTEL_EXPORTER_OTLP_* variables);
	// listed here so `halosync config` shows it.
	OTLPEndpoint string `envconfig:"OTEL_EXPORTER_OTLP_ENDPOINT" desc:"OTLP/HTTP endpoint for traces and metrics (unset: no OTLP export; GET /metrics is always served)" example:"http://otel-collector:4318"`
}

// loadConfig reads the environment. A malformed value fails with one line
// naming the variable and what is expected; secret values are never echoed.
func loadConfig() (*Config, error) {
	// An empty variable (HALO_TENANT= in an env file) means "not set", so its
	// default applies instead of a parse error on "".
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		key := t.Field(i).Tag.Get("envconfig")
		if v, ok := os.LookupEnv(key); ok && strings.TrimSpace(v) == "" {
			_ = os.Unsetenv(key)
		}
	}
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: expected %s, got %s", pe.KeyName, expectedKind(pe.TypeName), shown(pe.KeyName, pe.Value))
		}
		return nil, err
	}
	switch {
	case c.Workers < 1:
		return nil, fmt.Errorf("HALOSYNC_WORKERS: expected a positive number, got %d", c.Workers)
	case c.MassDeleteShare <= 0 || c.MassDeleteShare > 1:
		return nil, fmt.Errorf("HALOSYNC_MASS_DELETE_SHARE: expected a share between 0 and 1, got %v", c.MassDeleteShare)
	case c.HaloTimeout <= 0:
		return nil, fmt.Errorf("HALO_TIMEOUT: expected a positive duration such as 60s, got %v", c.HaloTimeout)
	case c.FullInterval < 0:
		// A negative interval would silently disable the reconcile, which only 0 is documented to do.
		return nil, fmt.Errorf("HALOSYNC_FULL_INTERVAL: expected a duration such as 24h (0 disables), got %v", c.FullInterval)
	case c.TimeHistory < 24*time.Hour:
		return nil, fmt.Errorf("HALOSYNC_TIME_HISTORY: expected a duration of at least a day such as 8760h, got %v", c.TimeHistory)
	case c.Overlap <= 0:
		// The puller replaces a zero or negative overlap by its default: refuse it rather than run
		// with a window the operator did not ask for.
		return nil, fmt.Errorf("HALOSYNC_OVERLAP: expected a positive duration such as 5m, got %v", c.Overlap)
	}
	for _, iv := range []struct {
		name string
		d    time.Duration
	}{{"HALOSYNC_INTERVAL_TICKETS", c.IntervalTickets}, {"HALOSYNC_INTERVAL_CUSTOMERS", c.IntervalCustomers}, {"HALOSYNC_INTERVAL_LOOKUPS", c.IntervalLookups}} {
		if iv.d < time.Second {
			return nil, fmt.Errorf("%s: expected a duration of at least 1s such as 1m, got %v", iv.name, iv.d)
		}
	}
	for _, r := range []struct {
		name string
		d    time.Duration
	}{{"HALOSYNC_RETAIN_WEBHOOKS", c.RetainWebhooks}, {"HALOSYNC_RETAIN_RUNS", c.RetainRuns}, {"HALOSYNC_RETAIN_OUTBOX", c.RetainOutbox}, {"HALOSYNC_RETAIN_CONFLICTS", c.RetainConflicts}} {
		if r.d < 0 {
			return nil, fmt.Errorf("%s: expected a duration such as 720h (0 keeps forever), got %v", r.name, r.d)
		}
	}
	if _, err := hsync.ParseCreateMarker(c.CreateMarker); err != nil {
		return nil, fmt.Errorf("HALOSYNC_CREATE_MARKER: %w", err)
	}
	if c.PushMaxAttempts < 1 {
		return nil, fmt.Errorf("HALOSYNC_PUSH_MAX_ATTEMPTS: expected a positive number, got %d", c.PushMaxAttempts)
	}
	if _, _, err := ParseRate(c.HaloRateLimit); err != nil {
		return nil, fmt.Errorf("HALO_RATE_LIMIT: %w", err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("HALOSYNC_LOG_LEVEL: expected debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		return nil, fmt.Errorf("HALOSYNC_LOG_FORMAT: expected auto, text or json, got %q", c.LogFormat)
	}
	for _, h := range c.publicHosts() {
		if err := server.ValidPublicHost(h); err != nil {
			return nil, fmt.Errorf("HALOSYNC_PUBLIC_HOST: %w", err)
		}
	}
	if err := c.checkPlaceholders(); err != nil {
		return nil, err
	}
	return &c, nil
}

func expectedKind(typeName string) string {
	switch typeName {
	case "bool":
		return "true or false"
	case "int", "int64":
		return "a whole number"
	case "float64":
		return "a number"
	case "Duration", "time.Duration":
		return "a duration such as 30s, 5m or 1h"
	}
	return "a " + typeName
}

func shown(key, value string) string {
	if isSecret(key) {
		return "(a value, hidden)"
	}
	return strconv.Quote(value)
}

// isSecret reports whether the variable holds a secret, from its struct tag.
func isSecret(key string) bool {
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("envconfig") == key {
			return t.Field(i).Tag.Get("secret") == "true"
		}
	}
	return false
}

// requireDB checks the database setting.
func (c *Config) requireDB() error {
	if c.DatabaseURL == "" {
		return errors.New("DATABASE_URL: required, not set (expected a Postgres URL such as postgres://user@host:5432/db)")
	}
	if _, err := url.Parse(c.DatabaseURL); err != nil && !strings.Contains(c.DatabaseURL, "=") {
		return errors.New("DATABASE_URL: expected a Postgres URL such as postgres://user@host:5432/db or a key=value DSN")
	}
	return nil
}

// haloConfig checks the Halo settings and returns the client's config.
func (c *Config) haloConfig() (halo.Config, error) {
	if c.HaloResourceServer == "" {
		return halo.Config{}, errors.New("HALO_RESOURCE_SERVER: required, not set (expected your Halo URL, e.g. acme.halopsa.com)")
	}
	base, err := halo.NormalizeBaseURL(c.HaloResourceServer, c.HaloAllowInsecure)
	if err != nil {
		return halo.Config{}, fmt.Errorf("HALO_RESOURCE_SERVER: %w", err)
	}
	auth := base + "/auth"
	if c.HaloAuthServer != "" {
		if auth, err = normalizeAuthURL(c.HaloAuthServer, c.HaloAllowInsecure); err != nil {
			return halo.Config{}, fmt.Errorf("HALO_AUTH_SERVER: %w", err)
		}
	}
	if c.HaloClientID == "" {
		return halo.Config{}, errors.New("HALO_CLIENT_ID: required, not set (the API application's client ID from Configuration > Integrations > HaloPSA API)")
	}
	if c.HaloClientSecret == "" {
		return halo.Config{}, errors.New("HALO_CLIENT_SECRET: required, not set (the API application's client secret)")
	}
	if strings.TrimSpace(c.HaloScope) == "" {
		return halo.Config{}, errors.New("HALO_SCOPE: must not be empty (a token without scope gets 401 on every call); use all")
	}
	tenant := c.HaloTenant
	if c.HaloOnPremise {
		tenant = ""
	}
	return halo.Config{
		BaseURL: base, AuthURL: auth, Tenant: tenant, OnPremise: c.HaloOnPremise,
		ClientID: c.HaloClientID, ClientSecret: c.HaloClientSecret, Scope: c.HaloScope,
		UserAgent: "halosync/" + version,
	}, nil
}

// normalizeAuthURL reads a pasted authorisation server: its scheme and host
// follow the resource server's rules, its path is kept (usually /auth, the
// default when none is given) and a trailing /token is dropped, since users
// paste the token URL too.
func normalizeAuthURL(raw string, allowInsecure bool) (string, error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("expected a URL such as https://acme.halopsa.com/auth, got %q", raw)
	}
	base, err := halo.NormalizeBaseURL(u.Scheme+"://"+u.Host, allowInsecure)
	if err != nil {
		return "", err
	}
	path := strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/token")
	if path == "" {
		path = "/auth"
	}
	return base + path, nil
}

// publicHosts splits HALOSYNC_PUBLIC_HOST.
func (c *Config) publicHosts() []string {
	var out []string
	for _, h := range strings.Split(c.PublicHost, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// schedule returns the pull schedule.
func (c *Config) schedule() jobs.Schedule {
	return jobs.Schedule{Tickets: c.IntervalTickets, Customers: c.IntervalCustomers, Lookups: c.IntervalLookups, Full: c.FullInterval}
}

// retention returns what the periodic prune keeps.
func (c *Config) retention() store.Retention {
	return store.Retention{Webhooks: c.RetainWebhooks, Runs: c.RetainRuns, Outbox: c.RetainOutbox, Conflicts: c.RetainConflicts}
}

// ParseRate reads a budget such as "300/5m" (requests per window).
func ParseRate(s string) (int, time.Duration, error) {
	n, w, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, 0, fmt.Errorf("expected requests/window such as 300/5m, got %q", s)
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 1 {
		return 0, 0, fmt.Errorf("expected a positive request count before the slash, got %q", s)
	}
	window, err := time.ParseDuration(w)
	if err != nil || window <= 0 {
		return 0, 0, fmt.Errorf("expected a window such as 5m after the slash, got %q", s)
	}
	return count, window, nil
}

// masked returns every variable with its effective value, secrets masked.
func (c *Config) masked() [][3]string {
	v := reflect.ValueOf(*c)
	t := v.Type()
	var out [][3]string
	for i := range t.NumField() {
		f := t.Field(i)
		key := f.Tag.Get("envconfig")
		val := fmt.Sprint(v.Field(i).Interface())
		switch {
		case f.Tag.Get("secret") == "true":
			if val != "" {
				val = "********"
			}
		case key == "DATABASE_URL":
			val = redactURL(val)
		}
		out = append(out, [3]string{key, val, f.Tag.Get("desc")})
	}
	return out
}
