package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	Status   string `json:"status"` // accepted, coalesced (a fetch of the ticket is waiting), duplicate, ignored
	ID       string `json:"id,omitempty"`
	TicketID int64  `json:"ticket_id,omitempty"`
	JobID    int64  `json:"job_id,omitempty"`
}

// maxDeliveryID is the longest delivery id accepted (Halo sends a 36-character GUID); ids are stored
// for de-duplication, so their length is bounded.
const maxDeliveryID = 128

// webhookSlotWait is how long a webhook request waits for one of the MaxConcurrentWebhooks slots.
const webhookSlotWait = 5 * time.Second

// webhookReadTimeout bounds reading one delivery's body.
const webhookReadTimeout = 30 * time.Second

// webhook receives Halo deliveries. It authenticates before reading the body wherever the mode allows
// (basic auth fully; an HMAC Token header must at least be well-formed), bounds the body and the batch,
// records the delivery id and enqueues a targeted fetch in one transaction — none when a fetch of the
// ticket is still waiting — and answers at once: 202 accepted, 200 for a duplicate or a delivery about
// nothing halosync mirrors by webhook. A batched delivery (a JSON array) is handled element by element.
// Refusals are counted in metrics and logged at most once a minute.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	release, ok := s.webhookSlot(ctx)
	if !ok {
		w.Header().Set("Retry-After", "5")
		s.refuse(w, r, "busy", http.StatusServiceUnavailable, "too many webhook requests at once; retry later")
		return
	}
	defer release()

	basicOK := s.cfg.WebhookPassword != "" && checkBasic(r, s.hookUser, s.hookPass)
	token := strings.TrimSpace(r.Header.Get("Token"))
	if !basicOK && !s.tokenWellFormed(token) {
		s.refuseUnauthorized(w, r)
		return
	}
	if r.ContentLength > s.cfg.MaxWebhookBody {
		s.refuse(w, r, "too_large", http.StatusRequestEntityTooLarge, "payload too large")
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(webhookReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxWebhookBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.refuse(w, r, "too_large", http.StatusRequestEntityTooLarge, "payload too large")
			return
		}
		s.refuse(w, r, "invalid", http.StatusBadRequest, "cannot read body")
		return
	}
	if !basicOK && !hmac.Equal([]byte(token), []byte(Sign(s.cfg.WebhookSecret, body))) {
		s.refuseUnauthorized(w, r)
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
		s.refuse(w, r, "invalid", http.StatusBadRequest, "payload is not a Halo webhook JSON object")
		return
	}
	if len(list) > s.cfg.MaxWebhookBatch {
		s.refuse(w, r, "too_large", http.StatusRequestEntityTooLarge,
			fmt.Sprintf("batch of %d deliveries; at most %d per request", len(list), s.cfg.MaxWebhookBatch))
		return
	}
	for _, d := range list {
		switch {
		case strings.TrimSpace(d.ID) == "":
			s.refuse(w, r, "invalid", http.StatusBadRequest, "payload has no id")
			return
		case len(d.ID) > maxDeliveryID:
			s.refuse(w, r, "invalid", http.StatusBadRequest, fmt.Sprintf("delivery id longer than %d characters", maxDeliveryID))
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
		if rep.Status == "accepted" || rep.Status == "coalesced" {
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

// webhookSlot takes one of the MaxConcurrentWebhooks slots, waiting up to webhookSlotWait.
func (s *Server) webhookSlot(ctx context.Context) (release func(), ok bool) {
	t := time.NewTimer(webhookSlotWait)
	defer t.Stop()
	select {
	case s.hookSlots <- struct{}{}:
		return func() { <-s.hookSlots }, true
	case <-t.C:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}

// tokenWellFormed reports whether a Token header can be a signature by HALO_WEBHOOK_SECRET (the
// base64 of an HMAC-SHA256), so a request without one is refused before its body is read.
func (s *Server) tokenWellFormed(token string) bool {
	if s.cfg.WebhookSecret == "" || token == "" {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	return err == nil && len(raw) == sha256.Size
}

func (s *Server) refuseUnauthorized(w http.ResponseWriter, r *http.Request) {
	if s.cfg.WebhookPassword != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="halosync webhooks", charset="UTF-8"`)
	}
	s.refuse(w, r, "unauthorized", http.StatusUnauthorized, "unauthorized")
}

// refuse answers a refused request, counts it in metrics and in the once-a-minute refusal log. It
// closes the connection: otherwise Go's server would read up to 256 KB of a body nobody wants before
// answering.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, reason string, code int, msg string) {
	s.metrics.RecordWebhook(r.Context(), reason)
	s.refusals.add(reason, r.RemoteAddr)
	w.Header().Set("Connection", "close")
	http.Error(w, msg, code)
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
		rep.TicketID = ticketID
		jobID, waiting, err := s.store.WaitingFetch(ctx, tx, jobs.FetchTicketArgs{}.Kind(), ticketID)
		if err != nil {
			return err
		}
		if waiting {
			rep.Status, rep.JobID = "coalesced", jobID
			return s.store.SetDeliveryJob(ctx, tx, d.ID, jobID)
		}
		res, err := s.cfg.River.InsertTx(ctx, tx, jobs.FetchTicketArgs{TicketID: ticketID}, nil)
		if err != nil {
			return err
		}
		rep.Status, rep.JobID = "accepted", res.Job.ID
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
