package entity

// Priorities are configured per SLA (bare array; paged as Statuses are). The key
// is Halo's GUID id: the same priorityid repeats once per SLA.
var Priorities = declare(&Entity{
	Name:     "priorities",
	Comment:  "Priorities per SLA (GET /api/Priority, Policy schema). One priority number exists once per SLA: join tickets on (priority_id, sla_id) = (priorityid, slaid).",
	Order:    140,
	Path:     "/api/Priority",
	Envelope: []string{"priorities", "priority", "results"},
	Paging:   Paged,
	Keys: []Column{
		{Name: "id", Kind: Text,
			Comment: "Halo policy id, a GUID string (primary key)."},
	},
	Columns: []Column{
		{Name: "priorityid", Kind: Integer,
			Comment: "Priority number as used in halo.tickets.priority_id; unique per SLA (slaid) among live rows, not on its own."},
		{Name: "slaid", Kind: Ref,
			Comment: "SLA this priority belongs to (matches halo.tickets.sla_id). Join tickets on both: (slaid, priorityid) = (sla_id, priority_id)."},
		{Name: "name", Kind: TextKeep,
			Comment: "Priority name, e.g. \"P1 - Critical\"."},
		{Name: "ishidden", Kind: Boolean,
			Comment: "True when hidden in Halo."},
		{Name: "colour", Kind: Text,
			Comment: "Display colour (hex)."},
		{Name: "fixtime", Kind: NumericOrNull,
			Comment: "SLA fix (resolution) target of this priority, in fixunits; NULL when Halo sent none."},
		{Name: "fixunits", Kind: Text,
			Comment: "Unit of fixtime as Halo sends it; NULL when Halo sent none."},
		{Name: "responsetime", Kind: NumericOrNull,
			Comment: "SLA first-response target of this priority, in responseunits; NULL when Halo sent none."},
		{Name: "responseunits", Kind: Text,
			Comment: "Unit of responsetime as Halo sends it; NULL when Halo sent none."},
	},
	Interval: IntervalLookups,
	Filter:   FullOnly,
})
