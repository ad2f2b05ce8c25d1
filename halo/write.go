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

// getOne GETs a single record and decodes it into T. Halo answers a bare object;
// an array is tolerated and its first element used.
func getOne[T any](ctx context.Context, c *Client, path string, query url.Values) (T, error) {
	var v T
	body, err := c.get(ctx, path, query)
	if err != nil {
		return v, err
	}
	obj, err := firstObject(body)
	if err != nil {
		return v, fmt.Errorf("halo: GET %s: %w", path, err)
	}
	if err := json.Unmarshal(obj, &v); err != nil {
		return v, &DecodeError{Method: http.MethodGet, Path: path, Err: err}
	}
	return v, nil
}

// GetClient fetches one client. Halo API: GET /api/Client/{id}.
func (c *Client) GetClient(ctx context.Context, id int64) (Customer, error) {
	return getOne[Customer](ctx, c, "/api/Client/"+itoa(id), nil)
}

// GetSite fetches one site. Halo API: GET /api/Site/{id}.
func (c *Client) GetSite(ctx context.Context, id int64) (Site, error) {
	return getOne[Site](ctx, c, "/api/Site/"+itoa(id), nil)
}

// GetUser fetches one user (the full 90-odd-key record). Halo API: GET /api/Users/{id}.
func (c *Client) GetUser(ctx context.Context, id int64) (User, error) {
	return getOne[User](ctx, c, "/api/Users/"+itoa(id), nil)
}

// GetAgent fetches one agent. Halo API: GET /api/Agent/{id}.
func (c *Client) GetAgent(ctx context.Context, id int64) (Agent, error) {
	return getOne[Agent](ctx, c, "/api/Agent/"+itoa(id), nil)
}

// GetTicket fetches one ticket. Halo API: GET /api/Tickets/{id}.
func (c *Client) GetTicket(ctx context.Context, id int64) (Ticket, error) {
	return getOne[Ticket](ctx, c, "/api/Tickets/"+itoa(id), nil)
}

// GetAction fetches one action of one ticket. Halo API: GET /api/Actions/{id}?ticket_id=N.
func (c *Client) GetAction(ctx context.Context, ticketID, id int64) (Action, error) {
	return getOne[Action](ctx, c, "/api/Actions/"+itoa(id), url.Values{"ticket_id": {itoa(ticketID)}})
}

// GetAsset fetches one asset. Halo API: GET /api/Asset/{id}.
func (c *Client) GetAsset(ctx context.Context, id int64) (Asset, error) {
	return getOne[Asset](ctx, c, "/api/Asset/"+itoa(id), nil)
}

// GetContract fetches one client contract. Halo API: GET /api/ClientContract/{id}.
func (c *Client) GetContract(ctx context.Context, id int64) (Contract, error) {
	return getOne[Contract](ctx, c, "/api/ClientContract/"+itoa(id), nil)
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
