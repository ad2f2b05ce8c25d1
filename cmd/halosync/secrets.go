package main

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// mask replaces a secret wherever halosync shows a setting.
const mask = "********"

// dsnPassword matches password= and sslpassword= in a key=value DSN (quoted or not).
var dsnPassword = regexp.MustCompile(`(?i)(\b(?:ssl)?password\s*=\s*)('(?:\\.|[^'\\])*'|\S*)`)

// urlPassword matches password= and sslpassword= in the query of a URL that did not parse.
var urlPassword = regexp.MustCompile(`(?i)([?&](?:ssl)?password=)([^&#]*)`)

// urlUserinfo matches the password of a URL's userinfo when the URL did not parse.
var urlUserinfo = regexp.MustCompile(`(://[^:/@]*:)([^@]*)(@)`)

// redactURL hides every password of a Postgres connection string: the URL's userinfo password and its
// password= and sslpassword= query parameters, or the same keys of a key=value DSN.
func redactURL(s string) string {
	if !strings.Contains(s, "://") {
		return dsnPassword.ReplaceAllString(s, "${1}"+mask)
	}
	u, err := url.Parse(s)
	if err != nil {
		s = urlUserinfo.ReplaceAllString(s, "${1}"+mask+"${3}")
		return urlPassword.ReplaceAllString(s, "${1}"+mask)
	}
	masked := false
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), mask)
			masked = true
		}
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, _, _ := strings.Cut(p, "=")
			if dk, err := url.QueryUnescape(k); err == nil && isPasswordKey(dk) || isPasswordKey(k) {
				parts[i] = k + "=" + mask
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	out := u.String()
	if masked {
		// url escapes the mask's asterisks in userinfo (%2A); show it as written everywhere else.
		out = strings.Replace(out, ":"+strings.Repeat("%2A", len(mask))+"@", ":"+mask+"@", 1)
	}
	return out
}

func isPasswordKey(k string) bool {
	k = strings.ToLower(strings.TrimSpace(k))
	return k == "password" || k == "sslpassword"
}

// connSecrets returns the password values a connection string holds, as written and decoded, so they
// can be cut out of any error text.
func connSecrets(s string) []string {
	var out []string
	add := func(v string) {
		v = strings.Trim(v, "'")
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
		if d, err := url.QueryUnescape(v); err == nil && d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if u, err := url.Parse(s); err == nil && strings.Contains(s, "://") {
		if p, ok := u.User.Password(); ok {
			add(p)
			add(url.PathEscape(p))
			add(url.QueryEscape(p))
		}
		for k, vs := range u.Query() {
			if isPasswordKey(k) {
				for _, v := range vs {
					add(v)
					add(url.QueryEscape(v))
				}
			}
		}
	}
	for _, re := range []*regexp.Regexp{dsnPassword, urlPassword, urlUserinfo} {
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			add(m[2])
		}
	}
	return out
}

// redactError returns err with the connection string's passwords cut out of its text (errors.Is and As
// still see the cause). Drivers may echo a connection string, or part of it, in their errors.
func redactError(err error, connString string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := strings.ReplaceAll(msg, connString, redactURL(connString))
	for _, sec := range connSecrets(connString) {
		red = strings.ReplaceAll(red, sec, mask)
	}
	if red == msg {
		return err
	}
	return &redactedErr{msg: red, err: err}
}

type redactedErr struct {
	msg string
	err error
}

func (e *redactedErr) Error() string { return e.msg }
func (e *redactedErr) Unwrap() error { return e.err }

// placeholders are the secret values of the shipped examples (deploy/): never valid.
var placeholders = []string{"replace-me", "change-me", "changeme"}

// demoSecrets are the values the demo (compose with the fake Halo, deploy/local/demo.sh) sets on purpose:
// accepted only while Halo is reached over plain http, which only the fake is.
var demoSecrets = []string{"demo", "demo-secret", "demo-webhook-secret"}

// checkPlaceholders refuses the placeholder secrets of the shipped compose, Kubernetes and systemd
// examples, naming the variable.
func (c *Config) checkPlaceholders() error {
	fakeHalo := strings.HasPrefix(strings.ToLower(strings.TrimSpace(c.HaloResourceServer)), "http://")
	check := func(key, val string) error {
		v := strings.ToLower(strings.TrimSpace(val))
		switch {
		case v == "":
			return nil
		case slices.Contains(placeholders, v):
			return fmt.Errorf("%s: still the placeholder from the example configuration; set the real value", key)
		case slices.Contains(demoSecrets, v) && !fakeHalo:
			return fmt.Errorf("%s: the demo's value is accepted only with the demo's fake Halo (plain http); set a real secret", key)
		}
		return nil
	}
	for _, kv := range [][2]string{
		{"HALO_CLIENT_ID", c.HaloClientID},
		{"HALO_CLIENT_SECRET", c.HaloClientSecret},
		{"HALO_WEBHOOK_SECRET", c.HaloWebhookSecret},
		{"HALOSYNC_ADMIN_PASSWORD", c.AdminPassword},
		{"HALOSYNC_WEBHOOK_PASSWORD", c.WebhookPassword},
	} {
		if err := check(kv[0], kv[1]); err != nil {
			return err
		}
	}
	for _, sec := range connSecrets(c.DatabaseURL) {
		if slices.Contains(placeholders, strings.ToLower(sec)) {
			return errors.New("DATABASE_URL: the password is still the placeholder from the example configuration; set the real one")
		}
	}
	return nil
}
