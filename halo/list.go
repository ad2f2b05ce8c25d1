package halo

import (
	"context"
	"iter"
	"maps"
	"net/url"
)

func idKey[T any](id func(*T) Int) func(*T) string {
	return func(v *T) string { return itoa(int64(id(v))) }
}

// Clients walks the client list. Halo API: GET /api/Client (key "clients").
// Inactive clients are hidden unless Params has includeinactive=true.
func (c *Client) Clients(ctx context.Context, opts *ListOptions) iter.Seq2[Page[Customer], error] {
	return list(ctx, c, endpoint[Customer]{path: "/api/Client", keys: []string{"clients"}, paged: true,
		key: idKey(func(v *Customer) Int { return v.ID })}, opts)
}

// Sites walks the site list. Halo API: GET /api/Site (key "sites").
func (c *Client) Sites(ctx context.Context, opts *ListOptions) iter.Seq2[Page[Site], error] {
	return list(ctx, c, endpoint[Site]{path: "/api/Site", keys: []string{"sites"}, paged: true,
		key: idKey(func(v *Site) Int { return v.ID })}, opts)
}

// Users walks the end-user list. Halo API: GET /api/Users (key "users").
func (c *Client) Users(ctx context.Context, opts *ListOptions) iter.Seq2[Page[User], error] {
	return list(ctx, c, endpoint[User]{path: "/api/Users", keys: []string{"users"}, paged: true,
		key: idKey(func(v *User) Int { return v.ID })}, opts)
}

// Tickets walks the ticket list. Halo API: GET /api/Tickets (key "tickets"), at most
// 100 rows a page.
func (c *Client) Tickets(ctx context.Context, opts *ListOptions) iter.Seq2[Page[Ticket], error] {
	return list(ctx, c, endpoint[Ticket]{path: "/api/Tickets", keys: []string{"tickets"}, paged: true,
		key: idKey(func(v *Ticket) Int { return v.ID })}, opts)
}

// Actions lists ticket actions. Halo API: GET /api/Actions (key "actions"), always with
// includehtmlnote=true so the rows carry note_html. With a
// ticket_id in Params it is one unpaged request for that ticket (unless opts.Paged);
// without one it is a paged bulk walk across tickets, which some tenants refuse (400).
// Rows are keyed by (ticket_id, id): action ids are only unique per ticket.
func (c *Client) Actions(ctx context.Context, opts *ListOptions) iter.Seq2[Page[Action], error] {
	paged := opts == nil || !opts.Params.Has("ticket_id")
	// note_html is only in the reply with includehtmlnote=true (swagger
	// /Actions: "Include the action note HTML as part of the response").
	o := ListOptions{}
	if opts != nil {
		o = *opts
	}
	o.Params = url.Values{}
	if opts != nil {
		maps.Copy(o.Params, opts.Params)
	}
	if !o.Params.Has("includehtmlnote") {
		o.Params.Set("includehtmlnote", "true")
	}
	opts = &o
	return list(ctx, c, endpoint[Action]{path: "/api/Actions", keys: []string{"actions"}, paged: paged,
		key: func(v *Action) string { return itoa(int64(v.TicketID)) + "/" + itoa(int64(v.ID)) }}, opts)
}

// Assets walks the asset list. Halo API: GET /api/Asset (key "assets"). Halo caps
// its pages at 50 whatever page_size says; the walk follows record_count.
func (c *Client) Assets(ctx context.Context, opts *ListOptions) iter.Seq2[Page[Asset], error] {
	return list(ctx, c, endpoint[Asset]{path: "/api/Asset", keys: []string{"assets"}, paged: true,
		key: idKey(func(v *Asset) Int { return v.ID })}, opts)
}

// Contracts walks client contracts. Halo API: GET /api/ClientContract (key "contracts").
func (c *Client) Contracts(ctx context.Context, opts *ListOptions) iter.Seq2[Page[Contract], error] {
	return list(ctx, c, endpoint[Contract]{path: "/api/ClientContract", keys: []string{"contracts"}, paged: true,
		key: idKey(func(v *Contract) Int { return v.ID })}, opts)
}

// Agents walks the agent list. Halo API: GET /api/Agent. Without paging
// parameters it answers one default page (50 rows for an API agent: issue 21
// found 50 of 150 agents mirrored), so the walk always sends them; Halo then
// wraps the rows as {"results": [...]} (and may ignore page_size, which the
// walk survives: a repeated page ends it). A bare array is accepted too.
func (c *Client) Agents(ctx context.Context, opts *ListOptions) iter.Seq2[Page[Agent], error] {
	return list(ctx, c, endpoint[Agent]{path: "/api/Agent", keys: []string{"results", "agents"}, paged: true,
		key: idKey(func(v *Agent) Int { return v.ID })}, opts)
}

// The lookups below answer bare arrays and are documented without paging, but
// they are walked like every list (paging parameters sent, walked to a short or
// repeated page): a tenant that does page them must not be cut to one default
// page, and one that ignores paging costs a single request (or two when it has
// more rows than a page).

// Statuses lists statuses. Halo API: GET /api/Status (bare array).
func (c *Client) Statuses(ctx context.Context, opts *ListOptions) iter.Seq2[Page[Status], error] {
	return list(ctx, c, endpoint[Status]{path: "/api/Status", paged: true, keys: []string{"statuses", "status", "results"},
		key: idKey(func(v *Status) Int { return v.ID })}, opts)
}

// TicketTypes lists ticket types. Halo API: GET /api/TicketType (bare array).
func (c *Client) TicketTypes(ctx context.Context, opts *ListOptions) iter.Seq2[Page[TicketType], error] {
	return list(ctx, c, endpoint[TicketType]{path: "/api/TicketType", paged: true,
		keys: []string{"tickettypes", "tickettype", "ticket_types", "results"},
		key:  idKey(func(v *TicketType) Int { return v.ID })}, opts)
}

// Teams lists teams. Halo API: GET /api/Team (bare array).
func (c *Client) Teams(ctx context.Context, opts *ListOptions) iter.Seq2[Page[Team], error] {
	return list(ctx, c, endpoint[Team]{path: "/api/Team", paged: true, keys: []string{"teams", "team", "results"},
		key: idKey(func(v *Team) Int { return v.ID })}, opts)
}

// Priorities lists priorities. Halo API: GET /api/Priority (bare array). Keyed by the
// GUID id (the same priorityid repeats once per SLA).
func (c *Client) Priorities(ctx context.Context, opts *ListOptions) iter.Seq2[Page[Priority], error] {
	return list(ctx, c, endpoint[Priority]{path: "/api/Priority", paged: true, keys: []string{"priorities", "priority", "results"},
		key: func(v *Priority) string { return v.ID + "/" + itoa(int64(v.PriorityID)) + "/" + itoa(int64(v.SLAID)) }}, opts)
}

// FieldInfo lists the field definitions. Halo API: GET /api/FieldInfo, a bare array of
// every field (430 rows, 552 KB on a live tenant) that has no paging parameters and
// ignores count (halo-api-more.md): one unpaged request.
func (c *Client) FieldInfo(ctx context.Context, opts *ListOptions) iter.Seq2[Page[FieldInfo], error] {
	return list(ctx, c, endpoint[FieldInfo]{path: "/api/FieldInfo", keys: []string{"fieldinfo", "results"},
		key: idKey(func(v *FieldInfo) Int { return v.ID })}, opts)
}
