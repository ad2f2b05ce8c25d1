package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBinaryMasksDatabasePasswords: a password in DATABASE_URL, wherever it is written (userinfo,
// password= or sslpassword= query parameters, a key=value DSN), appears neither in `halosync config`
// nor in the error of a connection that fails.
func TestBinaryMasksDatabasePasswords(t *testing.T) {
	for secret, dsn := range map[string]string{
		"qp-s3cret-one":    "postgres://halosync@127.0.0.1:1/halosync?password=qp-s3cret-one&sslmode=disable",
		"ssl-s3cret-two":   "postgres://halosync@127.0.0.1:1/halosync?sslmode=disable&sslpassword=ssl-s3cret-two",
		"ui-s3cret-three":  "postgresql://halosync:ui-s3cret-three@127.0.0.1:1/halosync?sslmode=disable",
		"enc s3cret/four":  "postgres://halosync@127.0.0.1:1/halosync?sslmode=disable&Password=" + url.QueryEscape("enc s3cret/four"),
		"kv-s3cret-five":   "host=127.0.0.1 port=1 user=halosync password=kv-s3cret-five dbname=halosync sslmode=disable",
		"kv quoted s3cret": "host=127.0.0.1 port=1 user=halosync password='kv quoted s3cret' dbname=halosync sslmode=disable",
	} {
		env := map[string]string{"DATABASE_URL": dsn}
		leaks := func(s string) bool {
			return strings.Contains(s, secret) || strings.Contains(s, url.QueryEscape(secret)) || strings.Contains(s, url.PathEscape(secret))
		}
		for _, args := range [][]string{{"config"}, {"config", "--json"}} {
			out, errOut, code := runBinary(t, env, args...)
			require.Zero(t, code, errOut)
			require.Contains(t, out, "DATABASE_URL")
			require.False(t, leaks(out+errOut), "%v shows the password of %s:\n%s", args, dsn, out)
		}
		for _, args := range [][]string{{"migrate"}, {"status"}} {
			out, errOut, code := runBinary(t, env, args...)
			require.NotZero(t, code, "no database on port 1")
			require.Contains(t, errOut, "database")
			require.False(t, leaks(out+errOut), "%v error shows the password of %s:\n%s", args, dsn, errOut)
		}
	}
}

// TestBinaryDatabaseErrorIsOneLine: a database that cannot be reached fails the command with one line on
// stderr naming DATABASE_URL, its password shown as the mask (pgx lists each address it tried on a line of
// its own: with the default sslmode it tries twice; and url escaped the mask to %2A%2A…).
func TestBinaryDatabaseErrorIsOneLine(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://halosync:one-line-s3cret@127.0.0.1:1/halosync"}
	_, errOut, code := runBinary(t, env, "status")
	require.NotZero(t, code)
	require.Equal(t, 1, strings.Count(errOut, "\n"), "one line:\n%s", errOut)
	require.True(t, strings.HasPrefix(errOut, "halosync: DATABASE_URL postgres://halosync:********@127.0.0.1:1/"), errOut)
	require.NotContains(t, errOut, "one-line-s3cret")
}

// evilHost records every request that reaches the host a redirect names.
type evilHost struct {
	*httptest.Server
	mu  sync.Mutex
	got []string
}

func newEvilHost(t *testing.T) *evilHost {
	e := &evilHost{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.got = append(e.got, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization")+" body="+string(body))
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"stolen","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *evilHost) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.got...)
}

// TestBinaryNeverFollowsRedirects: a 307 from the token endpoint would re-post the client secret, and one
// from /api would send the bearer token, to the host it names. The binary follows neither; it fails with
// an error naming that host.
func TestBinaryNeverFollowsRedirects(t *testing.T) {
	fake, env, _ := fakeAndDB(t)
	evil := newEvilHost(t)
	evilHostPort := strings.TrimPrefix(evil.URL, "http://")
	redirectFrom := func(prefix string) string {
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(strings.ToLower(r.URL.Path), prefix) {
				http.Redirect(w, r, evil.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
				return
			}
			fake.ServeHTTP(w, r)
		}))
		t.Cleanup(front.Close)
		return front.URL
	}

	for _, prefix := range []string{"/auth/token", "/api/"} {
		env["HALO_RESOURCE_SERVER"] = redirectFrom(prefix)
		out, errOut, code := runBinary(t, env, "sync", "--once", "--entity", "clients")
		require.NotZero(t, code, "%s redirected: %s", prefix, out)
		require.Contains(t, errOut, "redirected (HTTP 307) to host "+evilHostPort, prefix)
		require.NotContains(t, out+errOut, testSecret)
		require.Empty(t, evil.requests(), "%s: nothing reaches the host the redirect names", prefix)

		out, errOut, code = runBinary(t, env, "check")
		require.NotZero(t, code, "%s redirected: %s", prefix, out)
		require.Contains(t, out+errOut, evilHostPort, prefix)
		require.Empty(t, evil.requests(), "%s: check follows no redirect either", prefix)
	}
}

// shippedEnv reads the variables an example in deploy/ sets: KEY=VALUE lines (systemd), KEY: "VALUE"
// lines of a Kubernetes manifest, or compose's KEY: ${KEY:-default} lines (the default).
func shippedEnv(t *testing.T, files ...string) map[string]string {
	t.Helper()
	line := regexp.MustCompile(`^\s*([A-Z][A-Z0-9_]+)\s*[:=]\s*(.*?)\s*$`)
	composeDefault := regexp.MustCompile(`^\$\{[A-Z0-9_]+:-(.*)\}$`)
	env := map[string]string{}
	for _, f := range files {
		fh, err := os.Open(filepath.Join("..", "..", "deploy", f))
		require.NoError(t, err)
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			m := line.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			v := strings.Trim(m[2], `"`)
			if d := composeDefault.FindStringSubmatch(v); d != nil {
				v = d[1]
			}
			env[m[1]] = v
		}
		require.NoError(t, fh.Close())
	}
	return env
}

