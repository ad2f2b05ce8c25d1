package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/jobs"
)

// Sign returns the Token header Halo sends with a delivery: base64(HMAC-SHA256(secret, body)).
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// delivery is the part of a Halo webhook payload the receiver reads (halo-api.md §9). The payload's
// ticket is only used for its id: the worker re-fetches the ticket from Halo.
type delivery struct {
	ID       string          `json:"id"`
	Event    string          `json:"event"`
	ObjectID json.RawMessage `json:"object_id"`
	Ticket   *struct {
		ID json.RawMessage `json:"id"`
	} `json:"ticket"`
}

// webhookReply is the JSON answer of the receiver.
type webhookReply struct {
	Status   string `json:"status"` // accepted, duplicate, ignored
	ID       string `json:"id,omitempty"`
	TicketID int64  `json:"ticket_id,omitempty"`
	JobID    int64  `json:"job_id,omitempty"`
}

// webhook receives Halo deliveries. It authenticates (HMAC Token header or admin basic auth, both
// compared in constant time), bounds the body, records the delivery id and enqueues a targeted fetch in
// one transaction, and answers at once: 202 accepted, 200 for a duplicate or a delivery about nothing
// halosync mirrors by webhook. A batched delivery (a JSON array) is handled element by element.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxWebhookBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.metrics.RecordWebhook(ctx, "too_large")
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if !s.webhookAuthorized(r, body) {
		s.metrics.RecordWebhook(ctx, "unauthorized")
		s.log.Warn("webhook refused: bad signature or credentials", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Basic realm="halosync webhooks", charset="UTF-8"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var list []delivery
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		err = json.Unmarshal(trimmed, &list)
	} else {
		var d delivery
		err = json.Unmarshal(trimmed, &d)
		list = []delivery{d}
	}
	if err != nil || len(list) == 0 {
		s.metrics.RecordWebhook(ctx, "invalid")
		http.Error(w, "payload is not a Halo webhook JSON object", http.StatusBadRequest)
		return
	}
	for _, d := range list {
		if strings.TrimSpace(d.ID) == "" {
			s.metrics.RecordWebhook(ctx, "invalid")
			http.Error(w, "payload has no id", http.StatusBadRequest)
			return
		}
	}
	replies := make([]webhookReply, 0, len(list))
	status := http.StatusOK
	for _, d := range list {
		rep, err := s.accept(ctx, d)
		if err != nil {
			s.log.Error("webhook: cannot record delivery", "id", d.ID, "err", err)
			http.Error(w, "cannot record delivery; retry later", http.StatusServiceUnavailable)
			return
		}
		s.metrics.RecordWebhook(ctx, rep.Status)
		if rep.Status == "accepted" {
			status = http.StatusAccepted
		}
		s.log.Info("webhook "+rep.Status, "id", d.ID, "event", d.Event, "ticket_id", rep.TicketID, "job_id", rep.JobID)
		replies = append(replies, rep)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if len(replies) == 1 {
		_ = json.NewEncoder(w).Encode(replies[0])
		return
	}
	_ = json.NewEncoder(w).Encode(replies)
}

// accept records one delivery and enqueues its fetch, atomically.
func (s *Server) accept(ctx context.Context, d delivery) (webhookReply, error) {
	rep := webhookReply{ID: d.ID}
	ticketID := d.ticketID()
	var objectID *int64
	if id, ok := parseID(d.ObjectID); ok {
		objectID = &id
	} else if ticketID > 0 {
		objectID = &ticketID
	}
	err := pgx.BeginFunc(ctx, s.cfg.Pool, func(tx pgx.Tx) error {
		fresh, err := s.store.RecordDelivery(ctx, tx, d.ID, d.Event, objectID)
		if err != nil {
			return err
		}
		if !fresh {
			rep.Status = "duplicate"
			return nil
		}
		if ticketID <= 0 {
			rep.Status = "ignored"
			return nil
		}
		res, err := s.cfg.River.InsertTx(ctx, tx, jobs.FetchTicketArgs{TicketID: ticketID}, nil)
		if err != nil {
			return err
		}
		rep.Status, rep.TicketID, rep.JobID = "accepted", ticketID, res.Job.ID
		return s.store.SetDeliveryJob(ctx, tx, d.ID, res.Job.ID)
	})
	return rep, err
}

// ticketID is the ticket a delivery is about: the embedded ticket's id, else object_id for ticket and
// action events; 0 when it is about something else.
func (d delivery) ticketID() int64 {
	if d.Ticket != nil {
		if id, ok := parseID(d.Ticket.ID); ok {
			return id
		}
	}
	ev := strings.ToLower(d.Event)
	if strings.Contains(ev, "ticket") || strings.Contains(ev, "action") || ev == "" {
		if id, ok := parseID(d.ObjectID); ok {
			return id
		}
	}
	return 0
}

// parseID reads a positive id sent as a number (possibly 42.0) or a string.
func parseID(raw json.RawMessage) (int64, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f == float64(int64(f)) {
		return int64(f), true
	}
	return 0, false
}

// webhookAuthorized checks the HMAC Token header (when a secret is configured) or admin basic auth.
func (s *Server) webhookAuthorized(r *http.Request, body []byte) bool {
	if tok := r.Header.Get("Token"); tok != "" && s.cfg.WebhookSecret != "" {
		want := Sign(s.cfg.WebhookSecret, body)
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(want)) == 1 {
			return true
		}
	}
	return s.checkAdmin(r)
}
