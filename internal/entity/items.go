package entity

// Items are the products and services sold. /Item pages and hides inactive
// items unless asked; it has no modified-since filter, so every pull is a
// full walk compared by content (lastmodified gives halo_updated_at).
var Items = declare(&Entity{
	Name:     "items",
	Comment:  "Items: products and services sold and stocked (GET /api/Item), inactive ones included (Halo hides them unless asked). Writable (see halosync.writable_columns): changes are pushed to Halo.",
	Order:    310,
	Path:     "/api/Item",
	Envelope: []string{"items"},
	Paging:   Paged,
	Params:   includeInactive,
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo item id (primary key)."},
	},
	Columns: []Column{
		{Name: "name", Kind: TextKeep, Writable: true,
			Comment: "Item name."},
		{Name: "description", Kind: Text, Writable: true,
			Comment: "Description."},
		{Name: "internalreference", Kind: Text, Writable: true,
			Comment: "Internal reference (SKU or code)."},
		{Name: "externalreference", Kind: Text, Writable: true,
			Comment: "External reference (e.g. the supplier's code)."},
		{Name: "baseprice", Kind: NumericOrNull, Writable: true,
			Comment: "Sale price per unit."},
		{Name: "costprice", Kind: NumericOrNull, Writable: true,
			Comment: "Cost price per unit."},
		{Name: "recurringprice", Kind: NumericOrNull, Writable: true,
			Comment: "Recurring sale price (for recurring items)."},
		{Name: "recurringcost", Kind: NumericOrNull, Writable: true,
			Comment: "Recurring cost (for recurring items)."},
		{Name: "isrecurringitem", Kind: BooleanOrNull, Writable: true,
			Comment: "True for a recurring (subscription) item."},
		{Name: "taxable", Kind: BooleanOrNull, Writable: true,
			Comment: "True when tax applies."},
		{Name: "assetgroup_id", Kind: Ref, Writable: true,
			Comment: "Asset group (item group) id; NULL when none."},
		{Name: "supplier_id", Kind: Ref, Writable: true,
			Comment: "Default supplier (halo.suppliers.id); NULL when none."},
		{Name: "quantity_in_stock", Kind: NumericOrNull,
			Comment: "Quantity in stock, as Halo counts it."},
		{Name: "dont_track_stock", Kind: BooleanOrNull, Writable: true,
			Comment: "True when Halo does not track stock for the item."},
		{Name: "datecreated", Kind: Timestamp,
			Comment: "When the item was created in Halo (UTC; NULL when unset or a 1900 sentinel)."},
	},
	UpdatedAt: []string{"lastmodified"},
	Filter:    FullOnly,
	// Billing records change a few times a day: an hourly full walk keeps
	// them fresh at a fraction of the request budget.
	Interval: IntervalLookups,
	Create:   CreateParked,
})