// TestBinaryRefusesShippedPlaceholders: started with the placeholder secrets of the shipped Kubernetes
// and systemd examples, or with the compose demo's secrets against a real (https) Halo, the worker
// refuses at once with one line naming the variable; the compose demo itself, with its fake Halo, starts.
func TestBinaryRefusesShippedPlaceholders(t *testing.T) {
	refused := func(env map[string]string) []string {
		var named []string
		for range 10 {
			_, errOut, code := runBinary(t, env, "worker")
			if code == 0 || !strings.Contains(errOut, "placeholder") && !strings.Contains(errOut, "demo") {
				return named
			}
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %s", errOut)
			key := strings.TrimPrefix(strings.SplitN(errOut, ":", 3)[1], " ")
			named = append(named, key)
			if key == "DATABASE_URL" {
				env[key] = strings.ReplaceAll(env[key], "REPLACE-ME", "a-real-password")
			} else {
				env[key] = "a-real-value-for-" + key
			}
		}
		t.Fatalf("still refused after %v", named)
		return nil
	}
	// Once every placeholder is replaced, the worker must fail fast on the database, not start.
	notStarted := func(env map[string]string) map[string]string {
		u, err := url.Parse(env["DATABASE_URL"])
		require.NoError(t, err)
		u.Host = "127.0.0.1:1"
		env["DATABASE_URL"] = u.String()
		env["HALOSYNC_HTTP_ADDR"] = "127.0.0.1:0"
		return env
	}

	k8s := notStarted(shippedEnv(t, "k8s/configmap.yaml", "k8s/secret.yaml"))
	require.ElementsMatch(t, []string{"HALO_CLIENT_ID", "HALO_CLIENT_SECRET", "HALOSYNC_ADMIN_PASSWORD", "DATABASE_URL"}, refused(k8s))

	systemd := notStarted(shippedEnv(t, "systemd/halosync.env.example"))
	require.ElementsMatch(t, []string{"HALO_CLIENT_ID", "HALO_CLIENT_SECRET", "DATABASE_URL"}, refused(systemd))

	compose := shippedEnv(t, "compose.yaml")
	require.Equal(t, "http://fakehalo:8089", compose["HALO_RESOURCE_SERVER"])
	out, errOut, code := runBinary(t, compose, "config")
	require.Zero(t, code, "the demo's own secrets are accepted with its fake Halo: %s", errOut)
	require.Contains(t, out, "HALO_WEBHOOK_SECRET")

	compose["HALO_RESOURCE_SERVER"] = "https://acme.halopsa.com"
	compose["HALO_ALLOW_INSECURE"] = "false"
	require.ElementsMatch(t, []string{"HALO_CLIENT_SECRET", "HALO_WEBHOOK_SECRET", "HALOSYNC_ADMIN_PASSWORD"}, refused(notStarted(compose)))
}
