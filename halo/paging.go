package halo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

const (
	// DefaultPageSize is both the default and the maximum page size: Halo silently
	// caps larger pages at 100 (and Asset at 50), so asking for more only hides the cap.
	DefaultPageSize = 100
	// maxPages bounds a walk whose server keeps returning new rows forever.
	maxPages = 100_000
)

// Page is one page of a list walk. Rows never repeat across the pages of one walk.
type Page[T any] struct {
	Rows []T
	// Bad holds rows that came back but could not be decoded into T. They do not stop
	// the walk: the caller records them (e.g. in a rejects table) and goes on.
	Bad    []BadRow
	PageNo int // 1-based page number (as requested, or as echoed by Halo)
	// Asked is the page_no this page was requested with (PageNo may be
	// Halo's echo): a resumable walk records Asked+1 as where to go on.
	Asked       int
	RecordCount int // Halo's total of matching rows; -1 when the reply has no count
	// End is set on the last page of a walk that reached its end (a short,
	// empty or repeated page, or the one reply of an unpaged list); such a
	// last page may have no rows. A walk that stops on an error, or whose
	// consumer stops early, has no End: it is not known to be complete.
	End *WalkEnd
}

// WalkEnd says how a list walk ended and whether Halo's record_count agreed.
type WalkEnd struct {
	Rows        int    // distinct rows listed, decodable or not
	RecordCount int    // the last record_count Halo sent; -1 when it sent none
	Reason      string // "short page", "empty page", "repeated page" or "single reply"
	// Anomaly is "" when record_count (if any) and the rows listed agree, and
	// otherwise says how they disagree, for the run ledger.
	Anomaly string
}

// Fewer reports whether the walk listed fewer rows than record_count
// announced: some rows may have been missed (offset paging over live data
// can skip a row), so the walk cannot prove which records Halo lacks.
func (e *WalkEnd) Fewer() bool { return e != nil && e.RecordCount >= 0 && e.Rows < e.RecordCount }

func newWalkEnd(rows, recordCount int, reason string) *WalkEnd {
	e := &WalkEnd{Rows: rows, RecordCount: recordCount, Reason: reason}
	switch {
	case recordCount < 0:
	case rows < recordCount:
		e.Anomaly = fmt.Sprintf("record_count said %d but the walk listed %d rows (walk ended by %s)", recordCount, rows, reason)
	case rows > recordCount:
		e.Anomaly = fmt.Sprintf("record_count said %d but the walk listed %d rows", recordCount, rows)
	}
	return e
}

// BadRow is a row that failed to decode.
type BadRow struct {
	Raw json.RawMessage
	Err error
	// Key names the record as well as the raw row allows ("42", or "42/3"
	// for an action), so a reject can be found again; "" when it has no id.
	Key string
}

// badRowKey reads the id (and ticket_id) of a row that failed to decode.
func badRowKey(raw json.RawMessage) string {
	var ids struct {
		ID       json.RawMessage `json:"id"`
		TicketID json.RawMessage `json:"ticket_id"`
	}
	if json.Unmarshal(raw, &ids) != nil || len(ids.ID) == 0 {
		return ""
	}
	id := strings.Trim(string(ids.ID), `"`)
	if t := strings.Trim(string(ids.TicketID), `"`); t != "" {
		return t + "/" + id
	}
	return id
}

// ListOptions controls a list walk. A nil *ListOptions means defaults.
type ListOptions struct {
	// Params are extra query parameters, sent verbatim (includeinactive,
	// lastupdatefromdate, ticket_id, deleted, order, ...). The paging parameters
	// pageinate, page_size and page_no are set by the client.
	Params url.Values
	// PageSize defaults to 100 and is capped at 100.
	PageSize int
	// Paged forces a paged walk where the endpoint would answer one
	// unpaged reply (Actions with ticket_id: Endpoint.UnpagedWith).
	Paged bool
	// StartPage resumes a paged walk at this page_no (0 or 1: from the
	// start), and Listed is how many distinct rows its earlier part listed,
	// so the end of the walk compares the whole walk with record_count.
	StartPage int
	Listed    int
	// Seen are keys (as the walk de-duplicates them: "42", or "42/3" for
	// an action) that the resumed walk's earlier part listed last: the
	// page it starts at is read again, and these are dropped from it as
	// repeats without ending the walk.
	Seen []string
}

