package entity

// Categories are a bare array (162 rows on a live tenant; a client's model of
// a {categories} envelope is contradicted by the live answer, but the key is
// accepted too). No paging parameters in the swagger: one unpaged request.
var Categories = declare(&Entity{
	Name:     "categories",
	Comment:  "Ticket categories (GET /api/Category, a bare array; CategoryDetail schema). Tickets hold the category text (halo.tickets.category_1 = value), not its id.",
	Order:    170,
	Interval: IntervalLookups,
	Path:     "/api/Category",
	Envelope: []string{"categories"},
	Paging:   Unpaged,
	Keys: []Column{
		{Name: "id", Kind: Integer, Comment: "Halo category id (primary key)."},
	},
	Columns: []Column{
		{Name: "guid", Kind: Text, Comment: "Halo's GUID of the category."},
		{Name: "value", Kind: Text, Comment: "Category text as tickets carry it (e.g. \"Hardware>Laptop\")."},
		{Name: "category_name", Kind: Text, Comment: "Category display name."},
		{Name: "type_id", Kind: Integer, Comment: "Which category slot (1 to 4, matching category_1 .. category_4 of tickets)."},
		{Name: "category_group_id", Kind: Ref, Comment: "Category group id; NULL when none."},
		{Name: "sla_id", Kind: Ref, Comment: "SLA the category sets (halo.slas.id); NULL when none."},
		{Name: "priority_id", Kind: Ref, Comment: "Priority the category sets; NULL when none."},
		{Name: "chargerate", Kind: Ref, Comment: "Charge rate the category sets, as Halo codes it; NULL when none."},
	},
	Filter: FullOnly,
})
