package entity

// InvoiceLines arrive inside their invoice's row (its "lines", asked for
// with includelines=true); they take their invoice's id as ihid when a line
// lacks it.
var InvoiceLines = declare(&Entity{
	Name:    "invoice_lines",
	Comment: "Invoice lines (InvoiceDetail), read with their invoice (includelines=true). A line gone from its invoice gets deleted_at when the invoice is next stored; every line of a deleted invoice is tombstoned with it. Read-only, like halo.invoices.",
	Order:   341,
	Path:    "/api/Invoice",
	Paging:  Paged,
	Parent:  "invoices",
	Nested:  "lines",
	Keys: []Column{
		{Name: "ihid", Kind: Integer,
			Comment: "Invoice the line belongs to (halo.invoices.id). Part of the primary key."},
		{Name: "id", Kind: Integer,
			Comment: "Halo line id. Part of the primary key."},
	},
	Columns: []Column{
		{Name: "item_code", Kind: Text,
			Comment: "Item code of the line (halo.items.name of the item sold, as Halo prints it)."},
		{Name: "item_shortdescription", Kind: Text,
			Comment: "Line description."},
		{Name: "qty_order", Kind: NumericOrNull,
			Comment: "Quantity."},
		{Name: "unit_price", Kind: NumericOrNull,
			Comment: "Price per unit, excluding tax."},
		{Name: "unit_cost", Kind: NumericOrNull,
			Comment: "Cost per unit."},
		{Name: "net_amount", Kind: NumericOrNull,
			Comment: "Line amount excluding tax."},
		{Name: "tax_amount", Kind: NumericOrNull,
			Comment: "Tax on the line."},
		{Name: "total_price", Kind: NumericOrNull,
			Comment: "Line amount including tax."},
		{Name: "nominal_code", Kind: Text,
			Comment: "Nominal (ledger) code."},
		{Name: "tax_code", Kind: Text,
			Comment: "Tax code."},
		{Name: "ticket_id", Kind: Ref,
			Comment: "Ticket the line bills (halo.tickets.id); NULL when none."},
		{Name: "contract_id", Kind: Ref,
			Comment: "Contract the line bills (halo.contracts.id); NULL when none."},
	},
	Filter:   FullOnly,
	ReadOnly: true,
})
