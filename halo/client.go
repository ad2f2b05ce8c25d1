package halo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	defaultUserAgent = "halosync/dev"
	defaultScope     = "all"
	defaultTimeout   = 60 * time.Second
	maxErrorBody     = 64 << 10
)

// Config configures a Client. BaseURL, ClientID and ClientSecret are required.
type Config struct {
	BaseURL      string // instance base, e.g. "https://acme.halopsa.com" (normalised again by New)
	AuthURL      string // default BaseURL+"/auth"; the token endpoint is AuthURL+"/token"
	Tenant       string // sent as form field "tenant" when set and !OnPremise
	OnPremise    bool
	ClientID     string
	ClientSecret string
	Scope        string // default "all"; without a scope Halo issues tokens that get 401 everywhere
	UserAgent    string // default "halosync/dev"; sent on every request, the token request included
	// HTTPClient is the base client (timeouts, otelhttp transport). nil means a client
	// with a 60 s timeout. Its Transport is reused for token requests.
	HTTPClient *http.Client
	// Limiter, when set, is called around every /api request (not token requests).
	Limiter Limiter
	// AllowInsecure permits plain-http base URLs on non-loopback hosts (lab setups).
	AllowInsecure bool
	// Retry, when Tries > 1, retries transient failures in process (see RetryPolicy).
	Retry RetryPolicy
	// MaxResponseBody caps one response body; 0 means DefaultMaxResponseBody.
	MaxResponseBody int64
}

// RetryPolicy is the client's bounded in-process retry. A GET (idempotent) is
// retried after transient failures: 5xx, timeouts, connection errors, and 429
// when a Limiter is set (its Wait then holds the retry until the window allows
// it). Any method is retried when the failure proves nothing reached Halo: the
// limiter refused without a *WaitError (e.g. its database hiccupped), the token
// could not be fetched for a transient reason, or the connection was refused.
// A POST whose fate is unknown is never retried (a create could duplicate).
// Every try goes through the Limiter. A *WaitError is never retried here: the
// caller (River) snoozes instead.
type RetryPolicy struct {
	Tries int           // total tries of one call; 0 or 1 disables retries
	Base  time.Duration // first backoff; default 500ms
	Max   time.Duration // backoff cap; default 8s
}

// DefaultRetry survives a Halo answering 20 % of requests with 5xx: six
// tries, backing off 0.5 s → 1 → 2 → 4 → 8 s (with jitter), so one call fails
// with odds 0.2⁶ ≈ 1 in 15,000 — a pull of hundreds of pages gets through.
var DefaultRetry = RetryPolicy{Tries: 6, Base: 500 * time.Millisecond, Max: 8 * time.Second}

func (p RetryPolicy) backoff(try int) time.Duration {
	base, ceil := p.Base, p.Max
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if ceil <= 0 {
		ceil = 8 * time.Second
	}
	d := min(base<<min(try-1, 20), ceil)
	// ±25 % jitter so retries of parallel calls do not line up.
	return d - d/4 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// Limiter lets sync/jobs put a shared rate budget and circuit breaker in front of
// every /api request.
type Limiter interface {
	// Wait blocks until the request may go, or returns an error (e.g. *RateLimitedError)
	// to abandon it without touching the network.
	Wait(ctx context.Context, r *RequestInfo) error
	// Done observes the outcome: status is 0 when no response arrived.
	Done(r *RequestInfo, status int, err error)
}

// RequestInfo describes one /api request for a Limiter.
type RequestInfo struct {
	Method   string
	Path     string // e.g. "/api/Tickets"
	Priority int    // from WithPriority; 0 by default
	// Refreshed is true when this request is the retry after a 401 with a
	// freshly fetched token: a 401 now means the credentials themselves are
	// refused. A 401 with Refreshed false is followed by that retry.
	Refreshed bool
}

type priorityKey struct{}

// WithPriority tags requests made with ctx so a Limiter can favour them (e.g. pushes
// of local edits over background full scans).
func WithPriority(ctx context.Context, p int) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// Client talks to one Halo instance. It is safe for concurrent use.
type Client struct {
	base       string // normalised, no trailing slash, no /api
	userAgent  string
	hc         *http.Client
	limiter    Limiter
	retry      RetryPolicy
	tokens     *tokenCache
	secret     string
	requests   atomic.Int64
	clockSkew  atomic.Int64 // nanoseconds
	lastBearer atomic.Pointer[string]
	maxBody    int64
}

// New validates cfg and builds a Client. No request is made until the first call.
func New(cfg Config) (*Client, error) {
	base, err := NormalizeBaseURL(cfg.BaseURL, cfg.AllowInsecure)
	if err != nil {
		return nil, fmt.Errorf("halo: invalid config: %w", err)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("halo: invalid config: client id and client secret are required")
	}
	if cfg.AuthURL == "" {
		cfg.AuthURL = base + "/auth"
	} else if err := checkAuthURL(cfg.AuthURL, cfg.AllowInsecure); err != nil {
		return nil, fmt.Errorf("halo: invalid config: %w", err)
	}
	if cfg.Scope == "" {
		cfg.Scope = defaultScope
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = defaultUserAgent
	}
	hc := &http.Client{Timeout: defaultTimeout}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient // a copy: the caller's client keeps its own redirect policy
	}
	hc.CheckRedirect = refuseRedirect
	if cfg.MaxResponseBody <= 0 {
		cfg.MaxResponseBody = DefaultMaxResponseBody
	}
	c := &Client{base: base, userAgent: cfg.UserAgent, hc: hc, limiter: cfg.Limiter, secret: cfg.ClientSecret, retry: cfg.Retry,
		maxBody: cfg.MaxResponseBody}
	tokenHTTP := &http.Client{
		Transport:     &userAgentTransport{base: transportOf(hc), ua: cfg.UserAgent},
		Timeout:       hc.Timeout,
		CheckRedirect: refuseRedirect,
	}
	if tokenHTTP.Timeout == 0 {
		// Token fetches are not tied to a caller's context (the oauth2 TokenSource has
		// none), so they must never be unbounded.
		tokenHTTP.Timeout = defaultTimeout
	}
	c.tokens = newTokenCache(newTokenSource(cfg, tokenHTTP, c.redact))
	return c, nil
}

