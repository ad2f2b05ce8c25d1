package halofake

import (
	"fmt"
	"net/http"
	"strings"
)

// /KBArticle (halo-api-more.md "/KBArticle"): envelope articles; real paging only when page_no is sent —
// without it every article comes back (or, with Options.KBUnpagedHang, nothing ever does: the live sweep's
// call timed out at 15 s); list rows are KBEntry_List (name, never title; date_edited); the bodies
// (description_html, resolution…) only on GET by id; inactive hidden unless includeinactive=true.

var kbTopics = []string{"Reset a user's password", "Set up VPN on Windows", "Map a network drive", "Outlook profile repair",
	"Onboarding checklist", "Printer driver install", "MFA enrolment", "Résumé of backup policy", "Teams meeting rooms"}

func (s *Server) kbTable() *table {
	t := &table{api: "kbarticle", name: "kb_articles", key: "articles", scope: "kb", inactive: true,
		lastUpd: "date_edited", render: s.renderKB}
	t.hangs = func(p params) bool { return s.opts.KBUnpagedHang && !p.has("page_no") }
	t.list = func(w http.ResponseWriter, p params) {
		s.writeList(w, t, p, pagedWithPageNo, inactiveFilter(p), nil)
	}
	return t
}

func (s *Server) generateKB(n int) {
	s.fill(s.tables["kbarticle"], n, kKB, 0.1)
}

func (s *Server) renderKB(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kKB, r.id)
	topic := pick(g, kbTopics)
	name := fmt.Sprintf("%s (KB%04d)", topic, r.id)
	o := obj{{"id", r.id}, {"name", name}, {"description", "How to: " + strings.ToLower(topic)},
		{"type", int64(g.intn(2))}, {"inactive", r.inactive}, {"date_created", naive(r.born)},
		{"date_edited", naive(r.updated)}, {"next_review_date", naive(dayOf(r.updated) + year)},
		{"tag_string", pick(g, []string{"windows", "network,vpn", "", "email", "onboarding"})},
		{"view_count", int64(g.intn(500))}, {"useful_count", int64(g.intn(40))}, {"notuseful_count", int64(g.intn(5))},
		{"use", "kb"}, {"editor_type", int64(0)}}
	if full {
		body := "<h2>" + escapeHTML(topic) + "</h2><p>Steps:</p><ol><li>Open the portal</li><li>Follow the wizard — «ok»</li></ol>"
		o = append(o, kv{"description_html", body}, kv{"resolution", "Follow the steps."},
			kv{"resolution_html", "<p>Follow the steps.</p>"}, kv{"description_markdown", "## " + topic},
			kv{"internalmemoagenthtml", ""}, kv{"faqlists", []obj{}}, kv{"customfields", s.customFields("kbarticle", r, nil)})
	}
	return withoutDetail(drift(finish(o, r), r, "next_review_date", "notuseful_count"), full, "description_html", "resolution", "resolution_html",
		"description_markdown", "internalmemoagenthtml", "faqlists")
}