// Endpoint describes one list endpoint (internal/entity builds it from an
// entity's declaration).
type Endpoint struct {
	Path string   // e.g. "/api/Tickets"
	Keys []string // envelope keys that hold the rows, first match wins; a bare array is always accepted
	// Paged endpoints are sent pageinate, page_size and page_no and walked
	// page by page; others are one request (unless ListOptions.Paged).
	Paged bool
	// UnpagedWith names a parameter that makes a Paged endpoint answer one
	// unpaged reply when the caller sets it (Actions with ticket_id), unless
	// ListOptions.Paged asks for paging anyway.
	UnpagedWith string
}

// Decoder decodes one row of a list reply into T and returns the key the
// walk de-duplicates it by ("42", or "42/3" for an action). On an error the
// row becomes a BadRow, named by key when the decoder could still read it.
type Decoder[T any] func(raw json.RawMessage) (v T, key string, err error)

// list is the one paging loop. Paged walks send pageinate=true, page_size and page_no
// from 1, and walk until a page ends the walk:
//   - an empty page;
//   - a repeated page, bringing no row not seen before (endpoints that ignore page_no
//     return page 1 again);
//   - a short page, with fewer rows than the server's page size (page_size as echoed,
//     else as asked, and from page 2 on no more than page 1 had: Asset caps its pages
//     at 50 whatever is asked), once the rows listed reach record_count or there is no
//     count. A short page below record_count asks for one more page, which is empty
//     when the count was too high.
//
// record_count is a hint, never the end of the walk: a count lower than the truth
// must not cut the walk short (a reconcile after it would tombstone the rest), and a
// higher one must not make it loop. The last page carries End, with an anomaly when
// the count and the rows disagree. Rows are de-duplicated by their key across the
// walk, since offset paging over live data can shift rows.
func List[T any](ctx context.Context, c *Client, ep Endpoint, decode Decoder[T], opts *ListOptions) iter.Seq2[Page[T], error] {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	pageSize := o.PageSize
	if pageSize <= 0 || pageSize > DefaultPageSize {
		pageSize = DefaultPageSize
	}
	paged := (ep.Paged && (ep.UnpagedWith == "" || !o.Params.Has(ep.UnpagedWith))) || o.Paged
	return func(yield func(Page[T], error) bool) {
		seen := newKeySet()
		for _, k := range o.Seen {
			seen.add(k)
		}
		collected, firstLen := max(o.Listed, 0), 0
		start := 1
		if paged && o.StartPage > 1 {
			start = o.StartPage
		}
		for pageNo := start; ; pageNo++ {
			if pageNo > maxPages {
				yield(Page[T]{}, fmt.Errorf("halo: GET %s: gave up after %d pages", ep.Path, maxPages))
				return
			}
			q := url.Values{}
			for k, v := range o.Params {
				q[k] = append([]string(nil), v...)
			}
			if paged {
				q.Set("pageinate", "true")
				q.Set("page_size", strconv.Itoa(pageSize))
				q.Set("page_no", strconv.Itoa(pageNo))
			}
			body, err := c.get(ctx, ep.Path, q)
			if err != nil {
				yield(Page[T]{}, err)
				return
			}
			raws, rc, echoed, err := splitEnvelope(body, ep.Keys)
			if err != nil {
				yield(Page[T]{}, fmt.Errorf("halo: GET %s page %d: %w", ep.Path, pageNo, err))
				return
			}
			page := Page[T]{PageNo: pageNo, Asked: pageNo, RecordCount: rc}
			if echoed.pageNo > 0 {
				page.PageNo = echoed.pageNo
			}
			fresh := decodeRows(raws, decode, seen, &page)
			if len(page.Bad) > 0 && !json.Valid(body) {
				// splitEnvelope only checked the envelope's structure; a
				// row that does not decode may be a body that is not JSON
				// at all, which fails the page as it always did.
				err := json.Unmarshal(body, new(any))
				yield(Page[T]{}, fmt.Errorf("halo: GET %s page %d: decoding envelope: %w", ep.Path, pageNo, err))
				return
			}
			collected += fresh
			if pageNo == start {
				// The first page read (page 1, or where a resumed walk
				// starts) sets the size later pages are held to.
				firstLen = len(raws)
			}
			limit := pageSize
			if echoed.pageSize > 0 && echoed.pageSize < limit {
				limit = echoed.pageSize
			}
			if pageNo > start && firstLen < limit {
				limit = firstLen
			}
			switch {
			case !paged:
				page.End = newWalkEnd(collected, rc, "single reply")
			case len(raws) == 0:
				page.End = newWalkEnd(collected, rc, "empty page")
			case fresh == 0 && !(pageNo == start && len(o.Seen) > 0):
				// (The page a resumed walk starts at is expected to
				// repeat what its earlier part listed.)
				page.End = newWalkEnd(collected, rc, "repeated page")
			case len(raws) < limit && (rc < 0 || collected >= rc):
				page.End = newWalkEnd(collected, rc, "short page")
			}
			if !yield(page, nil) || page.End != nil {
				return
			}
		}
	}
}