// Requests returns how many HTTP requests this client has sent to /api (token
// requests excluded), for run ledgers and tests.
func (c *Client) Requests() int64 { return c.requests.Load() }

// ClockOffset returns Halo's clock minus ours, from the Date header of the last
// response (1 s resolution). Sync uses it to place incremental cursors on Halo's clock.
func (c *Client) ClockOffset() time.Duration { return time.Duration(c.clockSkew.Load()) }

// redact removes the client secret and the last bearer token from text that may end
// up in an error string.
func (c *Client) redact(s string) string {
	if c.secret != "" {
		s = strings.ReplaceAll(s, c.secret, "[REDACTED]")
	}
	if p := c.lastBearer.Load(); p != nil && *p != "" {
		s = strings.ReplaceAll(s, *p, "[REDACTED]")
	}
	return s
}

// apiPath makes p an /api path: "Tickets", "/Tickets", "api/Tickets" and "/api/Tickets"
// all become "/api/Tickets".
func apiPath(p string) string {
	p = "/" + strings.TrimLeft(p, "/")
	if lp := strings.ToLower(p); lp == "/api" || strings.HasPrefix(lp, "/api/") {
		return p
	}
	return "/api" + p
}

// do sends one /api request and returns the body of a 2xx reply, retrying per
// the client's RetryPolicy (see there for what is retried).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte) ([]byte, error) {
	path = apiPath(path)
	tries := max(c.retry.Tries, 1)
	for try := 1; ; try++ {
		b, err := c.doOnce(ctx, method, path, query, body)
		if err == nil || try >= tries || ctx.Err() != nil || !c.retryable(method, err) {
			return b, err
		}
		t := time.NewTimer(c.retry.backoff(try))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// retryable says whether a failed try may be tried again in process.
func (c *Client) retryable(method string, err error) bool {
	var wait *WaitError
	if errors.As(err, &wait) {
		return false // the limiter decided; the caller waits (River snoozes)
	}
	var ns *notSentError
	if errors.As(err, &ns) {
		// Nothing reached Halo's API: a limiter failure, or the token could
		// not be fetched for a transient reason.
		return ns.limiter || isTransient(err)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	if method != http.MethodGet && method != http.MethodHead {
		return false
	}
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return c.limiter != nil
	}
	return isTransient(err)
}

// notSentError marks a failure that happened before the request left: the
// limiter refused, or no token could be had. Its text is the cause's.
type notSentError struct {
	err     error
	limiter bool
}

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// doOnce sends one /api request. A 401 invalidates the cached token and the
// request is retried exactly once with a fresh token; a second 401 is an
// *AuthError. Nothing else is retried here.
func (c *Client) doOnce(ctx context.Context, method, path string, query url.Values, body []byte) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		res, err := c.send(ctx, method, path, query, body, attempt > 0)
		if err != nil {
			return nil, err
		}
		if res.status == http.StatusUnauthorized && attempt == 0 {
			continue // token was invalidated in send; one retry
		}
		if res.status >= 200 && res.status < 300 {
			return res.body, nil
		}
		return nil, c.statusError(res)
	}
}

// result is one HTTP response as far as the client cares.
type result struct {
	method, path string
	status       int
	body         []byte
	retryAfter   string
}

