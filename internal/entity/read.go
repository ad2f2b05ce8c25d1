package entity

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"

	"github.com/halosync/halosync/halo"
)

// Endpoint is e's list endpoint, for halo's one paging loop.
func (e *Entity) Endpoint() halo.Endpoint {
	return halo.Endpoint{Path: e.Path, Keys: e.Envelope, Paged: e.Paging == Paged, UnpagedWith: e.ParentParam}
}

// List walks e's list with halo's paging loop, decoding each row into a
// Record. e.Params are sent on every request; a parameter opts sets itself
// wins over the declared one.
func (e *Entity) List(ctx context.Context, c *halo.Client, opts *halo.ListOptions) iter.Seq2[halo.Page[Record], error] {
	var o halo.ListOptions
	if opts != nil {
		o = *opts
	}
	o.Params = url.Values{}
	for k, v := range e.Params {
		o.Params[k] = v
	}
	if opts != nil {
		for k, v := range opts.Params {
			o.Params[k] = v
		}
	}
	return halo.List(ctx, c, e.Endpoint(), e.decoder(e.parentKeys(o.Params)), &o)
}

// parentKeys are the key values a list per parent knows for every row: the
// key column named like ParentParam takes the parent's id the request was
// made with (GET /api/Actions?ticket_id=42 may list rows without ticket_id).
func (e *Entity) parentKeys(params url.Values) []any {
	v := params.Get(e.ParentParam)
	if e.ParentParam == "" || v == "" {
		return nil
	}
	known := make([]any, len(e.Keys))
	for i, k := range e.Keys {
		if k.HaloField() != e.ParentParam {
			continue
		}
		if val, err := k.Kind.read(json.RawMessage(strconv.Quote(v))); err == nil {
			known[i] = val
		}
	}
	return known
}

// decoder is e's halo.Decoder: the record and its key text.
func (e *Entity) decoder(known []any) halo.Decoder[Record] {
	return func(raw json.RawMessage) (Record, string, error) {
		rec, err := e.DecodeKeyed(raw, known)
		if err != nil {
			return Record{}, e.rawKey(raw, known), err
		}
		return rec, KeyString(rec.Keys), nil
	}
}

// rawKey names a record that failed to decode by its key fields (or the
// values known from the request), "" when they cannot be read.
func (e *Entity) rawKey(raw json.RawMessage, known []any) string {
	obj, err := object(raw)
	if err != nil {
		return ""
	}
	keys := make([]any, len(e.Keys))
	for i, c := range e.Keys {
		if i < len(known) && known[i] != nil {
			keys[i] = known[i]
			continue
		}
		v, ok := obj.get(c.HaloField())
		k, err := c.Kind.read(v)
		if !ok || err != nil || k == nil {
			return ""
		}
		keys[i] = k
	}
	return KeyString(keys)
}

// Get reads one record by its key: GET Path/{last key}, the other key
// columns sent as query parameters under their Halo field names (an action:
// GET /api/Actions/3?ticket_id=42). A key field the reply lacks is filled
// from keys.
func (e *Entity) Get(ctx context.Context, c *halo.Client, keys []any) (Record, error) {
	if len(keys) != len(e.Keys) {
		return Record{}, fmt.Errorf("entity %s: GET by key needs %d key values, got %d", e.Name, len(e.Keys), len(keys))
	}
	q := url.Values{}
	for i, k := range e.Keys[:len(e.Keys)-1] {
		q.Set(k.HaloField(), KeyString(keys[i:i+1]))
	}
	path := e.Path + "/" + url.PathEscape(KeyString(keys[len(keys)-1:]))
	return halo.Get(ctx, c, path, q, func(raw json.RawMessage) (Record, error) { return e.DecodeKeyed(raw, keys) })
}
