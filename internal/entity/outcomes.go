package entity

import "net/url"

// Outcomes are the action types: a bare array (91 rows, 333 KB live), count
// ignored and no paging parameters in the swagger: one unpaged request.
// showhidden lists hidden ones too (as django-psa sends it), or a hidden
// outcome would look deleted.
var Outcomes = declare(&Entity{
	Name:     "outcomes",
	Comment:  "Outcomes, i.e. action types (GET /api/Outcome, a bare array; TOutcome schema), hidden ones included. halo.actions.outcome_id points here. Halo sends 230-odd keys per row: all in raw.",
	Order:    180,
	Interval: IntervalLookups,
	Path:     "/api/Outcome",
	Paging:   Unpaged,
	Params:   url.Values{"showhidden": {"true"}},
	Keys: []Column{
		{Name: "id", Kind: Integer, Comment: "Halo outcome id (primary key); halo.actions.outcome_id."},
	},
	Columns: []Column{
		{Name: "outcome", Kind: TextKeep, Comment: "Action type name (what halo.actions.outcome shows)."},
		{Name: "buttonname", Kind: Text, Comment: "Label of the button agents press."},
		{Name: "labellong", Kind: Text, Comment: "Long label."},
		{Name: "sequence", Kind: Integer, Comment: "Display order."},
		{Name: "hidden", Kind: Boolean, Comment: "True when hidden from agents (not a deletion)."},
		{Name: "systemid", Kind: Ref, Comment: "Halo's system action id for built-in actions; NULL for custom ones."},
		{Name: "newstatus", Kind: Ref, Comment: "Status the action sets (halo.statuses.id); NULL when it keeps the status."},
		{Name: "colour", Kind: Text, Comment: "Display colour."},
		{Name: "icon", Kind: Text, Comment: "Display icon."},
	},
	Filter: FullOnly,
})