// decodeRows decodes each row on its own, so one malformed row never costs the page.
// It appends new rows (and bad rows) to page and returns how many were new.
func decodeRows[T any](raws []json.RawMessage, decode Decoder[T], seen *keySet, page *Page[T]) int {
	fresh := 0
	for _, raw := range raws {
		var (
			v   T
			key string
		)
		err := errors.New("row is null")
		if !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			v, key, err = decode(raw)
		}
		var isNew bool
		if err == nil {
			isNew = seen.add(key)
		} else {
			h := fnv.New64a()
			h.Write(raw)
			isNew = seen.addRaw(h.Sum64())
		}
		if !isNew {
			continue
		}
		fresh++
		if err != nil {
			if key == "" {
				key = badRowKey(raw)
			}
			page.Bad = append(page.Bad, BadRow{Raw: append(json.RawMessage(nil), raw...), Err: err, Key: key})
			continue
		}
		page.Rows = append(page.Rows, v)
	}
	return fresh
}

// splitEnvelope finds the rows in a list reply: a bare array, or an object whose rows
// sit under one of keys (never "the one array in the object": envelopes can carry
// sidecar arrays). recordCount is -1 when absent, echo's fields 0.
func splitEnvelope(body []byte, keys []string) (rows []json.RawMessage, recordCount int, echo pageEcho, err error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, -1, pageEcho{}, errors.New("empty reply")
	}
	switch body[0] {
	case '[':
		if err := json.Unmarshal(body, &rows); err != nil {
			return nil, -1, pageEcho{}, fmt.Errorf("decoding array reply: %w", err)
		}
		return rows, -1, pageEcho{}, nil
	case '{':
	default:
		return nil, -1, pageEcho{}, fmt.Errorf("reply is not JSON: %s", truncate(string(body), 60))
	}
	env, ok := scanEnvelope(body, keys)
	if !ok {
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, -1, pageEcho{}, fmt.Errorf("decoding envelope: %w", err)
		}
	}
	recordCount = -1
	if raw, ok := lookupFold(env, "record_count"); ok {
		var n Int
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, -1, pageEcho{}, fmt.Errorf("decoding record_count: %w", err)
		}
		recordCount = int(n)
	}
	if raw, ok := lookupFold(env, "page_no"); ok {
		var n Int
		if json.Unmarshal(raw, &n) == nil {
			echo.pageNo = int(n)
		}
	}
	if raw, ok := lookupFold(env, "page_size"); ok {
		var n Int
		if json.Unmarshal(raw, &n) == nil {
			echo.pageSize = int(n)
		}
	}
	for _, k := range keys {
		raw, ok := lookupFold(env, k)
		if !ok {
			continue
		}
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return nil, recordCount, echo, nil
		}
		if r, ok := splitArray(raw); ok {
			// Split without decoding the rows twice more; each row is
			// validated by its own decoding (see scanEnvelope).
			return r, recordCount, echo, nil
		}
		if err := json.Unmarshal(raw, &rows); err != nil {
			return nil, -1, pageEcho{}, fmt.Errorf("decoding %q: %w", k, err)
		}
		return rows, recordCount, echo, nil
	}
	if recordCount == 0 {
		return nil, 0, echo, nil
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	if len(keys) == 0 {
		return nil, -1, pageEcho{}, fmt.Errorf("reply is an object, not the bare array this endpoint sends (keys: %s)", strings.Join(names, ", "))
	}
	return nil, -1, pageEcho{}, fmt.Errorf("reply has no %q array (keys: %s)", keys[0], strings.Join(names, ", "))
}

