package entity

import "net/url"

// Statuses are the ticket (and other) statuses, a lookup; type 0 is a ticket
// status. /Status answers a bare array and is documented without paging, but
// it is walked like every list: a tenant that does page it must not be cut to
// one default page, and one that ignores paging costs a request more at most.
var Statuses = declare(&Entity{
	Name:     "statuses",
	Comment:  "Ticket statuses lookup (GET /api/Status). Join halo.tickets.status_id to id.",
	Order:    110,
	Path:     "/api/Status",
	Envelope: []string{"statuses", "status", "results"},
	Paging:   Paged,
	Params:   url.Values{"showall": {"true"}},
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo status id (primary key)."},
	},
	Columns: []Column{
		{Name: "name", Kind: TextKeep,
			Comment: "Status name, e.g. \"New\", \"Closed\"."},
		{Name: "shortname", Kind: Text,
			Comment: "Short name."},
		{Name: "type", Kind: Integer,
			Comment: "Status kind (0 = ticket status)."},
		{Name: "sequence", Kind: Integer,
			Comment: "Display order in Halo."},
		{Name: "colour", Kind: Text,
			Comment: "Display colour (hex)."},
	},
	Interval: IntervalLookups,
	Filter:   FullOnly,
})
