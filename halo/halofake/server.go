// Package halofake is an in-memory HaloPSA server over real HTTP for tests and demos.
//
// It follows /work/shared/halo-api.md §11 and serves the quirks of §10 and §12: the
// misspelt pageinate parameter, the silent 100-row page cap, Asset's fixed 50-row page,
// bare-array lookups, float ids, sentinel dates, .NET fractional seconds, short user list
// rows, per-ticket action ids, the rolling-window 429 without Retry-After, tokens without
// scope that fail every call, and signed webhooks. It never imports package halo: it emits
// raw JSON so that the client is tested against bytes, not against its own types.
package halofake

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Default demo credentials.
const (
	DefaultClientID     = "halosync-demo"
	DefaultClientSecret = "demo-secret"
)

// Options configure a fake tenant. The zero value is a valid, permissive tenant.
type Options struct {
	ClientID, ClientSecret string        // defaults DefaultClientID / DefaultClientSecret
	Tenant                 string        // accepted tenant name; any tenant is accepted when empty
	TokenTTL               time.Duration // token lifetime; default 1h (expires_in 3600)
	RateLimit              int           // requests per RateWindow; 0 = off
	RateWindow             time.Duration // rolling window; default 5m when RateLimit > 0
	BulkActions            bool          // GET /api/Actions without ticket_id: paged walk (true) or 400 (false)
	HonourLastUpdateFilter bool          // lastupdatefromdate/todate on Client/Site/Users/Asset (always on Tickets)
	FLastUpdateInPost      bool          // POST replies on tickets carry flastupdate instead of last_update
	// ActionLastUpdated makes actions carry last_updated, the time of their last write (swagger Actions
	// has it; the live captures lack it, so it is off by default): without it an action's edit can only
	// be dated by its ticket's last_update, which any write of the ticket or its other actions moves too.
	ActionLastUpdated bool
	// PublishedListRows makes list rows lack what Halo's published list
	// schemas lack (swagger Faults_List, Site_List, Device_List, Uname_List,
	// Users_List, RequestType_List, Actions): no deleted, team_id,
	// datecreated… on tickets, no slastupdate on sites, no dlastupdate or
	// last_modified on assets, no last_modified on agents, no who on actions,
	// no inactive on ticket types. GET by id still returns the full record.
	PublishedListRows bool
	// AppointmentNewIDOnUpdate: a POST updating an appointment answers with a new id and the old id is
	// gone, as a live Halo did (django-psa commit 221315d deletes the old local row).
	AppointmentNewIDOnUpdate bool
	// NoSalesModule: the API agent lacks the Sales module, so /api/Opportunities answers 403 with an
	// empty body (halo-api-more.md, HC).
	NoSalesModule bool
	// KBUnpagedHang: /api/KBArticle without page_no never answers (the live sweep's call timed out at
	// 15 s); the client's timeout ends the request. Off: it answers every article in one body.
	KBUnpagedHang bool
	// AttachmentsUnscoped: GET /api/Attachment without ticket_id lists every attachment. Off (the
	// default): an empty envelope, as tenants answered unscoped calls (halo-api-more.md).
	AttachmentsUnscoped bool
	WebhookURL          string // deliver webhooks on ticket changes when set
	WebhookSecret       string // sign deliveries: header Token = base64(HMAC-SHA256(secret, body))
	Seed                int64
	Now                 func() time.Time // server clock; default time.Now
}

// RequestLog is one request as the fake saw it.
type RequestLog struct {
	Method string
	Path   string // lowercased, without query, e.g. "/api/tickets"
	Query  url.Values
	Status int
}

// Server is the fake tenant. It implements http.Handler; all methods are goroutine-safe.
type Server struct {
	opts Options

	mu         sync.RWMutex // guards tables, size, cf, appVersion and files
	tables     map[string]*table
	size       Size
	cf         map[cfKey]any    // custom field values written through POST or the hooks
	appVersion string           // /InstanceInfo app_version
	files      map[int64][]byte // attachment bytes uploaded through POST (data_base64)

	attachMu        sync.Mutex      // guards attachPerTicket, which readers of the tables build
	attachPerTicket map[int64]int64 // ticket id → attachment_count; nil until asked after a change

	authMu sync.Mutex
	tokens map[string]*token

	reqMu sync.Mutex
	reqs  []RequestLog

	faultMu sync.Mutex
	faults  Faults
	faultR  *rng

	limiter *rateLimiter
	hooks   *webhooks
	ts      *httptest.Server
}

// New returns an empty tenant; call Generate to fill it.
func New(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.RateLimit > 0 && opts.RateWindow <= 0 {
		opts.RateWindow = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, tokens: map[string]*token{}, faultR: newRNG(opts.Seed, 999, 0),
		cf: map[cfKey]any{}, appVersion: defaultAppVersion, files: map[int64][]byte{}}
	s.tables = newTables(s)
	s.limiter = newRateLimiter(opts.RateLimit, opts.RateWindow)
	s.hooks = newWebhooks(s)
	return s
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// Start serves the fake on a local httptest server and returns its base URL (no /api).
func (s *Server) Start() string {
	s.ts = httptest.NewServer(s)
	return s.ts.URL
}

// URL is the base URL after Start.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Close stops the httptest server started by Start and waits for webhook deliveries.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
	s.hooks.wait()
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP routes /auth/* and /api/* after the cross-cutting checks (User-Agent, rate
// limit, faults) and logs every request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	path := strings.ToLower(r.URL.Path)
	defer func() {
		s.reqMu.Lock()
		s.reqs = append(s.reqs, RequestLog{Method: r.Method, Path: path, Query: r.URL.Query(), Status: sw.status})
		s.reqMu.Unlock()
	}()
	w = sw
	w.Header().Set("Date", s.now().Format(http.TimeFormat))
	p := strings.TrimSuffix(path, "/")
	isAPI := p == "/api" || strings.HasPrefix(p, "/api/")
	isAuth := strings.HasPrefix(p, "/auth")
	if !isAPI && !isAuth {
		writeJSON404(w)
		return
	}
	// Since the 2026 hosting move a request without User-Agent fails like bad credentials (§12.10).
	if r.Header.Get("User-Agent") == "" {
		if isAuth {
			writeJSONStatus(w, http.StatusUnauthorized, obj{{"error", "invalid_client"}, {"error_description", "The client application is not allowed to use this endpoint."}})
		} else {
			unauthorized(w)
		}
		return
	}
	if !s.limiter.allow(s.now()) {
		rateLimited(w, s.limiter.limit, s.limiter.window)
		return
	}
	if !s.applyFaults(w, r, isAPI) {
		return
	}
	if isAuth {
		s.serveAuth(w, r, p)
		return
	}
	s.serveAPI(w, r, p)
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []RequestLog {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	return append([]RequestLog(nil), s.reqs...)
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() {
	s.reqMu.Lock()
	s.reqs = nil
	s.reqMu.Unlock()
}
