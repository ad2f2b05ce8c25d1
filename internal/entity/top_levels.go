package entity

import "net/url"

// TopLevels are Halo's grouping above clients. The list's envelope key is
// "tree" (not "toplevels"); count is honoured, so it pages. show_all lists
// every top level, not only those the API agent may edit (swagger).
var TopLevels = declare(&Entity{
	Name:     "top_levels",
	Comment:  "Top levels, Halo's grouping above clients (GET /api/TopLevel, envelope \"tree\"; Tree_List schema). halo.clients.toplevel_id points here.",
	Order:    205,
	Interval: IntervalLookups,
	Path:     "/api/TopLevel",
	Envelope: []string{"tree"},
	Paging:   Paged,
	Params:   url.Values{"show_all": {"true"}},
	Keys: []Column{
		{Name: "id", Kind: Integer, Comment: "Halo top level id (primary key); halo.clients.toplevel_id."},
	},
	Columns: []Column{
		{Name: "guid", Kind: Text, Comment: "Halo's GUID of the top level."},
		{Name: "name", Kind: TextKeep, Comment: "Top level name."},
		{Name: "long_name", Kind: Text, Comment: "Full name (with the organisation)."},
		{Name: "organisation_id", Kind: Ref, Comment: "Organisation it belongs to (halo.organisations.id); NULL when none."},
		{Name: "organisation_name", Kind: Text, Comment: "Organisation name at the time of the last sync."},
		{Name: "type", Kind: Integer, Comment: "Top level type as Halo codes it."},
	},
	Filter: FullOnly,
})
