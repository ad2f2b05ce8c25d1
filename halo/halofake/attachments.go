package halofake

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// /Attachment (halo-api-more.md "/Attachment"): metadata lists per ticket, GET /Attachment?ticket_id=N
// [&action_id=M], answer {record_count, attachments, folders} — folders always present, so rows must be
// read from attachments; no paging parameters; an unscoped call answers an empty envelope unless
// Options.AttachmentsUnscoped. GET /Attachment/{id} returns the FILE (Content-Disposition), not JSON.
// Upload: POST [{ticket_id, filename, data_base64: "data:<mime>;base64,..."}].

var attachmentNames = []string{"screenshot.png", "error-log.txt", "invoice.pdf", "photo.jpg", "config.xml", "Überweisung.pdf"}

func (s *Server) attachmentTable() *table {
	t := &table{api: "attachment", name: "attachments", scope: "tickets", render: s.renderAttachment}
	t.list = func(w http.ResponseWriter, p params) {
		ticket, byTicket := int64(p.int("ticket_id")), p.has("ticket_id")
		action, byAction := int64(p.int("action_id")), p.has("action_id")
		rows := []obj{}
		if byTicket || s.opts.AttachmentsUnscoped {
			for _, r := range t.rows {
				a := s.attachmentRefs(r)
				if (!byTicket || a.ticket == ticket) && (!byAction || a.action == action) {
					rows = append(rows, s.listRow(t, r))
				}
			}
		}
		writeJSONStatus(w, http.StatusOK, obj{{"record_count", s.recordCount(t, len(rows))}, {"attachments", rows},
			{"folders", []obj{}}})
	}
	t.get = s.serveFile
	t.onWrite = func(r *record, fields obj) {
		s.staleAttachmentCounts()
		v, ok := fields.get("data_base64")
		if !ok {
			return
		}
		r.over.del("data_base64") // the bytes are the file, not a field of its metadata
		str, _ := v.(string)
		if i := strings.Index(str, ","); strings.HasPrefix(str, "data:") && i > 0 {
			str = str[i+1:]
		}
		if b, err := base64.StdEncoding.DecodeString(str); err == nil {
			s.files[r.id] = b
			r.over.set("filesize", int64(len(b)))
		}
	}
	return t
}

// attachmentCount is a ticket's attachment_count (Faults_List): how many attachments it has. Every
// ticket row asks, so the counts are indexed once per change of the attachments (a scan per ticket
// would make a walk of the large tenant quadratic). Caller holds s.mu for reading.
func (s *Server) attachmentCount(ticketID int64) int64 {
	s.attachMu.Lock()
	defer s.attachMu.Unlock()
	if s.attachPerTicket == nil {
		s.attachPerTicket = map[int64]int64{}
		for _, r := range s.tables["attachment"].rows {
			s.attachPerTicket[s.attachmentRefs(r).ticket]++
		}
	}
	return s.attachPerTicket[ticketID]
}

// staleAttachmentCounts drops the index after attachments changed. Caller holds s.mu for writing.
func (s *Server) staleAttachmentCounts() {
	s.attachMu.Lock()
	s.attachPerTicket = nil
	s.attachMu.Unlock()
}

func (s *Server) generateAttachments(n int) {
	s.fill(s.tables["attachment"], n, kAttachment, 0)
	s.staleAttachmentCounts()
}

type attachRefs struct {
	ticket, action int64
	name           string
	size           int64
}

func (s *Server) attachmentRefs(r *record) attachRefs {
	g := newRNG(s.opts.Seed, kAttachment, r.id)
	a := attachRefs{name: pick(g, attachmentNames), size: int64(200 + g.intn(64<<10))}
	if s.size.Tickets > 0 {
		a.ticket = 1 + g.int63n(int64(s.size.Tickets))
		if _, tr := s.tables["tickets"].find(a.ticket); tr != nil && tr.nextAction > 1 && g.chance(0.7) {
			a.action = 1 + g.int63n(tr.nextAction-1)
		}
	}
	if v, ok := r.over.get("ticket_id"); ok {
		a.ticket, _ = asInt(v)
	}
	if v, ok := r.over.get("action_id"); ok {
		a.action, _ = asInt(v)
	}
	if v, ok := r.over.get("filename"); ok {
		a.name, _ = v.(string)
	}
	return a
}

func (s *Server) renderAttachment(r *record, full bool) obj {
	a := s.attachmentRefs(r)
	g := newRNG(s.opts.Seed, kAttachment+50, r.id)
	ext := strings.ToLower(path.Ext(a.name))
	image := ext == ".png" || ext == ".jpg"
	o := obj{{"id", r.id}, {"filename", a.name}, {"datecreated", naive(r.born)}, {"filesize", a.size},
		{"type", int64(0)}, {"unique_id", r.id + 1000}, {"desc", ""}, {"isimage", image}, {"note", ""},
		{"showforusers", g.chance(0.5)}, {"faultid", a.ticket}, {"parent_id", int64(0)},
		{"download_url", fmt.Sprintf("/api/Attachment/%d", r.id)}}
	if full {
		o = append(o, kv{"ticket_id", a.ticket}, kv{"action_id", a.action}, kv{"agent_id", s.realAgent(g)},
			kv{"content_type", contentType(a.name)}, kv{"guid", g.guid()})
	}
	return finish(o, r)
}

func contentType(name string) string {
	if ct := mime.TypeByExtension(strings.ToLower(path.Ext(name))); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// serveFile answers GET /Attachment/{id} with the file itself. Caller holds s.mu for reading.
func (s *Server) serveFile(w http.ResponseWriter, r *record) {
	a := s.attachmentRefs(r)
	b, ok := s.files[r.id]
	if !ok {
		b = s.fileBytes(r.id, a.size)
	}
	w.Header().Set("Content-Type", contentType(a.name))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// fileBytes are a generated attachment's content: size bytes, the same on every request.
func (s *Server) fileBytes(id, size int64) []byte {
	g := newRNG(s.opts.Seed, kAttachment+100, id)
	b := make([]byte, size)
	for i := 0; i < len(b); i += 8 {
		v := g.next()
		for k := 0; k < 8 && i+k < len(b); k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	return b
}
