package entity

// QuoteLines arrive inside their quote's row (its "lines", when Halo
// honours includelines); they take their quote's id as qhid when a line
// lacks it.
var QuoteLines = declare(&Entity{
	Name:    "quote_lines",
	Comment: "Quotation lines (QuotationDetail), read with their quote when Halo sends them (includelines=true; whether live lists honour it is unknown: a quote whose row came without lines keeps its stored lines). A line gone from its quote gets deleted_at when the quote is next stored. Read-only.",
	Order:   331,
	Path:    "/api/Quotation",
	Paging:  Paged,
	Parent:  "quotes",
	Nested:  "lines",
	Keys: []Column{
		{Name: "qhid", Kind: Integer,
			Comment: "Quote the line belongs to (halo.quotes.id). Part of the primary key."},
		{Name: "id", Kind: Integer,
			Comment: "Halo line id. Part of the primary key."},
	},
	Columns: []Column{
		{Name: "item_id", Kind: Ref,
			Comment: "Item quoted (halo.items.id); NULL for a free-text line."},
		{Name: "name", Kind: Text,
			Comment: "Line name (the item's name unless changed on the quote)."},
		{Name: "baseprice", Kind: NumericOrNull,
			Comment: "Sale price per unit."},
		{Name: "costprice", Kind: NumericOrNull,
			Comment: "Cost price per unit."},
		{Name: "net_total", Kind: NumericOrNull,
			Comment: "Line total excluding tax."},
	},
	Filter:   FullOnly,
	ReadOnly: true,
})
