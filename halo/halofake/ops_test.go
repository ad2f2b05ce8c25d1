package halofake

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRateLimitRollingWindow(t *testing.T) {
	f := startFake(t, Options{RateLimit: 5, RateWindow: time.Minute}) // the token request at 0s counts
	for i := 0; i < 4; i++ {
		f.clock.Add(10 * time.Second)
		require.Equal(t, http.StatusOK, f.get(t, "/api/Status").status) // 10s, 20s, 30s, 40s
	}
	r := f.get(t, "/api/Status")
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Empty(t, r.header.Get("Retry-After"))
	require.Contains(t, string(r.body), "Rate Limit Reached - 5 Requests per rolling 1 minute window")
	// The token endpoint is limited too.
	require.Equal(t, http.StatusTooManyRequests, f.tokenRequest(t, creds("all"), "", nil).status)

	// Rolling: at 59s still blocked; at 60s the 0s hit leaves the window and frees one slot.
	f.clock.Add(19 * time.Second)
	require.Equal(t, http.StatusTooManyRequests, f.get(t, "/api/Status").status)
	f.clock.Add(time.Second)
	require.Equal(t, http.StatusOK, f.get(t, "/api/Status").status)
	require.Equal(t, http.StatusTooManyRequests, f.get(t, "/api/Status").status)
	f.clock.Add(10 * time.Second)
	require.Equal(t, http.StatusOK, f.get(t, "/api/Status").status)
	f.clock.Add(2 * time.Minute)
	for i := 0; i < 5; i++ {
		require.Equal(t, http.StatusOK, f.get(t, "/api/Status").status)
	}
	require.Equal(t, http.StatusTooManyRequests, f.get(t, "/api/Status").status)

	// Halo's default message.
	def := startFake(t, Options{RateLimit: 1, RateWindow: 5 * time.Minute})
	r = def.get(t, "/api/Status")
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Contains(t, string(r.body), "Rate Limit Reached - 1 Requests per rolling 5 minute window")
}

func TestFaultsAndRequestLog(t *testing.T) {
	f := startFake(t, Options{})
	f.ResetRequests()
	f.SetFault(Faults{ErrorRate: 1})
	for i := 0; i < 10; i++ {
		r := f.get(t, "/api/Tickets")
		require.GreaterOrEqual(t, r.status, 500)
	}
	require.Equal(t, http.StatusOK, f.tokenRequest(t, creds("all"), "", nil).status) // token endpoint unaffected

	f.SetFault(Faults{ErrorRate: 0.5})
	fails := 0
	for i := 0; i < 100; i++ {
		if f.get(t, "/api/Status").status >= 500 {
			fails++
		}
	}
	require.InDelta(t, 50, fails, 25)

	f.SetFault(Faults{Forbidden: map[string]bool{"Tickets": true, "clients": true}, Latency: time.Millisecond})
	require.Equal(t, http.StatusForbidden, f.get(t, "/api/Tickets?pageinate=true").status)
	require.Equal(t, http.StatusForbidden, f.get(t, "/api/Client").status)
	require.Equal(t, http.StatusOK, f.get(t, "/api/Site").status)
	f.SetFault(Faults{})
	require.Equal(t, http.StatusOK, f.get(t, "/api/Tickets").status)

	log := f.Requests()
	require.Len(t, log, 10+1+100+3+1)
	require.Equal(t, "/api/tickets", log[0].Path)
	require.Equal(t, http.MethodGet, log[0].Method)
	require.GreaterOrEqual(t, log[0].Status, 500)
	require.Equal(t, "/auth/token", log[10].Path)
	last := log[len(log)-1]
	require.Equal(t, http.StatusOK, last.Status)
	forbidden := log[len(log)-4]
	require.Equal(t, "true", forbidden.Query.Get("pageinate"))
	require.Equal(t, http.StatusForbidden, forbidden.Status)
	f.ResetRequests()
	require.Empty(t, f.Requests())
}

type received struct {
	body  []byte
	token string
}

func TestWebhooksSignedAndResend(t *testing.T) {
	var mu sync.Mutex
	var got []received
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{b, r.Header.Get("Token")})
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer recv.Close()
	f := startFake(t, Options{WebhookURL: recv.URL, WebhookSecret: "s3cret"})

	require.Equal(t, http.StatusCreated, f.post(t, "/api/Tickets", `[{"id":3,"status_id":9}]`).status)
	require.Equal(t, http.StatusCreated, f.post(t, "/api/Tickets", `[{"summary":"hello"}]`).status)
	require.Equal(t, http.StatusOK, f.do(t, http.MethodDelete, "/api/Tickets/4", f.tok, "", nil).status)
	f.Update("tickets", 5, map[string]any{"summary": "hook"})
	f.AddAction(6, "note")
	require.Equal(t, http.StatusCreated, f.post(t, "/api/Client", `[{"id":1,"name":"no hook"}]`).status)
	f.WaitDeliveries()

	mu.Lock()
	require.Len(t, got, 5)
	events := map[string]bool{}
	for _, g := range got {
		require.Equal(t, Sign("s3cret", g.body), g.token)
		var p map[string]any
		require.NoError(t, json.Unmarshal(g.body, &p))
		for _, k := range []string{"id", "webhook_id", "notification_id", "escmsg_id", "event", "message", "object_id", "agent_id", "timestamp", "ticket"} {
			require.Contains(t, p, k)
		}
		tk := p["ticket"].(map[string]any)
		require.Equal(t, p["object_id"], tk["id"])
		events[p["event"].(string)] = true
	}
	mu.Unlock()
	require.True(t, events["ticket status changed"])
	require.True(t, events["new ticket logged"])
	require.True(t, events["ticket deleted"])
	require.True(t, events["action added"])

	ds := f.Deliveries()
	require.Len(t, ds, 5)
	require.Equal(t, http.StatusOK, ds[0].Status)
	require.NoError(t, f.Resend(ds[0].ID))
	mu.Lock()
	require.Len(t, got, 6)
	require.Equal(t, got[len(got)-1].body, ds[0].Body) // a duplicate: same id, same bytes
	mu.Unlock()
	require.Equal(t, 2, f.Deliveries()[0].Attempts)
	require.Error(t, f.Resend("nope"))
}

func TestWebhookFailureIsNotRetried(t *testing.T) {
	calls := 0
	var mu sync.Mutex
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer recv.Close()
	f := startFake(t, Options{WebhookURL: recv.URL})
	f.Update("tickets", 2, map[string]any{"summary": "x"})
	f.WaitDeliveries()
	d := f.Deliveries()
	require.Len(t, d, 1)
	require.Equal(t, http.StatusInternalServerError, d[0].Status)
	require.Equal(t, 1, d[0].Attempts)
	mu.Lock()
	require.Equal(t, 1, calls)
	mu.Unlock()
}

func TestRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, addr, Small, Options{}) }()
	var status int
	for i := 0; i < 200 && status == 0; i++ { // wait until it listens
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/authinfo", nil)
		req.Header.Set("User-Agent", "halosync/test")
		if res, err := http.DefaultClient.Do(req); err == nil {
			status = res.StatusCode
			res.Body.Close()
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	require.Equal(t, http.StatusOK, status)
	cancel()
	require.NoError(t, <-done)
}