// pageEcho is what a paged reply says about itself: Halo echoes page_no and
// the effective page_size (Asset's 50 when 100 was asked, halo-api.md §12.9).
type pageEcho struct{ pageNo, pageSize int }

// scanEnvelope splits a list reply's top-level object into its members in one
// byte scan, instead of json.Unmarshal's validation pass plus its decoding pass
// over the whole body (issue 11: the envelope cost as much CPU as decoding the
// rows). It checks the object's own structure and validates every member with
// json.Valid except the rows (under one of rowKeys), each of which is
// validated by its own decoding; list re-checks the whole body when a row fails, so an
// invalid body still fails the page. ok is false on anything unexpected, and
// the caller then decodes the envelope the slow way, for its exact error.
func scanEnvelope(b []byte, rowKeys []string) (map[string]json.RawMessage, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	env := map[string]json.RawMessage{}
	var unchecked []string // members under a row key
	// done validates the row-key members splitEnvelope will not read rows from.
	done := func(i int) (map[string]json.RawMessage, bool) {
		if skipSpace(b, i) != len(b) {
			return nil, false
		}
		var rows json.RawMessage
		for _, k := range rowKeys {
			if v, ok := lookupFold(env, k); ok {
				rows = v
				break
			}
		}
		for _, k := range unchecked {
			if v := env[k]; len(rows) == 0 || &v[0] != &rows[0] {
				if !json.Valid(v) {
					return nil, false
				}
			}
		}
		return env, true
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return done(i + 1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		end, ok := scanString(b, i)
		if !ok {
			return nil, false
		}
		key := string(b[i+1 : end-1])
		if bytes.IndexByte(b[i:end], '\\') >= 0 {
			if json.Unmarshal(b[i:end], &key) != nil {
				return nil, false
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		end, ok = scanValue(b, i)
		if !ok {
			return nil, false
		}
		v := b[i:end]
		if _, dup := env[key]; dup {
			return nil, false // the slow path validates (and drops) the first one
		}
		if isRowKey(key, rowKeys) {
			unchecked = append(unchecked, key)
		} else if !json.Valid(v) {
			return nil, false
		}
		env[key] = json.RawMessage(v)
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return done(i + 1)
		default:
			return nil, false
		}
	}
}

func isRowKey(k string, rowKeys []string) bool {
	for _, r := range rowKeys {
		if strings.EqualFold(k, r) {
			return true
		}
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the end (exclusive) of the JSON string starting at b[i] == '"'.
func scanString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// scanValue returns the end (exclusive) of the JSON value starting at b[i],
// by its structure only (strings and nesting); its content is not validated.
func scanValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return scanString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				k, ok := scanString(b, j)
				if !ok {
					return 0, false
				}
				j = k - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j, j > i
}

// splitArray splits b, a JSON array whose structure is sound, into its
// elements (trimmed of white space, aliasing b) with one byte scan. It reports
// false when b is not an array, so the caller can decode b the slow way and
// report a precise error.
func splitArray(b []byte) ([]json.RawMessage, bool) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	inner := b[1 : len(b)-1]
	var out []json.RawMessage
	depth, start := 0, 0
	inStr, esc := false, false
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, json.RawMessage(bytes.TrimSpace(inner[start:i])))
				start = i + 1
			}
		}
	}
	if depth != 0 || inStr {
		return nil, false
	}
	if last := bytes.TrimSpace(inner[start:]); len(last) > 0 || len(out) > 0 {
		if len(last) == 0 {
			return nil, false // trailing comma: not valid JSON after all
		}
		out = append(out, json.RawMessage(last))
	}
	if out == nil {
		out = []json.RawMessage{}
	}
	return out, true
}
