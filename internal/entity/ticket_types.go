package entity

import "net/url"

// TicketTypes are the ticket types, a lookup (bare array; paged as Statuses are).
var TicketTypes = declare(&Entity{
	Name:     "ticket_types",
	Comment:  "Ticket types lookup (GET /api/RequestType). Join halo.tickets.tickettype_id to id.",
	Order:    120,
	Path:     "/api/TicketType",
	Envelope: []string{"tickettypes", "tickettype", "ticket_types", "results"},
	Paging:   Paged,
	Params:   url.Values{"showinactive": {"true"}},
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo ticket type id (primary key)."},
	},
	Columns: []Column{
		{Name: "name", Kind: TextKeep,
			Comment: "Ticket type name, e.g. \"Incident\"."},
		{Name: "use", Kind: Text,
			Comment: "What the type is used for (Halo's use field, e.g. ticket, opportunity, project), as text."},
		{Name: "group_id", Kind: Ref,
			Comment: "Ticket type group id."},
		{Name: "visible", Kind: Boolean,
			Comment: "True when the type is visible to users."},
		{Name: "inactive", Kind: Boolean,
			Comment: "True when the type is marked inactive in Halo."},
	},
	Interval: IntervalLookups,
	Filter:   FullOnly,
})
