package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
)

// limiterPresent reports whether this checkout has the shared rate budget (sync/guard.go) and the binary
// plugs it in (cmd/halosync builds a Guard).
func limiterPresent() (bool, string) {
	if _, err := os.Stat(filepath.Join("..", "sync", "guard.go")); err != nil {
		return false, "limiter not present (no sync/guard.go)"
	}
	files, _ := filepath.Glob(filepath.Join("..", "cmd", "halosync", "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), "NewGuard(") {
			return true, ""
		}
	}
	return false, "limiter not present (cmd/halosync does not build a sync.Guard)"
}

// BenchmarkRateBudget: the worker binary's initial sync of the medium tenant with Halo's limit scaled down
// to 60 requests per 10 s on the fake and in HALO_RATE_LIMIT: accepted requests in the first 60 s ÷ the 360
// the limit allows, and the 429s.
func BenchmarkRateBudget(b *testing.B) {
	const (
		limit   = 60
		window  = 10 * time.Second
		measure = 60 * time.Second
	)
	useName, n429Name := "rate-budget use: accepted ÷ allowed (60 per 10 s)", "rate-budget: 429 answers"
	if ok, why := limiterPresent(); !ok {
		notMeasured("rate_use", useName, "≥ 0.9", why)
		notMeasured("rate_429", n429Name, "0", why)
		return
	}
	if _, err := binary(); err != nil {
		notMeasured("rate_use", useName, "≥ 0.9", err.Error())
		notMeasured("rate_429", n429Name, "0", err.Error())
		return
	}
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 4, RateLimit: limit, RateWindow: window})
	fake.Generate(tenant) // ~900 requests: the sync outlasts the measurement
	t := serveFake(b, fake)
	dbURL, _ := testdb.NewURL(b)
	p := start(b, haloEnv(t.url, dbURL, fmt.Sprintf("HALO_RATE_LIMIT=%d/%s", limit, window), "HALOSYNC_HTTP_ADDR="+freeAddr(b)), "worker")

	var t0 time.Time
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if hits := t.log(); len(hits) > 0 {
			t0 = hits[0].At
			break
		}
	}
	if t0.IsZero() {
		notMeasured("rate_use", useName, "≥ 0.9", "the worker sent no request within 30 s")
		notMeasured("rate_429", n429Name, "0", "the worker sent no request within 30 s")
		b.Logf("worker output:\n%s", lastLines(p.out.String(), 20))
		return
	}
	time.Sleep(time.Until(t0.Add(measure + 200*time.Millisecond)))
	p.stop(5 * time.Second)

	accepted, rejected := 0, 0
	for _, h := range t.log() {
		if h.At.Before(t0) || !h.At.Before(t0.Add(measure)) {
			continue
		}
		if h.Status == http.StatusTooManyRequests {
			rejected++
		} else {
			accepted++
		}
	}
	allowed := limit * int(measure/window)
	use := float64(accepted) / float64(allowed)
	measured("rate_use", useName, use, "ratio", fmt.Sprintf("%.2f (%d of %d in %s)", use, accepted, allowed, measure),
		"≥ 0.9", boolp(use >= 0.9), "`halosync worker` (4 pull workers) with HALO_RATE_LIMIT=60/10s against the fake limited to 60 per rolling 10 s; every request counts, the token request included")
	measured("rate_429", n429Name, float64(rejected), "count", fmt.Sprint(rejected), "0", boolp(rejected == 0), "")
	b.ReportMetric(use, "of-budget")
}

