package halofake

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

type token struct {
	scopes  map[string]bool
	expires time.Time
}

// knownScopes is the set PS Classes/HaloAuth.psm1 lists (halo-api.md §1.3). read:actions
// and the like are deliberately absent: Halo answers invalid_scope.
var knownScopes = func() map[string]bool {
	m := map[string]bool{"all": true, "all:standard": true, "admin": true, "editMine:timesheets": true,
		"access:chat": true, "access:adpasswordreset": true}
	for _, a := range []string{"tickets", "customers", "contracts", "assets", "crm", "calendar", "timesheets",
		"suppliers", "items", "projects", "sales", "quotes", "sos", "pos", "invoices", "reporting", "software",
		"softwarelicensing", "kb"} {
		m["read:"+a] = true
		m["edit:"+a] = true
	}
	return m
}()

func (s *Server) serveAuth(w http.ResponseWriter, r *http.Request, p string) {
	switch p {
	case "/auth/token":
		if r.Method != http.MethodPost {
			writeJSONStatus(w, http.StatusMethodNotAllowed, obj{{"error", "invalid_request"}, {"error_description", "The specified HTTP method is not valid."}})
			return
		}
		s.serveToken(w, r)
	case "/auth/.well-known/openid-configuration":
		base := baseURL(r)
		writeJSONStatus(w, http.StatusOK, obj{{"issuer", base + "/auth/"}, {"token_endpoint", base + "/auth/token"},
			{"grant_types_supported", []string{"client_credentials"}}})
	default:
		writeJSON404(w)
	}
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSONStatus(w, status, obj{{"error", code}, {"error_description", desc}})
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request body is malformed.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The specified 'grant_type' is not supported.")
		return
	}
	// tenant may come in the query (cloud) or the form (pyhalopsa); absent is fine (§1.2).
	if s.opts.Tenant != "" {
		if t := r.Form.Get("tenant"); t != "" && !strings.EqualFold(t, s.opts.Tenant) {
			oauthError(w, http.StatusBadRequest, "invalid_request", "The specified tenant is not valid.")
			return
		}
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "The specified client credentials are invalid.")
		return
	}
	scope := strings.Join(strings.Fields(r.PostForm.Get("scope")), " ")
	scopes := map[string]bool{}
	for _, sc := range strings.Fields(scope) {
		if !knownScopes[sc] {
			oauthError(w, http.StatusBadRequest, "invalid_scope", "The specified 'scope' is invalid.")
			return
		}
		scopes[sc] = true
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.authMu.Lock()
	s.tokens[tok] = &token{scopes: scopes, expires: s.now().Add(s.opts.TokenTTL)}
	s.authMu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSONStatus(w, http.StatusOK, obj{{"scope", scope}, {"token_type", "Bearer"}, {"access_token", tok},
		{"expires_in", int64(s.opts.TokenTTL / time.Second)}})
}

// authenticate returns the caller's token or false (401).
func (s *Server) authenticate(r *http.Request) (*token, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return nil, false
	}
	s.authMu.Lock()
	defer s.authMu.Unlock()
	t, ok := s.tokens[strings.TrimSpace(h[7:])]
	if !ok || !s.now().Before(t.expires) {
		return nil, false
	}
	// A token issued without scope is accepted by the token endpoint but fails every
	// call (halo-api.md §1.3, Servosity#6).
	if len(t.scopes) == 0 {
		return nil, false
	}
	return t, true
}

// covers says whether the token may read (or write) an entity with the scope family.
func (t *token) covers(family string, write bool) bool {
	if t.scopes["all"] || t.scopes["admin"] || t.scopes["all:standard"] || family == "" {
		return true
	}
	if t.scopes["edit:"+family] {
		return true
	}
	return !write && t.scopes["read:"+family]
}

// RevokeTokens invalidates every issued token (Halo revoking early, §1.5).
func (s *Server) RevokeTokens() {
	s.authMu.Lock()
	s.tokens = map[string]*token{}
	s.authMu.Unlock()
}

// ExpireTokens makes every issued token expired, forcing the 401 → refresh path.
func (s *Server) ExpireTokens() {
	s.authMu.Lock()
	for _, t := range s.tokens {
		t.expires = time.Time{}
	}
	s.authMu.Unlock()
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeJSONStatus(w, http.StatusUnauthorized, obj{{"error", "invalid_token"}, {"error_description", "The access token is not valid."}})
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
