package server

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"riverqueue.com/riverui"
)

// riverUIWriteTimeout replaces the server's WriteTimeout for authenticated River UI requests: its job
// lists and counts may be slow on a large river_job, and an operator's request must not be cut.
const riverUIWriteTimeout = 10 * time.Minute

// mountRiverUI serves the River UI under /riverui/ behind, from the outside in: the Host check, the
// cross-origin check, admin basic auth when a password is set, and the longer write deadline.
func (s *Server) mountRiverUI(mux *http.ServeMux, ui *riverui.Handler) {
	var h http.Handler = ui
	h = extendWriteDeadline(h, riverUIWriteTimeout)
	if s.cfg.AdminPassword != "" {
		h = s.requireAdmin(h)
	}
	// The UI's API decodes JSON whatever the content type, so a form on another site could post to it from
	// an operator's browser, credentials included. Browsers mark such requests (Sec-Fetch-Site, Origin);
	// CrossOriginProtection refuses every unsafe method they mark as cross-origin.
	h = http.NewCrossOriginProtection().Handler(h)
	h = s.checkHost(h)
	mux.Handle("/riverui/", h)
	mux.Handle("/riverui", s.checkHost(http.RedirectHandler("/riverui/", http.StatusMovedPermanently)))
}

// checkHost refuses requests whose Host header names a host the server is not known by (DNS
// rebinding: a page on evil.example whose name then resolves to the worker's address reaches it
// with Host: evil.example).
func (s *Server) checkHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			http.Error(w, "unknown Host: the River UI answers only to the address in HALOSYNC_HTTP_ADDR, localhost, an IP address, or a name in HALOSYNC_PUBLIC_HOST", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// hostAllowed accepts an IP address (a rebinding attack needs a name of the attacker's), localhost,
// the host of the listen address, and the configured public names; ports are not compared, since a
// reverse proxy may publish another one.
func (s *Server) hostAllowed(hostport string) bool {
	host := hostOnly(hostport)
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if h := hostOnly(s.cfg.Addr); h != "" && h == host {
		return true
	}
	for _, p := range s.cfg.PublicHosts {
		if hostOnly(p) == host {
			return true
		}
	}
	return false
}

// hostOnly lower-cases a Host header or address and drops its port, brackets and trailing dot.
func hostOnly(hostport string) string {
	h := strings.TrimSpace(hostport)
	if sh, _, err := net.SplitHostPort(h); err == nil {
		h = sh
	}
	h = strings.TrimSuffix(strings.Trim(h, "[]"), ".")
	return strings.ToLower(h)
}

// ValidPublicHost checks one HALOSYNC_PUBLIC_HOST entry: a host name, optionally with a port.
func ValidPublicHost(s string) error {
	raw := strings.TrimSpace(s)
	bad := raw == "" || strings.ContainsAny(raw, "/ @?#")
	if !bad {
		if _, port, err := net.SplitHostPort(raw); err == nil {
			_, perr := strconv.ParseUint(port, 10, 16)
			bad = perr != nil
		}
	}
	if bad || hostOnly(raw) == "" {
		return fmt.Errorf("expected a host name such as halosync.example.com, got %q", s)
	}
	return nil
}

// extendWriteDeadline gives the requests h serves until d to write their answer.
func extendWriteDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
		h.ServeHTTP(w, r)
	})
}
