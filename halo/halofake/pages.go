package halofake

import (
	"net/http"
	"strings"
)

// pageMode is how a list of the areas added with issue 18 pages (halo-api-more.md, summary table).
type pageMode int

const (
	// pagedAsTickets: pageinate/page_size/page_no as on /Tickets, count honoured when not paging (pagerOf).
	pagedAsTickets pageMode = iota
	// pagedWithPageNo: pages only when page_no is sent; without it every row comes back and count is
	// ignored (/Appointment: 36,764 rows in one answer; /KBArticle).
	pagedWithPageNo
	// unpaged: paging parameters are ignored, every row comes back (/TimesheetEvent, the lookups).
	unpaged
)

// writeList answers a list of t: the rows keep accepts, paged by mode, rendered by row (listRow when
// nil), in t's envelope ({[page_no, page_size,] record_count, <key>}) or as a bare array when t.key is
// empty. Caller holds s.mu for reading.
func (s *Server) writeList(w http.ResponseWriter, t *table, p params, mode pageMode, keep func(*record) bool, row func(*record) obj) {
	if row == nil {
		row = func(r *record) obj { return s.listRow(t, r) }
	}
	var pg pager
	switch mode {
	case pagedAsTickets:
		pg = pagerOf(p)
	case pagedWithPageNo:
		if p.has("page_no") {
			pg = pager{paged: true, size: defaultPageSize, no: max(p.int("page_no"), 1)}
			if n := p.int("page_size"); n > 0 {
				pg.size = min(n, maxPageSize)
			}
		}
	}
	lo, hi := 0, int(^uint(0)>>1)
	if pg.size > 0 {
		lo, hi = pg.window()
	}
	total := 0
	rows := []obj{}
	for _, rec := range ordered(t.rows, p) {
		if !keep(rec) {
			continue
		}
		if total >= lo && total < hi {
			rows = append(rows, row(rec))
		}
		total++
	}
	if t.key == "" {
		writeJSONStatus(w, http.StatusOK, rows)
		return
	}
	env := obj{}
	if pg.paged {
		env = append(env, kv{"page_no", pg.no}, kv{"page_size", pg.size})
	}
	env = append(env, kv{"record_count", s.recordCount(t, total)}, kv{t.key, rows})
	writeJSONStatus(w, http.StatusOK, env)
}

// keepPublished keeps the keys of o that the published list schema has (lower-cased set).
func keepPublished(o obj, known map[string]bool) obj {
	out := o[:0]
	for _, e := range o {
		if known[strings.ToLower(e.k)] {
			out = append(out, e)
		}
	}
	return out
}

// inactiveFilter is the includeinactive/includeactive rule of §3.2 for the new areas that hide
// inactive rows (Item, Supplier, KBArticle).
func inactiveFilter(p params) func(*record) bool {
	inactive, active := p.flag("includeinactive"), !p.isFalse("includeactive")
	return func(r *record) bool { return (r.inactive && inactive) || (!r.inactive && active) }
}

// idSet parses a comma-separated list of ids ("agents=3,5"); nil when the parameter is absent.
func idSet(p params, k string) map[int64]bool {
	v, ok := p[k]
	if !ok || strings.TrimSpace(v) == "" {
		return nil
	}
	set := map[int64]bool{}
	for _, f := range strings.Split(v, ",") {
		if n, ok := asInt(f); ok {
			set[n] = true
		}
	}
	return set
}

// realAgent picks a generated agent that is neither "Unassigned" (1) nor the API agent (the last id).
func (s *Server) realAgent(g *rng) int64 {
	n := int64(max(s.size.Agents, 2))
	if n <= 2 {
		return 1
	}
	return 2 + g.int63n(n-2)
}

// dayOf is midnight UTC of a unix-nano instant.
func dayOf(n int64) int64 { return n - n%day }

// money rounds to cents, the way Halo's decimals print.
func money(x float64) f1 {
	return f1(float64(int64(x*100+0.5)) / 100)
}

// timeField parses a date-time field of a written record (start_date …) into unix ns.
func timeField(o obj, k string) (int64, bool) {
	v, ok := o.get(k)
	if !ok {
		return 0, false
	}
	str, _ := v.(string)
	t, ok := parseQueryTime(str)
	if !ok {
		return 0, false
	}
	return t.UnixNano(), true
}

// drift drops keys from one generated record in seventeen (ids 5, 22, 39…, so every area of five rows
// or more has one): fields come and go between Halo versions and field settings (halo-api.md §12.5), so
// a mirror must tolerate a missing key in any row.
func drift(o obj, r *record, keys ...string) obj {
	if r.born > genEpoch || r.id%17 != 5 {
		return o
	}
	for _, k := range keys {
		if _, written := r.over.get(k); !written {
			o.del(k)
		}
	}
	return o
}
