package entity

// Suppliers are Halo's Company records. /Supplier pages and hides inactive
// suppliers unless asked; list rows carry no modification time
// (last_modified only on GET by id), so every pull is a full walk compared
// by content.
var Suppliers = declare(&Entity{
	Name:     "suppliers",
	Comment:  "Suppliers (GET /api/Supplier, Halo's Company schema), inactive ones included (Halo hides them unless asked). List rows carry no modification time, so halo_updated_at stays NULL and every pull compares content. Writable (see halosync.writable_columns): changes are pushed to Halo.",
	Order:    230,
	Path:     "/api/Supplier",
	Envelope: []string{"suppliers"},
	Paging:   Paged,
	Params:   includeInactive,
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo supplier id (primary key)."},
	},
	Columns: []Column{
		{Name: "name", Kind: TextKeep, Writable: true,
			Comment: "Supplier name."},
		{Name: "toplevel_id", Kind: Ref, Writable: true,
			Comment: "Top level the supplier is filed under; NULL when none."},
		{Name: "toplevel_name", Kind: Text,
			Comment: "Name of that top level."},
		{Name: "contact_name", Kind: Text, Writable: true,
			Comment: "Main contact's name."},
		{Name: "email_address", Kind: Text, Writable: true,
			Comment: "Email address."},
		{Name: "phone_number", Kind: Text, Writable: true,
			Comment: "Phone number."},
		{Name: "mobile", Kind: Text, Writable: true,
			Comment: "Mobile number."},
		{Name: "website", Kind: Text, Writable: true,
			Comment: "Website."},
		{Name: "inactive", Kind: BooleanOrNull, Writable: true,
			Comment: "True when the supplier is marked inactive in Halo (not a deletion)."},
	},
	// Only GET by id carries last_modified: the push reads it there to date
	// Halo's side of a conflict; list rows leave halo_updated_at NULL.
	UpdatedAt: []string{"last_modified"},
	Filter:    FullOnly,
	// Billing records change a few times a day: an hourly full walk keeps
	// them fresh at a fraction of the request budget.
	Interval: IntervalLookups,
	Create:   CreateParked,
})
