package halo

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// NormalizeBaseURL turns what an operator typed into the instance base URL the client
// needs: scheme and host (plus any on-prem sub-path), without "/api" and without a
// trailing slash. It accepts "acme.halopsa.com", "https://acme.halopsa.com",
// "https://acme.halopsa.com/api" and "acme.halopsa.com/api/". A missing scheme means
// https. Plain http is refused unless the host is a loopback address (127.0.0.0/8,
// ::1, localhost) or allowInsecure is set, because the client secret and bearer tokens
// would otherwise cross the network in clear text.
func NormalizeBaseURL(raw string, allowInsecure bool) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("halo base URL is empty: set it to your Halo web address, e.g. https://acme.halopsa.com")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("halo base URL %q is not a valid URL: %w", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", fmt.Errorf("halo base URL %q: scheme %q is not supported, use https", raw, u.Scheme)
	}
	if u.User != nil {
		return "", fmt.Errorf("halo base URL %q must not contain credentials", raw)
	}
	host := u.Hostname()
	if host == "" || strings.ContainsAny(host, " \t") || (net.ParseIP(host) == nil && !validHostname(host)) {
		return "", fmt.Errorf("halo base URL %q has no valid host name", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("halo base URL %q must not contain a query or fragment", raw)
	}
	if scheme == "http" && !allowInsecure && !isLoopback(host) {
		return "", fmt.Errorf("halo base URL %q uses plain http: use https (http is only allowed for loopback hosts or when insecure mode is enabled)", raw)
	}
	path := strings.TrimRight(u.Path, "/")
	if strings.HasSuffix(strings.ToLower(path), "/api") {
		path = path[:len(path)-len("/api")]
	}
	path = strings.TrimRight(path, "/")
	return scheme + "://" + strings.ToLower(u.Host) + path, nil
}

// validHostname is a light check that keeps obvious garbage ("not a url") out while
// accepting single-label hosts such as on-prem "halo".
func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			ok := r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
			if !ok {
				return false
			}
		}
	}
	return true
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