// BenchmarkFreshness: the worker binary with its webhook endpoint and push: a change in the fake (signed
// webhook delivery) until the row is in the mirror, and a local UPDATE until the fake has the change, 200
// each, one every 50 ms.
func BenchmarkFreshness(b *testing.B) {
	const (
		changes = 200
		every   = 50 * time.Millisecond
		secret  = "bench-webhook-secret"
	)
	whName, pushName := "freshness: webhook → row in the mirror (p50 / p99)", "freshness: local UPDATE → record in Halo (p50 / p99)"
	if _, err := binary(); err != nil {
		notMeasured("fresh_webhook", whName, "p99 < 1 s", err.Error())
		notMeasured("fresh_push", pushName, "p99 < 2 s", err.Error())
		return
	}
	ctx := context.Background()
	addr := freeAddr(b)
	fake := halofake.New(halofake.Options{BulkActions: true, Seed: 5, WebhookURL: "http://" + addr + "/webhooks/halo", WebhookSecret: secret})
	fake.Generate(halofake.Size{Clients: 50, Sites: 100, Users: 500, Agents: 20, Tickets: 2000, ActionsPerTicket: 3, Assets: 100, Contracts: 20})
	t := serveFake(b, fake)
	dbURL, pool := testdb.NewURL(b)
	env := haloEnv(t.url, dbURL, "HALO_RATE_LIMIT=1000000/5m", "HALO_WEBHOOK_SECRET="+secret, "HALOSYNC_HTTP_ADDR="+addr,
		"HALOSYNC_INTERVAL_TICKETS=1h", "HALOSYNC_INTERVAL_CUSTOMERS=1h", "HALOSYNC_INTERVAL_LOOKUPS=1h", "HALOSYNC_FULL_INTERVAL=0")
	if err := start(b, env, "sync", "--once").wait(3 * time.Minute); err != nil {
		b.Fatalf("initial sync: %v", err)
	}
	w := start(b, env, "worker")
	if !waitHTTP("http://"+addr+"/healthz", 30*time.Second) {
		b.Fatalf("worker not healthy within 30 s:\n%s", lastLines(w.out.String(), 20))
	}
	ids, err := liveTicketIDs(ctx, pool)
	if err != nil || len(ids) < 2*changes {
		b.Fatalf("live tickets: %d, %v", len(ids), err)
	}

	// Halo → mirror.
	lat, why := webhookLatencies(ctx, pool, fake, ids[:changes], every)
	if why != "" {
		notMeasured("fresh_webhook", whName, "p99 < 1 s", why)
	} else {
		p50, p99 := percentile(lat, 0.5), percentile(lat, 0.99)
		measured("fresh_webhook", whName, p99.Seconds(), "s p99", fmt.Sprintf("%s / %s", ms(p50), ms(p99)), "p99 < 1 s", boolp(p99 < time.Second),
			fmt.Sprintf("%d ticket updates in the fake, one every %s; from the update (the fake then POSTs its signed delivery) until the new summary is in halo.tickets (polled every 5 ms); halosync's own budget set out of the way", changes, every))
	}

	// Mirror → Halo.
	lat, why = pushLatencies(ctx, pool, t, ids[changes:2*changes], every)
	if why != "" {
		notMeasured("fresh_push", pushName, "p99 < 2 s", why)
	} else {
		p50, p99 := percentile(lat, 0.5), percentile(lat, 0.99)
		measured("fresh_push", pushName, p99.Seconds(), "s p99", fmt.Sprintf("%s / %s", ms(p50), ms(p99)), "p99 < 2 s", boolp(p99 < 2*time.Second),
			fmt.Sprintf("%d UPDATEs of halo.tickets.summary, one every %s; from the UPDATE until the fake has answered the POST that carries it", changes, every))
	}
	b.Logf("worker output (tail):\n%s", lastLines(w.out.String(), 5))
}

func waitHTTP(url string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r, err := http.Get(url); err == nil {
			_ = r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return true
			}
		}
	}
	return false
}

