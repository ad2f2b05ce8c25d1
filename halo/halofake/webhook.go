package halofake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Delivery is one webhook delivery as recorded in Halo's "Deliveries" tab.
type Delivery struct {
	ID       string // the payload's top-level GUID id (receivers de-duplicate on it)
	Event    string
	TicketID int64
	Body     []byte
	Attempts int    // 1, plus one per Resend
	Status   int    // receiver's status on the last attempt; 0 on transport error
	Err      string // transport error of the last attempt
}

type webhooks struct {
	s         *Server
	mu        sync.Mutex
	list      []*Delivery
	wg        sync.WaitGroup
	r         *rng
	webhookID string
	client    *http.Client
}

func newWebhooks(s *Server) *webhooks {
	r := newRNG(s.opts.Seed, kWebhook, 0)
	return &webhooks{s: s, r: r, webhookID: r.guid(), client: &http.Client{Timeout: 10 * time.Second}}
}

var notificationIDs = map[string]int64{"new ticket logged": 3, "ticket updated": 61, "ticket status changed": 62,
	"ticket deleted": 63, "ticket restored": 61, "action added": 64}

// emit queues deliveries for ticket events; they are POSTed asynchronously, once (Halo
// documents no automatic retry, §9).
func (h *webhooks) emit(events []event) {
	url := h.s.opts.WebhookURL
	if url == "" || len(events) == 0 {
		return
	}
	for _, ev := range events {
		h.mu.Lock()
		id, esc := h.r.guid(), h.r.guid()
		h.mu.Unlock()
		payload := obj{{"id", id}, {"webhook_id", h.webhookID}, {"notification_id", notificationIDs[ev.name]},
			{"escmsg_id", esc}, {"event", ev.name}, {"message", ev.message}, {"object_id", ev.ticketID},
			{"agent_id", int64(max(h.s.size.Agents, 2))}, {"timestamp", netTime(h.s.now(), true)}, {"ticket", ev.ticket}}
		var b bytes.Buffer
		if err := writeJSON(&b, payload); err != nil {
			continue
		}
		d := &Delivery{ID: id, Event: ev.name, TicketID: ev.ticketID, Body: b.Bytes()}
		h.mu.Lock()
		h.list = append(h.list, d)
		h.mu.Unlock()
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.send(d)
		}()
	}
}

// Sign returns the Token header value for body: base64(HMAC-SHA256(secret, body)).
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (h *webhooks) send(d *Delivery) {
	req, err := http.NewRequest(http.MethodPost, h.s.opts.WebhookURL, bytes.NewReader(d.Body))
	status, errText := 0, ""
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "HaloPSA-Webhook")
		if h.s.opts.WebhookSecret != "" {
			req.Header.Set("Token", Sign(h.s.opts.WebhookSecret, d.Body))
		}
		var resp *http.Response
		resp, err = h.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			status = resp.StatusCode
		}
	}
	if err != nil {
		errText = err.Error()
	}
	h.mu.Lock()
	d.Attempts++
	d.Status, d.Err = status, errText
	h.mu.Unlock()
}

func (h *webhooks) wait() { h.wg.Wait() }

// Deliveries returns a copy of the delivery log, oldest first.
func (s *Server) Deliveries() []Delivery {
	h := s.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Delivery, len(h.list))
	for i, d := range h.list {
		out[i] = *d
	}
	return out
}

// WaitDeliveries blocks until every queued delivery has been attempted.
func (s *Server) WaitDeliveries() { s.hooks.wait() }

// Resend re-POSTs a recorded delivery with the same body (and id), like the manual
// re-send in Halo's delivery log: receivers see a duplicate. It returns once sent.
func (s *Server) Resend(deliveryID string) error {
	h := s.hooks
	h.mu.Lock()
	var d *Delivery
	for _, x := range h.list {
		if x.ID == deliveryID {
			d = x
		}
	}
	h.mu.Unlock()
	if d == nil {
		return fmt.Errorf("halofake: no delivery %q", deliveryID)
	}
	h.send(d)
	h.mu.Lock()
	defer h.mu.Unlock()
	if d.Err != "" {
		return fmt.Errorf("halofake: resend %s: %s", deliveryID, d.Err)
	}
	return nil
}
