package entity

// SLAs are a bare array with no paging parameters in the swagger (five rows on
// a live tenant): one unpaged request. showpriorities is left off: the
// priorities are mirrored on their own (halo.priorities).
var SLAs = declare(&Entity{
	Name:     "slas",
	Comment:  "Service level agreements (GET /api/SLA, a bare array; SlaHead schema). halo.tickets.sla_id and halo.priorities.slaid point here; the targets per priority are in halo.priorities.",
	Order:    160,
	Interval: IntervalLookups,
	Path:     "/api/SLA",
	Paging:   Unpaged,
	Keys: []Column{
		{Name: "id", Kind: Integer, Comment: "Halo SLA id (primary key)."},
	},
	Columns: []Column{
		{Name: "guid", Kind: Text, Comment: "Halo's GUID of the SLA."},
		{Name: "name", Kind: TextKeep, Comment: "SLA name."},
		{Name: "workday_id", Kind: Ref, Comment: "Working-hours calendar the SLA clock follows."},
		{Name: "hoursaretechslocaltime", Kind: Boolean, Comment: "True when working hours are in the agent's local time."},
		{Name: "responsereset", Kind: Boolean, Comment: "True when a response resets the response clock."},
		{Name: "trackslaresponsetime", Kind: Boolean, Comment: "True when the response target is tracked."},
		{Name: "trackslafixbytime", Kind: Boolean, Comment: "True when the fix-by target is tracked."},
		{Name: "autoreleaseoption", Kind: Boolean, Comment: "True when tickets on hold are released automatically."},
		{Name: "autoreleaselimit", Kind: IntegerOrNull, Comment: "Auto-release limit as Halo stores it."},
	},
	Filter: FullOnly,
})
