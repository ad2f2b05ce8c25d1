package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/server"
	"github.com/halosync/halosync/jobs"
)

// TestRiverUIRefusesCrossOrigin: a form on another site posting to the River UI's delete endpoint from
// an operator's browser (which adds the operator's basic-auth credentials) is refused, and the job
// survives; the same request from the UI's own page deletes it.
func TestRiverUIRefusesCrossOrigin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBundle(t, nil)
	res, err := b.rc.Insert(ctx, jobs.PullArgs{Entity: "clients", Full: true}, nil)
	require.NoError(t, err)
	body := []byte(fmt.Sprintf(`{"ids":["%d"]}`, res.Job.ID))
	jobExists := func() bool {
		var n int
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE id = $1`, res.Job.ID).Scan(&n))
		return n == 1
	}

	for name, hdr := range map[string]map[string]string{
		"form post (Sec-Fetch-Site)":  {"Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		"older browser (Origin only)": {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"},
		"same site, other origin":     {"Content-Type": "application/json", "Sec-Fetch-Site": "same-site", "Origin": "https://other.halosync.example"},
	} {
		code, reply := b.do(t, http.MethodPost, "/riverui/api/jobs/delete", body, hdr, adminUser, adminPassword)
		require.Equal(t, http.StatusForbidden, code, "%s: %s", name, reply)
		require.True(t, jobExists(), "%s: the job survives", name)
	}

	code, reply := b.do(t, http.MethodPost, "/riverui/api/jobs/delete", body,
		map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}, adminUser, adminPassword)
	require.Equal(t, http.StatusOK, code, reply)
	require.False(t, jobExists(), "the UI's own request deletes it")
}

// TestRiverUIChecksHost: a DNS-rebinding page reaches the server with its own name in Host; the River UI
// answers only to the listen address, localhost, IP addresses and HALOSYNC_PUBLIC_HOST.
func TestRiverUIChecksHost(t *testing.T) {
	t.Parallel()
	b := newBundle(t, func(c *server.Config) {
		c.Addr = "halosync.internal:8080"
		c.PublicHosts = []string{"ops.example.com"}
	})
	get := func(host string) int {
		req, err := http.NewRequest(http.MethodGet, b.ts.URL+"/riverui/api/jobs?state=available", nil)
		require.NoError(t, err)
		req.Host = host
		req.SetBasicAuth(adminUser, adminPassword)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	for _, host := range []string{"evil.example", "evil.example:8080", "halosync.internal.evil.example", "ops.example.com.evil.example"} {
		require.Equal(t, http.StatusMisdirectedRequest, get(host), host)
	}
	for _, host := range []string{"halosync.internal:8080", "ops.example.com", "OPS.example.com:443", "localhost:8080", "127.0.0.1:8080", "[::1]:8080", "10.1.2.3"} {
		require.Equal(t, http.StatusOK, get(host), host)
	}
	code, _ := b.do(t, http.MethodGet, "/healthz", nil, nil)
	require.Equal(t, http.StatusOK, code, "probes are not the UI")
}

// TestWebhookCannotSpendBudget: one signed delivery naming one ticket many times, or many deliveries
// about one ticket, leave one waiting fetch; a batch over the cap is refused whole; a fetch that has
// started does not absorb a later change.
func TestWebhookCannotSpendBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBundle(t, nil)
	batch := func(prefix string, n int, ticket int64) ([]byte, map[string]string) {
		var parts []string
		for i := range n {
			parts = append(parts, fmt.Sprintf(`{"id":"%s-%04d","event":"ticket updated","object_id":%d}`, prefix, i, ticket))
		}
		body := []byte("[" + strings.Join(parts, ",") + "]")
		return body, map[string]string{"Token": halofake.Sign(webhookSecret, body)}
	}

	body, hdr := batch("over", server.DefaultMaxWebhookBatch+1, 77)
	code, reply := b.do(t, http.MethodPost, "/webhooks/halo", body, hdr)
	require.Equal(t, http.StatusRequestEntityTooLarge, code, reply)
	require.Contains(t, reply, fmt.Sprint(server.DefaultMaxWebhookBatch))
	require.Empty(t, fetchJobs(t, b), "a batch over the cap enqueues nothing")

	body, hdr = batch("same", server.DefaultMaxWebhookBatch, 77)
	code, reply = b.do(t, http.MethodPost, "/webhooks/halo", body, hdr)
	require.Equal(t, http.StatusAccepted, code, reply)
	require.Equal(t, 1, strings.Count(reply, `"accepted"`), reply)
	require.Equal(t, server.DefaultMaxWebhookBatch-1, strings.Count(reply, `"coalesced"`))
	for i := range 5 {
		one, h := signedBody(t, fmt.Sprintf("single-%d", i), 77)
		code, reply = b.do(t, http.MethodPost, "/webhooks/halo", one, h)
		require.Equal(t, http.StatusAccepted, code, reply)
		require.Contains(t, reply, `"coalesced"`)
	}
	js := fetchJobs(t, b)
	require.Len(t, js, 1, "one waiting fetch per ticket")
	var deliveries int
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT count(*) FROM halosync.webhook_deliveries WHERE job_id = $1`, js[0].ID).Scan(&deliveries))
	require.Equal(t, server.DefaultMaxWebhookBatch+5, deliveries, "every delivery is recorded against the waiting fetch")

	// Once the fetch runs, it may have read the ticket before the next change: that change gets its own.
	_, err := b.pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempted_at = now(), attempt = 1 WHERE id = $1`, js[0].ID)
	require.NoError(t, err)
	one, h := signedBody(t, "after-start", 77)
	code, reply = b.do(t, http.MethodPost, "/webhooks/halo", one, h)
	require.Equal(t, http.StatusAccepted, code, reply)
	require.Contains(t, reply, `"accepted"`)
	require.Len(t, fetchJobs(t, b), 2)

	// Delivery ids are bounded.
	long := []byte(fmt.Sprintf(`{"id":%q,"event":"ticket updated","object_id":78}`, strings.Repeat("x", 129)))
	code, reply = b.do(t, http.MethodPost, "/webhooks/halo", long, map[string]string{"Token": halofake.Sign(webhookSecret, long)})
	require.Equal(t, http.StatusBadRequest, code, reply)
	require.Len(t, fetchJobs(t, b), 2)
}

// rawRequest writes head (a request without its body) on a fresh connection and returns the status
// line the server answers within d, or "" when it answers nothing (it waits for the body).
func rawRequest(t *testing.T, addr, head string, d time.Duration) (string, net.Conn) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = conn.Write([]byte(head))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(d)))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), conn
}

// TestWebhookAuthenticatesBeforeReadingBody: a request without credentials, with wrong basic auth, or
// with a Token header that cannot be a signature is answered 401 while its announced body has not been
// sent; a request that announces more than the body cap gets 413 the same way.
func TestWebhookAuthenticatesBeforeReadingBody(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	addr := strings.TrimPrefix(b.ts.URL, "http://")
	head := func(extra string, length int) string {
		return "POST /webhooks/halo HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n" + extra +
			fmt.Sprintf("Content-Length: %d\r\n\r\n", length)
	}
	wrongBasic := "Authorization: Basic " + basic(hookUser, "wrong") + "\r\n"
	for name, extra := range map[string]string{
		"no credentials":        "",
		"wrong basic auth":      wrongBasic,
		"admin credentials":     "Authorization: Basic " + basic(adminUser, adminPassword) + "\r\n",
		"token not a signature": "Token: hello\r\n",
	} {
		status, _ := rawRequest(t, addr, head(extra, 1000), 3*time.Second)
		require.Equal(t, "HTTP/1.1 401 Unauthorized", status, name)
	}
	status, _ := rawRequest(t, addr, head("Authorization: Basic "+basic(hookUser, hookPassword)+"\r\n", server.DefaultMaxWebhookBody+1), 3*time.Second)
	require.Equal(t, "HTTP/1.1 413 Request Entity Too Large", status)
	// A well-formed Token header can only be checked against the body: the server waits for it.
	sig := halofake.Sign(webhookSecret, []byte("{}"))
	status, _ = rawRequest(t, addr, head("Token: "+sig+"\r\n", 1000), 500*time.Millisecond)
	require.Empty(t, status)
}

func basic(user, pass string) string {
	req, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// TestWebhookConcurrencyCap: with every slot held by a request that is slow to send its body, one more
// webhook request is answered 503 instead of tying up another goroutine, buffer and connection.
func TestWebhookConcurrencyCap(t *testing.T) {
	t.Parallel()
	b := newBundle(t, func(c *server.Config) { c.MaxConcurrentWebhooks = 2 })
	addr := strings.TrimPrefix(b.ts.URL, "http://")
	slow := "POST /webhooks/halo HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Basic " + basic(hookUser, hookPassword) +
		"\r\nContent-Length: 1000\r\n\r\n{"
	for range 2 {
		status, _ := rawRequest(t, addr, slow, 300*time.Millisecond)
		require.Empty(t, status, "the slow sender holds a slot")
	}
	one, hdr := signedBody(t, "while-busy", 5)
	start := time.Now()
	code, reply := b.do(t, http.MethodPost, "/webhooks/halo", one, hdr)
	require.Equal(t, http.StatusServiceUnavailable, code, reply)
	require.Less(t, time.Since(start), 30*time.Second)
	code, _ = b.do(t, http.MethodGet, "/healthz", nil, nil)
	require.Equal(t, http.StatusOK, code, "other endpoints are not capped")
}

// lockedBuffer is a log sink for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestWebhookRefusalsLoggedOncePerMinute: a flood of refused deliveries writes one log line with a
// count, not a line each.
func TestWebhookRefusalsLoggedOncePerMinute(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	b := newBundle(t, func(c *server.Config) { c.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	body, _ := signedBody(t, "refused", 9)
	for range 50 {
		code, _ := b.do(t, http.MethodPost, "/webhooks/halo", body, map[string]string{"Token": halofake.Sign("guess", body)})
		require.Equal(t, http.StatusUnauthorized, code)
	}
	out := logs.String()
	require.Equal(t, 1, strings.Count(out, "webhook deliveries refused"), out)
	require.LessOrEqual(t, strings.Count(out, "\n"), 2, out)
}

// TestMetricsIgnoreRequestHost: the Host header of a request does not become a label, so nobody can
// grow /metrics by sending requests under many names.
func TestMetricsIgnoreRequestHost(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	for i := range 20 {
		req, err := http.NewRequest(http.MethodGet, b.ts.URL+"/", nil)
		require.NoError(t, err)
		req.Host = fmt.Sprintf("grow-%d.example:%d", i, 10000+i)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	code, body := b.do(t, http.MethodGet, "/metrics", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "http_server_request_duration_seconds", "the server's own metrics are there")
	require.NotContains(t, body, "grow-")
	require.NotContains(t, body, `server_port="100`)
	require.Contains(t, body, `server_address="0.0.0.0"`)
}

// TestWriteTimeoutSparesRiverUI: the server's write timeout cuts a slow answer, but not an operator's
// River UI request. With a timeout that has always passed, /readyz gets no answer while the River UI's
// job list arrives whole.
func TestWriteTimeoutSparesRiverUI(t *testing.T) {
	t.Parallel()
	b := newBundle(t, func(c *server.Config) { c.WriteTimeout = time.Nanosecond })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = b.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.srv.Shutdown(ctx)
	})
	base := "http://" + ln.Addr().String()

	_, err = http.Get(base + "/readyz")
	require.Error(t, err, "the write deadline cut the answer")

	req, err := http.NewRequest(http.MethodGet, base+"/riverui/api/jobs?state=available", nil)
	require.NoError(t, err)
	req.SetBasicAuth(adminUser, adminPassword)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
}
