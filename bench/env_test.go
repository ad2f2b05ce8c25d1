package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// hit is one request the fake answered, as seen from outside it (with a time stamp, which the fake's own
// request log does not keep).
type hit struct {
	At     time.Time
	Method string
	Path   string // lowercased, no query
	Status int
	Served time.Duration // how long the fake took to answer
}

// tap serves a fake Halo over real HTTP and logs every request with its time.
type tap struct {
	fake *halofake.Server
	url  string

	mu     sync.Mutex
	hits   []hit
	onPost func(path string, body []byte, at time.Time) // called after a 2xx POST
}

// clock is a fake-Halo clock that a benchmark can move forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// serveFake serves fake on a local HTTP server behind a tap; both close at cleanup.
func serveFake(tb testing.TB, fake *halofake.Server) *tap {
	tb.Helper()
	t := &tap{fake: fake}
	ts := httptest.NewServer(t)
	t.url = ts.URL
	tb.Cleanup(func() { ts.Close(); fake.Close() })
	return t
}

type statusRec struct {
	http.ResponseWriter
	status int
}

func (w *statusRec) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRec) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (t *tap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Method == http.MethodPost {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	sw := &statusRec{ResponseWriter: w}
	began := time.Now()
	t.fake.ServeHTTP(sw, r)
	now := time.Now()
	path := strings.ToLower(r.URL.Path)
	t.mu.Lock()
	t.hits = append(t.hits, hit{At: now, Method: r.Method, Path: path, Status: sw.status, Served: now.Sub(began)})
	cb := t.onPost
	t.mu.Unlock()
	if cb != nil && body != nil && sw.status >= 200 && sw.status < 300 {
		cb(path, body, now)
	}
}

func (t *tap) log() []hit {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]hit(nil), t.hits...)
}

func (t *tap) reset() {
	t.mu.Lock()
	t.hits = nil
	t.mu.Unlock()
	t.fake.ResetRequests()
}

// apiRequests counts /api requests (token requests excluded) whose path starts with one of prefixes (all
// /api requests when none is given).
func apiRequests(hits []hit, prefixes ...string) int {
	n := 0
	for _, h := range hits {
		if !strings.HasPrefix(h.Path, "/api/") {
			continue
		}
		if len(prefixes) == 0 {
			n++
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(h.Path, p) {
				n++
				break
			}
		}
	}
	return n
}

// puller wires the real halo client and store to the fake, as the binary does (no limiter: rate limit off).
func puller(tb testing.TB, base string, pool *pgxpool.Pool) *hsync.Puller {
	tb.Helper()
	hc, err := halo.New(halo.Config{BaseURL: base, ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret, Scope: "all"})
	if err != nil {
		tb.Fatal(err)
	}
	// Concurrency: HALOSYNC_WORKERS' default, which `halosync sync --once` uses.
	return &hsync.Puller{Halo: hc, Store: store.New(pool), WaitForLock: true, Concurrency: 4}
}

// mirrorTable is one halo.* base table and the columns a load writes: all but synced_at and change_xid (a
// default and a trigger fill them) and generated columns.
type mirrorTable struct {
	ident pgx.Identifier // {"halo", name}
	cols  []string
}

// mirrorTables lists every halo.* base table from the catalogue, not only the entity tables of store.Tables:
// the sync also writes custom field values and invoice and quote lines, and the ingest figure counts (and
// the COPY baseline loads) all of them.
func mirrorTables(ctx context.Context, q store.Querier) ([]mirrorTable, error) {
	rows, err := q.Query(ctx, `SELECT c.relname, array_agg(a.attname::text ORDER BY a.attnum)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = 'halo'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attgenerated = '' AND a.attname NOT IN ('synced_at', 'change_xid')
GROUP BY c.relname ORDER BY c.relname`)
	if err != nil {
		return nil, err
	}
	var out []mirrorTable
	var name string
	var cols []string
	_, err = pgx.ForEachRow(rows, []any{&name, &cols}, func() error {
		out = append(out, mirrorTable{ident: pgx.Identifier{"halo", name}, cols: cols})
		return nil
	})
	return out, err
}

// tableRows counts all rows of the halo.* tables.
func tableRows(ctx context.Context, q store.Querier) (int64, error) {
	tables, err := mirrorTables(ctx, q)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, t := range tables {
		var n int64
		if err := q.QueryRow(ctx, `SELECT count(*) FROM `+t.ident.Sanitize()).Scan(&n); err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// liveTicketIDs lists the mirrored tickets that are not tombstoned.
func liveTicketIDs(ctx context.Context, pool *pgxpool.Pool) ([]int64, error) {
	rows, err := pool.Query(ctx, `SELECT id FROM halo.tickets WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// spread picks n ids spread evenly over ids, starting at offset (so rounds pick different ids).
func spread(ids []int64, n, offset int) []int64 {
	out := make([]int64, 0, n)
	step := max(len(ids)/n, 1)
	for i := 0; i < n && i < len(ids); i++ {
		out = append(out, ids[(offset+i*step)%len(ids)])
	}
	return out
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p*float64(len(s)) + 0.999999) // nearest rank
	return s[min(max(rank, 1), len(s))-1]
}

func median(d []time.Duration) time.Duration { return percentile(d, 0.5) }

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// ---------------------------------------------------------------------------------------------------------
// The real binary.

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// binary builds cmd/halosync from this checkout once per run.
func binary() (string, error) {
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "halosync-bench-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "halosync")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/halosync")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/halosync: %v: %s", err, firstLine(string(out)))
		}
	})
	return binPath, binErr
}

func cleanupBinary() {
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// proc is a running halosync process.
type proc struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	done   chan struct{}
	err    error
	peakKB atomic.Int64 // highest VmHWM seen in /proc/<pid>/status
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 4<<20 {
		return len(p), nil // keep the head; enough for a post-mortem
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// haloEnv is the environment that points the binary at the fake and the database.
func haloEnv(fakeURL, dbURL string, extra ...string) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "HALO_") || strings.HasPrefix(k, "HALOSYNC_") || k == "DATABASE_URL" || strings.HasPrefix(k, "OTEL_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "DATABASE_URL="+dbURL, "HALO_RESOURCE_SERVER="+fakeURL,
		"HALO_CLIENT_ID="+halofake.DefaultClientID, "HALO_CLIENT_SECRET="+halofake.DefaultClientSecret,
		"HALOSYNC_LOG_LEVEL=warn", "HALOSYNC_LOG_FORMAT=json")
	return append(env, extra...)
}

// start runs the binary with args and env, sampling its peak RSS.
func start(tb testing.TB, env []string, args ...string) *proc {
	tb.Helper()
	bin, err := binary()
	if err != nil {
		tb.Fatal(err)
	}
	p := &proc{out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	go func() {
		status := fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb := vmHWM(status); kb > p.peakKB.Load() {
				p.peakKB.Store(kb)
			}
			select {
			case <-p.done:
				return
			case <-tick.C:
			}
		}
	}()
	tb.Cleanup(func() { p.stop(5 * time.Second) })
	return p
}

func vmHWM(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// wait waits for the process to exit, at most d.
func (p *proc) wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return fmt.Errorf("still running after %s", d)
	}
}

// stop sends SIGTERM, then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// peakRSSKB is the process's peak resident set: the highest VmHWM (a high-water mark of its own memory)
// sampled while it ran. Not ru_maxrss: Linux carries the parent's high-water mark across fork and exec
// into the child's ru_maxrss, so it would report this (large) benchmark process, not the worker.
func (p *proc) peakRSSKB() int64 {
	return p.peakKB.Load()
}

// freeAddr returns a free loopback address.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
