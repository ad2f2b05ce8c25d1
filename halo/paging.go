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
	Bad         []BadRow
	PageNo      int // 1-based page number (as requested, or as echoed by Halo)
	RecordCount int // Halo's total of matching rows; -1 when the reply has no count
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
	// Paged forces a paged walk on endpoints that are unpaged by default (Agent,
	// the lookups, Actions with ticket_id). Endpoints that are paged by default
	// (Client, Site, Users, Tickets, Asset, ClientContract, bulk Actions) always page.
	Paged bool
}

// endpoint describes one list endpoint.
type endpoint[T any] struct {
	path  string
	keys  []string // envelope keys that hold the rows, first match wins
	paged bool     // send paging parameters and walk pages
	key   func(*T) string
}

// list is the one paging loop. Paged walks send pageinate=true, page_size and page_no
// from 1, and continue while the distinct rows collected are fewer than record_count
// and the page is non-empty. A page shorter than page_size is NOT the end (Asset caps
// pages at 50 whatever is asked). A page that brings no row not seen before ends the
// walk: endpoints that ignore page_no return page 1 again. Rows are de-duplicated by
// ep.key across the walk, since offset paging over live data can shift rows.
func list[T any](ctx context.Context, c *Client, ep endpoint[T], opts *ListOptions) iter.Seq2[Page[T], error] {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	pageSize := o.PageSize
	if pageSize <= 0 || pageSize > DefaultPageSize {
		pageSize = DefaultPageSize
	}
	paged := ep.paged || o.Paged
	return func(yield func(Page[T], error) bool) {
		seen := make(map[string]struct{})
		collected := 0
		for pageNo := 1; ; pageNo++ {
			if pageNo > maxPages {
				yield(Page[T]{}, fmt.Errorf("halo: GET %s: gave up after %d pages", ep.path, maxPages))
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
			body, err := c.get(ctx, ep.path, q)
			if err != nil {
				yield(Page[T]{}, err)
				return
			}
			raws, rc, echoedPage, err := splitEnvelope(body, ep.keys)
			if err != nil {
				yield(Page[T]{}, fmt.Errorf("halo: GET %s page %d: %w", ep.path, pageNo, err))
				return
			}
			page := Page[T]{PageNo: pageNo, RecordCount: rc}
			if echoedPage > 0 {
				page.PageNo = echoedPage
			}
			fresh := decodeRows(raws, ep.key, seen, &page)
			collected += fresh
			switch {
			case !paged:
				yield(page, nil)
				return
			case len(raws) == 0:
				if pageNo == 1 {
					yield(page, nil) // an empty table still reports its record_count
				}
				return
			case fresh == 0:
				return // repeated page: the server ignored page_no
			}
			if !yield(page, nil) {
				return
			}
			if rc >= 0 && collected >= rc {
				return
			}
		}
	}
}

// decodeRows decodes each row on its own, so one malformed row never costs the page.
// It appends new rows (and bad rows) to page and returns how many were new.
func decodeRows[T any](raws []json.RawMessage, key func(*T) string, seen map[string]struct{}, page *Page[T]) int {
	fresh := 0
	for _, raw := range raws {
		var v T
		var k string
		err := errors.New("row is null")
		if !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			err = json.Unmarshal(raw, &v)
		}
		if err == nil {
			k = "k:" + key(&v)
		} else {
			h := fnv.New64a()
			h.Write(raw)
			k = "raw:" + strconv.FormatUint(h.Sum64(), 16)
		}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		fresh++
		if err != nil {
			page.Bad = append(page.Bad, BadRow{Raw: append(json.RawMessage(nil), raw...), Err: err, Key: badRowKey(raw)})
			continue
		}
		page.Rows = append(page.Rows, v)
	}
	return fresh
}

// splitEnvelope finds the rows in a list reply: a bare array, or an object whose rows
// sit under one of keys (never "the one array in the object": envelopes can carry
// sidecar arrays). recordCount and pageNo are -1 / 0 when absent.
func splitEnvelope(body []byte, keys []string) (rows []json.RawMessage, recordCount, pageNo int, err error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, -1, 0, errors.New("empty reply")
	}
	switch body[0] {
	case '[':
		if err := json.Unmarshal(body, &rows); err != nil {
			return nil, -1, 0, fmt.Errorf("decoding array reply: %w", err)
		}
		return rows, -1, 0, nil
	case '{':
	default:
		return nil, -1, 0, fmt.Errorf("reply is not JSON: %s", truncate(string(body), 60))
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, -1, 0, fmt.Errorf("decoding envelope: %w", err)
	}
	recordCount = -1
	if raw, ok := lookupFold(env, "record_count"); ok {
		var n Int
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, -1, 0, fmt.Errorf("decoding record_count: %w", err)
		}
		recordCount = int(n)
	}
	if raw, ok := lookupFold(env, "page_no"); ok {
		var n Int
		if json.Unmarshal(raw, &n) == nil {
			pageNo = int(n)
		}
	}
	for _, k := range keys {
		raw, ok := lookupFold(env, k)
		if !ok {
			continue
		}
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return nil, recordCount, pageNo, nil
		}
		if err := json.Unmarshal(raw, &rows); err != nil {
			return nil, -1, 0, fmt.Errorf("decoding %q: %w", k, err)
		}
		return rows, recordCount, pageNo, nil
	}
	if recordCount == 0 {
		return nil, 0, pageNo, nil
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	return nil, -1, 0, fmt.Errorf("reply has no %q array (keys: %s)", keys[0], strings.Join(names, ", "))
}
