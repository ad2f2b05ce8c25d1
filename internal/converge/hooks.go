package converge

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	gosync "sync"
)

// hookQueue receives the fake Halo's webhook deliveries and holds them until an operation delivers, repeats,
// reorders or loses them. Held deliveries are delayed ones; those still held at the end are lost.
type hookQueue struct {
	target string // halosync's receiver
	ts     *httptest.Server

	mu        gosync.Mutex
	held      []delivery
	delivered []delivery
}

type delivery struct {
	body  []byte
	token string
}

func newHookQueue(target string) *hookQueue { return &hookQueue{target: target} }

func (q *hookQueue) start() string {
	q.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		q.mu.Lock()
		q.held = append(q.held, delivery{body: body, token: r.Header.Get("Token")})
		q.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	return q.ts.URL
}

func (q *hookQueue) close() {
	if q.ts != nil {
		q.ts.Close()
	}
}

// take removes a held delivery: the oldest, or the newest (out of order).
func (q *hookQueue) take(newest bool) (delivery, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.held) == 0 {
		return delivery{}, false
	}
	i := 0
	if newest {
		i = len(q.held) - 1
	}
	d := q.held[i]
	q.held = append(q.held[:i:i], q.held[i+1:]...)
	return d, true
}

// deliver takes a held delivery and POSTs it to halosync; lose drops it instead.
func (q *hookQueue) deliver(newest bool) error {
	d, ok := q.take(newest)
	if !ok {
		return nil
	}
	q.mu.Lock()
	q.delivered = append(q.delivered, d)
	q.mu.Unlock()
	return q.post(d)
}

func (q *hookQueue) lose() { q.take(false) }

// duplicate re-sends the pick-th delivered delivery (Halo's manual re-send: same id, same body).
func (q *hookQueue) duplicate(pick int) error {
	q.mu.Lock()
	if len(q.delivered) == 0 {
		q.mu.Unlock()
		return nil
	}
	d := q.delivered[pick%len(q.delivered)]
	q.mu.Unlock()
	return q.post(d)
}

func (q *hookQueue) post(d delivery) error {
	req, err := http.NewRequest(http.MethodPost, q.target, bytes.NewReader(d.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "HaloPSA-Webhook")
	req.Header.Set("Token", d.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("deliver webhook: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	// 503 (cannot record: the database dropped) is Halo's problem to retry, i.e. a lost delivery here.
	if resp.StatusCode >= 400 && resp.StatusCode != http.StatusServiceUnavailable {
		return fmt.Errorf("deliver webhook: receiver answered %d", resp.StatusCode)
	}
	return nil
}