// send performs one HTTP exchange with limiter bookkeeping. err is non-nil only when
// no usable response arrived (limiter refusal, token failure, transport error).
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body []byte, refreshed bool) (result, error) {
	info := &RequestInfo{Method: method, Path: path, Refreshed: refreshed}
	if p, ok := ctx.Value(priorityKey{}).(int); ok {
		info.Priority = p
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx, info); err != nil {
			return result{}, &notSentError{err: fmt.Errorf("halo: %s %s: limiter: %w", method, path, err), limiter: true}
		}
	}
	res, err := c.exchange(ctx, method, path, query, body)
	if c.limiter != nil {
		lerr := err
		if err == nil && (res.status < 200 || res.status >= 300) {
			lerr = c.statusError(res)
		}
		c.limiter.Done(info, res.status, lerr)
	}
	return res, err
}

func (c *Client) exchange(ctx context.Context, method, path string, query url.Values, body []byte) (result, error) {
	res := result{method: method, path: path}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("halo: %s %s: %w", method, path, err)
	}
	tok, src, err := c.tokens.token()
	if err != nil {
		return res, &notSentError{err: err}
	}
	c.lastBearer.Store(&tok.AccessToken)
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rdr io.Reader
	if body != nil {
		rdr = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rdr)
	if err != nil {
		return res, fmt.Errorf("halo: building %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.requests.Add(1)
	if rc, ok := ctx.Value(counterKey{}).(*RequestCounter); ok {
		rc.Add(1)
	}
	resp, err := c.hc.Do(req)
	var redirect *RedirectError
	if errors.As(err, &redirect) {
		return res, redirect
	}
	if err != nil {
		return res, &redactedError{msg: fmt.Sprintf("halo: %s %s: %s", method, path, c.redact(err.Error())), err: err}
	}
	defer resp.Body.Close()
	c.noteDate(resp.Header.Get("Date"))
	var respBody []byte
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		respBody, err = io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
		if err == nil && int64(len(respBody)) > c.maxBody {
			return res, &ResponseTooLargeError{Method: method, Path: path, Limit: c.maxBody}
		}
	} else {
		respBody, err = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	}
	if err != nil {
		return res, &redactedError{msg: fmt.Sprintf("halo: %s %s: reading response: %s", method, path, c.redact(err.Error())), err: err}
	}
	if resp.StatusCode == http.StatusUnauthorized {
		c.tokens.invalidate(src)
	}
	res.status, res.body, res.retryAfter = resp.StatusCode, respBody, resp.Header.Get("Retry-After")
	return res, nil
}

func (c *Client) noteDate(h string) {
	if h == "" {
		return
	}
	if t, err := http.ParseTime(h); err == nil {
		c.clockSkew.Store(int64(time.Until(t)))
	}
}

// statusError is the one place where a non-2xx status becomes a typed error.
func (c *Client) statusError(res result) error {
	status, method, path := res.status, res.method, res.path
	msg := c.redact(haloMessage(res.body))
	switch {
	case status == http.StatusUnauthorized:
		return &AuthError{Status: status, Method: method, Path: path, Message: msg}
	case status == http.StatusForbidden:
		return &ForbiddenError{Method: method, Path: path, Message: msg}
	case status == http.StatusNotFound:
		return &NotFoundError{Method: method, Path: path, Message: msg}
	case status == http.StatusTooManyRequests:
		return &RateLimitedError{Method: method, Path: path, Message: msg, RetryAfter: parseRetryAfter(res.retryAfter)}
	case status >= 500:
		return &ServerError{Status: status, Method: method, Path: path, Message: msg}
	default:
		if msg == "" {
			msg = http.StatusText(status)
		}
		return &ValidationError{Status: status, Method: method, Path: path, Message: msg}
	}
}

// getJSON GETs path and returns the body.
func (c *Client) get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	return c.do(ctx, http.MethodGet, path, query, nil)
}

// firstObject returns body itself when it is an object, or its first element when it
// is an array (some Halo versions wrap single records).
func firstObject(body []byte) (json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(body, &arr); err != nil {
			return nil, fmt.Errorf("decoding array reply: %w", err)
		}
		if len(arr) == 0 {
			return nil, errors.New("empty array reply")
		}
		return arr[0], nil
	}
	if len(body) == 0 || body[0] != '{' {
		return nil, fmt.Errorf("reply is not a JSON object: %s", truncate(string(body), 60))
	}
	return body, nil
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent (Halo's norm).
func parseRetryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// checkAuthURL applies the base URL's transport rule to an explicit AuthURL: the
// secret is posted there, so plain http only for loopback or when allowed.
func checkAuthURL(raw string, allowInsecure bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("auth URL %q is not an absolute URL", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if allowInsecure || isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("auth URL %q uses plain http: use https", raw)
	default:
		return fmt.Errorf("auth URL %q: scheme %q is not supported", raw, u.Scheme)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