// webhookLatencies changes each ticket's summary in the fake and waits for it in the mirror.
func webhookLatencies(ctx context.Context, pool *pgxpool.Pool, fake *halofake.Server, ids []int64, every time.Duration) ([]time.Duration, string) {
	var mu sync.Mutex
	sent := map[int64]time.Time{}
	want := map[int64]string{}
	var lat []time.Duration
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // poller
		defer close(done)
		for {
			mu.Lock()
			pending := make([]int64, 0, len(want))
			for id := range want {
				pending = append(pending, id)
			}
			mu.Unlock()
			if len(pending) > 0 {
				rows, err := pool.Query(ctx, `SELECT id, summary FROM halo.tickets WHERE id = ANY($1)`, pending)
				if err == nil {
					now := time.Now()
					for rows.Next() {
						var id int64
						var s string
						if rows.Scan(&id, &s) == nil {
							mu.Lock()
							if w, ok := want[id]; ok && w == s {
								lat = append(lat, now.Sub(sent[id]))
								delete(want, id)
							}
							mu.Unlock()
						}
					}
					rows.Close()
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); <-done }()

	for i, id := range ids {
		s := fmt.Sprintf("bench fresh %d", i)
		mu.Lock()
		want[id], sent[id] = s, time.Now()
		mu.Unlock()
		fake.Update("tickets", id, map[string]any{"summary": s})
		if i == 0 && !waitFor(10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(want) == 0 }) {
			d := fake.Deliveries()
			status := "no delivery"
			if len(d) > 0 {
				status = fmt.Sprintf("the receiver answered %d %s", d[0].Status, d[0].Err)
			}
			return nil, "the first change did not reach the mirror within 10 s (" + status + ")"
		}
		time.Sleep(every)
	}
	if !waitFor(30*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(want) == 0 }) {
		mu.Lock()
		defer mu.Unlock()
		return nil, fmt.Sprintf("%d of %d changes did not reach the mirror within 30 s", len(want), len(ids))
	}
	mu.Lock()
	defer mu.Unlock()
	return lat, ""
}

// pushLatencies updates each ticket's summary in the mirror and waits for the fake to receive it.
func pushLatencies(ctx context.Context, pool *pgxpool.Pool, t *tap, ids []int64, every time.Duration) ([]time.Duration, string) {
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []time.Duration
	t.mu.Lock()
	t.onPost = func(path string, body []byte, at time.Time) {
		if path != "/api/tickets" {
			return
		}
		var recs []map[string]any
		if json.Unmarshal(body, &recs) != nil {
			var one map[string]any
			if json.Unmarshal(body, &one) != nil {
				return
			}
			recs = []map[string]any{one}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			if s, ok := r["summary"].(string); ok {
				if t0, ok := sent[s]; ok {
					lat = append(lat, at.Sub(t0))
					delete(sent, s)
				}
			}
		}
	}
	t.mu.Unlock()
	defer func() { t.mu.Lock(); t.onPost = nil; t.mu.Unlock() }()

	for i, id := range ids {
		s := fmt.Sprintf("bench push %d", i)
		mu.Lock()
		sent[s] = time.Now()
		mu.Unlock()
		if _, err := pool.Exec(ctx, `UPDATE halo.tickets SET summary = $1 WHERE id = $2`, s, id); err != nil {
			return nil, "local UPDATE refused: " + firstLine(err.Error())
		}
		if i == 0 && !waitFor(10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(lat) == 1 }) {
			var state string
			_ = pool.QueryRow(ctx, `SELECT coalesce(string_agg(state || coalesce(': ' || last_error, ''), '; '), 'no outbox row') FROM halosync.outbox`).Scan(&state)
			return nil, "the first edit did not reach the fake within 10 s (outbox: " + firstLine(state) + ")"
		}
		time.Sleep(every)
	}
	if !waitFor(30*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(sent) == 0 }) {
		mu.Lock()
		defer mu.Unlock()
		return nil, fmt.Sprintf("%d of %d edits did not reach the fake within 30 s", len(sent), len(ids))
	}
	mu.Lock()
	defer mu.Unlock()
	return lat, ""
}

func waitFor(d time.Duration, ok func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ok() {
			return true
		}
	}
	return ok()
}
