package entity

import (
	"net/url"
)

// Invoices are read whole every time: /Invoice has no modified-since filter
// (list rows carry last_modified, which detects nothing a content compare
// would not). includelines=true makes the rows carry their lines
// (InvoiceLines), which are otherwise only on GET by id. Read-only: Halo's
// invoices feed its accounting integrations.
var Invoices = declare(&Entity{
	Name:     "invoices",
	Comment:  "Invoices (GET /api/Invoice, InvoiceHeader rows), with their lines in halo.invoice_lines. Read-only: Halo's invoices feed its accounting integrations, so halosync refuses local edits; change invoices in Halo.",
	Order:    340,
	Path:     "/api/Invoice",
	Envelope: []string{"invoices"},
	Paging:   Paged,
	Params:   url.Values{"includelines": {"true"}},
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo invoice id (primary key; halo.invoice_lines.ihid)."},
	},
	Columns: []Column{
		{Name: "invoicenumber", Kind: Text,
			Comment: "Invoice number as shown on the invoice."},
		{Name: "thirdpartyinvoicenumber", Kind: Text,
			Comment: "Invoice number in the accounting system Halo syncs with; NULL when none."},
		{Name: "client_id", Kind: Ref,
			Comment: "Client invoiced (halo.clients.id)."},
		{Name: "client_name", Kind: Text,
			Comment: "Client name at the time of the last sync."},
		{Name: "invoice_date", Kind: Timestamp,
			Comment: "Invoice date (UTC)."},
		{Name: "duedate", Kind: Timestamp,
			Comment: "Payment due date (UTC); NULL when unset."},
		{Name: "posted", Kind: BooleanOrNull,
			Comment: "True once the invoice was posted (sent to accounts)."},
		{Name: "dateposted", Kind: Timestamp,
			Comment: "When it was posted (UTC); NULL when not posted."},
		{Name: "datepaid", Kind: Timestamp,
			Comment: "When it was paid (UTC); NULL when unpaid or unknown."},
		{Name: "paymentstatus", Kind: IntegerOrNull,
			Comment: "Payment status code as Halo sends it (the codes Halo's paymentstatuses filter takes)."},
		{Name: "amountpaid", Kind: NumericOrNull,
			Comment: "Amount paid so far, in the invoice currency."},
		{Name: "amountdue", Kind: NumericOrNull,
			Comment: "Amount still due, in the invoice currency (0 when paid)."},
		{Name: "total", Kind: NumericOrNull,
			Comment: "Invoice total including tax."},
		{Name: "tax_total", Kind: NumericOrNull,
			Comment: "Tax part of the total."},
		{Name: "contract_id", Kind: Ref,
			Comment: "Contract invoiced (halo.contracts.id); NULL when none."},
		{Name: "ticket_id", Kind: Ref,
			Comment: "Ticket invoiced (halo.tickets.id); NULL when none."},
		{Name: "recurring_invoice_id", Kind: Ref,
			Comment: "Recurring invoice this invoice was raised from; NULL when none."},
		{Name: "voided", Kind: BooleanOrNull,
			Comment: "True when the invoice was voided (still a live row here; not a deletion)."},
	},
	UpdatedAt: []string{"last_modified"},
	Filter:    FullOnly,
	// Billing records change a few times a day: an hourly full walk keeps
	// them fresh at a fraction of the request budget.
	Interval: IntervalLookups,
	ReadOnly: true,
})
