package entity

import (
	"net/url"
)

// Quotes are quotations. /Quotation pages; list rows lack total and lines
// unless includelines=true is honoured (unknown on live tenants: a row
// without lines leaves the stored lines alone). No modified-since filter:
// full walks compared by content; last_update_time gives halo_updated_at.
var Quotes = declare(&Entity{
	Name:     "quotes",
	Comment:  "Quotations (GET /api/Quotation), with their lines in halo.quote_lines when Halo sends them (includelines). Halo's list rows carry no total: sum the lines. Writable (see halosync.writable_columns): changes are pushed to Halo.",
	Order:    330,
	Path:     "/api/Quotation",
	Envelope: []string{"quotes"},
	Paging:   Paged,
	Params:   url.Values{"includelines": {"true"}},
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo quotation id (primary key; halo.quote_lines.qhid)."},
	},
	Columns: []Column{
		{Name: "title", Kind: TextKeep, Writable: true,
			Comment: "Quote title."},
		{Name: "client_id", Kind: Ref, Writable: true,
			Comment: "Client quoted (halo.clients.id)."},
		{Name: "client_name", Kind: Text,
			Comment: "Client name at the time of the last sync."},
		{Name: "status", Kind: IntegerOrNull,
			Comment: "Quote status code as Halo sends it (the codes Halo's quote_status filter takes)."},
		{Name: "date", Kind: Date, Writable: true,
			Comment: "Quote date (UTC)."},
		{Name: "agent_id", Kind: Ref, Writable: true,
			Comment: "Agent who owns the quote (halo.agents.id); NULL when none."},
		{Name: "approvalstate", Kind: IntegerOrNull,
			Comment: "Approval state code as Halo sends it."},
	},
	UpdatedAt: []string{"last_update_time"},
	Filter:    FullOnly,
	// Billing records change a few times a day: an hourly full walk keeps
	// them fresh at a fraction of the request budget.
	Interval: IntervalLookups,
	Create:   CreateParked,
})
