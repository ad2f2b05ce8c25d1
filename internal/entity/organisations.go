package entity

// Organisations are the tenant's own companies: a bare array, no parameters
// at all in the swagger (so one unpaged request), one row on a live tenant.
var Organisations = declare(&Entity{
	Name:     "organisations",
	Comment:  "Organisations: the tenant's own companies (GET /api/Organisation, a bare array; Organisation schema). Top levels belong to one (halo.top_levels.organisation_id). The address is in raw.",
	Order:    200,
	Interval: IntervalLookups,
	Path:     "/api/Organisation",
	Paging:   Unpaged,
	Keys: []Column{
		{Name: "id", Kind: Integer, Comment: "Halo organisation id (primary key)."},
	},
	Columns: []Column{
		{Name: "guid", Kind: Text, Comment: "Halo's GUID of the organisation."},
		{Name: "name", Kind: TextKeep, Comment: "Organisation name."},
		{Name: "email", Kind: Text, Comment: "Email address."},
		{Name: "phone", Kind: Text, Comment: "Phone number."},
		{Name: "website", Kind: Text, Comment: "Website."},
		{Name: "portalurl", Kind: Text, Comment: "Self-service portal address of the organisation."},
		{Name: "tax_number", Kind: Text, Comment: "Tax (VAT) number."},
	},
	Filter: FullOnly,
})
