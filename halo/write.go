package halo

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
)

// Get GETs a single record (path is e.g. "/api/Tickets/42") and decodes it.
// Halo answers a bare object; an array is tolerated and its first element
// used. A body that does not decode into the record is a DecodeError.
func Get[T any](ctx context.Context, c *Client, path string, query url.Values, decode func(json.RawMessage) (T, error)) (T, error) {
	var v T
	body, err := c.get(ctx, path, query)
	if err != nil {
		return v, err
	}
	obj, err := firstObject(body)
	if err != nil {
		return v, fmt.Errorf("halo: GET %s: %w", path, err)
	}
	if v, err = decode(obj); err != nil {
		return v, &DecodeError{Method: http.MethodGet, Path: path, Err: err}
	}
	return v, nil
}

// Post creates or updates one record: Halo upserts from a JSON array, by "id" when
// present. Only the given fields are sent, so Halo changes only those. Any 2xx is
// success (Halo says 201); the reply is the saved object's JSON (a one-element array
// reply is unwrapped). When a 2xx reply holds no readable object (empty body, empty
// array, not JSON) the result is nil with no error: the write happened, so the
// caller should re-read rather than retry. path is e.g. "/api/Tickets".
// Send one record per call: multi-record posts return only the last record.
func (c *Client) Post(ctx context.Context, path string, fields map[string]any) (json.RawMessage, error) {
	body, err := json.Marshal([]map[string]any{fields})
	if err != nil {
		return nil, fmt.Errorf("halo: POST %s: encoding body: %w", apiPath(path), err)
	}
	reply, err := c.do(ctx, http.MethodPost, path, nil, body)
	if err != nil {
		return nil, err
	}
	obj, err := firstObject(reply)
	if err != nil {
		// Halo accepted the write; an unreadable reply must not look like a failure,
		// or a caller's retry would create a duplicate. nil tells it to re-read.
		return nil, nil
	}
	return append(json.RawMessage(nil), obj...), nil
}

// DeleteReason is the reason sent with a ticket delete when the caller gives none: Halo
// records it in the ticket's audit trail (swagger DELETE /Tickets/{id}?reason=).
const DeleteReason = "Deleted from the halosync mirror"

// Delete deletes one record: DELETE {path}/{id} with params (actions need ticket_id;
// tickets take a reason, DeleteReason unless params has one). Any 2xx is success.
// Tickets are soft-deleted by Halo.
func (c *Client) Delete(ctx context.Context, path string, id int64, params url.Values) error {
	p := strings.TrimRight(apiPath(path), "/") + "/" + itoa(id)
	if strings.EqualFold(strings.TrimRight(apiPath(path), "/"), "/api/Tickets") && !params.Has("reason") {
		q := url.Values{}
		maps.Copy(q, params)
		q.Set("reason", DeleteReason)
		params = q
	}
	_, err := c.do(ctx, http.MethodDelete, p, params, nil)
	return err
}
