package halofake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clock is a settable Now for tests: time moves only when the test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type fake struct {
	*Server
	base  string
	clock *clock
	tok   string
}

func startFake(t *testing.T, opts Options) *fake {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	opts.Seed = 42
	s := New(opts)
	s.Generate(Small)
	base := s.Start()
	t.Cleanup(s.Close)
	f := &fake{Server: s, base: base, clock: c}
	f.tok = f.token(t, "all")
	return f
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), string(r.body))
	return m
}

func (r resp) array(t *testing.T) []any {
	t.Helper()
	var a []any
	require.NoError(t, json.Unmarshal(r.body, &a), string(r.body))
	return a
}

func (f *fake) do(t *testing.T, method, path, tok string, body string, hdr map[string]string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.base+path, rd)
	require.NoError(t, err)
	req.Header.Set("User-Agent", "halosync/test")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v) // an empty User-Agent makes net/http omit the header

	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func (f *fake) get(t *testing.T, path string) resp {
	t.Helper()
	return f.do(t, http.MethodGet, path, f.tok, "", nil)
}

func (f *fake) post(t *testing.T, path, body string) resp {
	t.Helper()
	return f.do(t, http.MethodPost, path, f.tok, body, nil)
}

func (f *fake) tokenRequest(t *testing.T, form url.Values, query string, hdr map[string]string) resp {
	t.Helper()
	return f.do(t, http.MethodPost, "/auth/token"+query, "", form.Encode(),
		merge(map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, hdr))
}

func merge(a, b map[string]string) map[string]string {
	for k, v := range b {
		a[k] = v
	}
	return a
}

func creds(scope string) url.Values {
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}}
	if scope != "" {
		v.Set("scope", scope)
	}
	return v
}

func (f *fake) token(t *testing.T, scope string) string {
	t.Helper()
	r := f.tokenRequest(t, creds(scope), "", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	tok, _ := r.json(t)["access_token"].(string)
	require.NotEmpty(t, tok)
	return tok
}

func rows(t *testing.T, m map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := m[key].([]any)
	require.True(t, ok, "missing key %q", key)
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		out[i] = r.(map[string]any)
	}
	return out
}

func ids(rs []map[string]any) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = int64(r["id"].(float64))
	}
	return out
}
