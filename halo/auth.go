package halo

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenExpiryDelta refreshes the token a minute before Halo says it expires, so a
// request never leaves with a token that dies in flight.
const tokenExpiryDelta = 60 * time.Second

// tokenCache hands out one shared bearer token. The current source is an
// oauth2.ReuseTokenSource, which holds its mutex while fetching, so concurrent callers
// wait for one token request instead of each starting their own (Halo may invalidate
// earlier tokens when a new one is issued). invalidate swaps in a fresh source only if
// the caller's token came from the current one, so N goroutines hitting 401 together
// still cause a single refetch.
type tokenCache struct {
	raw oauth2.TokenSource

	mu  sync.Mutex
	src oauth2.TokenSource
}

func newTokenCache(raw oauth2.TokenSource) *tokenCache {
	return &tokenCache{raw: raw, src: oauth2.ReuseTokenSourceWithExpiry(nil, raw, tokenExpiryDelta)}
}

// token returns a valid token and the source it came from (for invalidate).
func (c *tokenCache) token() (*oauth2.Token, oauth2.TokenSource, error) {
	c.mu.Lock()
	src := c.src
	c.mu.Unlock()
	tok, err := src.Token()
	return tok, src, err
}

// invalidate drops the cached token if it still comes from src.
func (c *tokenCache) invalidate(src oauth2.TokenSource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.src == src {
		c.src = oauth2.ReuseTokenSourceWithExpiry(nil, c.raw, tokenExpiryDelta)
	}
}

// fetchSource performs one client-credentials token request per Token call. Caching
// is left to tokenCache.
type fetchSource struct {
	cfg    *clientcredentials.Config
	ctx    context.Context // carries oauth2.HTTPClient (User-Agent, timeouts)
	redact func(string) string
}

func (s *fetchSource) Token() (*oauth2.Token, error) {
	tok, err := s.cfg.Token(s.ctx)
	if err != nil {
		return nil, s.classify(err)
	}
	return tok, nil
}

// classify maps token-endpoint failures to typed errors. The oauth2 error text can
// echo the response body, so it is never passed through verbatim.
func (s *fetchSource) classify(err error) error {
	var redirect *RedirectError
	if errors.As(err, &redirect) {
		return redirect
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return &redactedError{msg: "halo: fetching token: " + s.redact(err.Error()), err: err}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	msg := s.redact(re.ErrorDescription)
	if re.ErrorCode == "" && msg == "" {
		msg = s.redact(haloMessage(re.Body))
	}
	path := s.cfg.TokenURL
	if u, perr := url.Parse(path); perr == nil {
		path = u.Path
	}
	switch {
	case re.ErrorCode != "":
		return &AuthError{Status: status, Code: re.ErrorCode, Message: msg, TokenRequest: true}
	case status == http.StatusTooManyRequests:
		return &RateLimitedError{Method: http.MethodPost, Path: path, Message: msg}
	case status >= 500:
		return &ServerError{Status: status, Method: http.MethodPost, Path: path, Message: msg}
	default:
		return &AuthError{Status: status, Message: msg, TokenRequest: true}
	}
}

// redactedError keeps the cause for errors.Is/As while its text has secrets removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// newTokenSource builds the client-credentials configuration from cfg: form-encoded
// credentials (AuthStyleInParams), scope, and tenant as a form field for hosted Halo.
func newTokenSource(cfg Config, tokenHTTP *http.Client, redact func(string) string) *fetchSource {
	cc := &clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TokenURL:     strings.TrimRight(cfg.AuthURL, "/") + "/token",
		Scopes:       strings.Fields(cfg.Scope),
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	if cfg.Tenant != "" && !cfg.OnPremise {
		cc.EndpointParams = url.Values{"tenant": {cfg.Tenant}}
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, tokenHTTP)
	return &fetchSource{cfg: cc, ctx: ctx, redact: redact}
}

// userAgentTransport sets User-Agent on every request: Halo's hosting reportedly
// treats requests without one like bad credentials, token requests included.
type userAgentTransport struct {
	base http.RoundTripper
	ua   string
}

func (t *userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("User-Agent", t.ua)
	return t.base.RoundTrip(r2)
}

func transportOf(hc *http.Client) http.RoundTripper {
	if hc.Transport != nil {
		return hc.Transport
	}
	return http.DefaultTransport
}
