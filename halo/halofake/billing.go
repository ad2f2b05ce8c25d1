package halofake

import (
	"fmt"
	"net/http"
	"time"
)

// Billing (halo-api-more.md "/Invoice", "/Item", "/Quotation", "/Supplier"): paged lists as on /Tickets
// with count honoured.
//   - /Invoice (invoices): no modified-since filter; list rows carry last_modified (swagger) and
//     change_seq (live); nested lines (InvoiceDetail) only with includelines=true or GET by id.
//   - /Item (items): inactive hidden unless includeinactive=true; lastmodified.
//   - /Quotation (quotes): total and lines only on GET by id or with includelines=true; last_update_time.
//   - /Supplier (suppliers): inactive hidden by default; last_modified only on GET by id.

var products = []string{"Laptop 14\"", "Docking Station", "Microsoft 365 Business Premium", "Managed Backup (per TB)",
	"Firewall Appliance", "Support Hour", "Onsite Visit", "Antivirus Licence", "Monitor 27\"", "Café Wi-Fi Setup"}

func (s *Server) invoiceTable() *table {
	t := &table{api: "invoice", name: "invoices", key: "invoices", scope: "invoices", lastUpd: "last_modified",
		render: s.renderInvoice}
	t.list = func(w http.ResponseWriter, p params) {
		lines := p.flag("includelines")
		s.writeList(w, t, p, pagedAsTickets, func(*record) bool { return true }, func(r *record) obj {
			o := s.listRow(t, r)
			if lines {
				o = append(o, kv{"lines", s.invoiceLines(r)})
			}
			return o
		})
	}
	return t
}

func (s *Server) itemTable() *table {
	t := &table{api: "item", name: "items", key: "items", scope: "items", inactive: true, lastUpd: "lastmodified",
		render: s.renderItem}
	t.list = func(w http.ResponseWriter, p params) {
		s.writeList(w, t, p, pagedAsTickets, inactiveFilter(p), nil)
	}
	return t
}

func (s *Server) quoteTable() *table {
	t := &table{api: "quotation", name: "quotes", key: "quotes", scope: "quotes", lastUpd: "last_update_time",
		render: s.renderQuote}
	t.list = func(w http.ResponseWriter, p params) {
		lines := p.flag("includelines")
		s.writeList(w, t, p, pagedAsTickets, func(*record) bool { return true }, func(r *record) obj {
			o := s.listRow(t, r)
			if lines {
				ls, total := s.quoteLines(r)
				o = append(o, kv{"total", total}, kv{"lines", ls})
			}
			return o
		})
	}
	return t
}

func (s *Server) supplierTable() *table {
	t := &table{api: "supplier", name: "suppliers", key: "suppliers", scope: "suppliers", inactive: true,
		lastUpd: "last_modified", render: s.renderSupplier}
	t.list = func(w http.ResponseWriter, p params) {
		s.writeList(w, t, p, pagedAsTickets, inactiveFilter(p), nil)
	}
	return t
}

func (s *Server) generateBilling(size Size) {
	s.fill(s.tables["invoice"], size.Invoices, kInvoice, 0)
	s.fill(s.tables["item"], size.Items, kItem, 0.1)
	s.fill(s.tables["quotation"], size.Quotes, kQuote, 0)
	s.fill(s.tables["supplier"], size.Suppliers, kSupplier, 0.1)
}

func (s *Server) randomClient(g *rng) (client, site int64) {
	if s.size.Clients == 0 {
		return 0, 0
	}
	client = 1 + g.int63n(int64(s.size.Clients))
	if client <= int64(s.size.Sites) {
		site = client // the client's main site (renderClient)
	}
	return client, site
}

// invoiceLines are an invoice's lines as served: a POSTed lines array as written, else the generated ones.
func (s *Server) invoiceLines(r *record) any {
	if v, ok := r.over.get("lines"); ok {
		return v
	}
	return s.generatedInvoiceLines(r)
}

// generatedInvoiceLines are an invoice's InvoiceDetail rows; the header's totals come from them.
func (s *Server) generatedInvoiceLines(r *record) []obj {
	g := newRNG(s.opts.Seed, kInvoice+50, r.id)
	n := 1 + g.intn(4)
	out := make([]obj, n)
	for k := range n {
		item := int64(0)
		if s.size.Items > 0 {
			item = 1 + g.int63n(int64(s.size.Items))
		}
		qty := float64(1 + g.intn(5))
		price := float64(10+g.intn(990)) + 0.5*float64(g.intn(2))
		net := qty * price
		tax := net * 0.2
		out[k] = obj{{"id", r.id*100 + int64(k+1)}, {"ihid", r.id}, {"item_id", item},
			{"item_code", fmt.Sprintf("SKU-%04d", item)}, {"item_shortdescription", products[int(item)%len(products)]},
			{"qty_order", f1(qty)}, {"unit_price", money(price)}, {"unit_cost", money(price * 0.6)},
			{"net_amount", money(net)}, {"tax_amount", money(tax)}, {"total_price", money(net + tax)},
			{"nominal_code", "4000"}, {"tax_code", "T1"}, {"ticket_id", int64(0)}, {"contract_id", int64(-1)}}
	}
	return out
}

func sumKey(lines []obj, k string) float64 {
	var t float64
	for _, l := range lines {
		v, _ := l.get(k)
		if f, ok := v.(f1); ok {
			t += float64(f)
		}
	}
	return t
}

func (s *Server) renderInvoice(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kInvoice, r.id)
	client, site := s.randomClient(g)
	lines := s.generatedInvoiceLines(r)
	net, tax := sumKey(lines, "net_amount"), sumKey(lines, "tax_amount")
	total := net + tax
	date := dayOf(r.born)
	posted := date < genEpoch-30*day || g.chance(0.5)
	status := int64(g.intn(3)) // 0 unpaid, 1 part paid, 2 paid
	paid := map[int64]float64{0: 0, 1: total / 2, 2: total}[status]
	dateposted := sentinel1900
	if posted {
		dateposted = naive(date + day)
	}
	clientName := ""
	if client > 0 {
		clientName = s.clientNameOf(client)
	}
	o := obj{{"id", r.id}, {"invoicenumber", fmt.Sprintf("INV-%06d", r.id)}, {"thirdpartyinvoicenumber", ""},
		{"client_id", client}, {"client_name", clientName}, {"site_id", site}, {"invoice_date", naive(date)},
		{"duedate", naive(date + 30*day)}, {"posted", posted}, {"dateposted", dateposted}, {"paymentstatus", status},
		{"amountpaid", money(paid)}, {"amountdue", money(total - paid)}, {"total", money(total)}, {"tax_total", money(tax)},
		{"contract_id", int64(-1)}, {"ticket_id", int64(0)}, {"recurring_invoice_id", int64(0)},
		{"voided", g.chance(0.02)}, {"last_modified", naive(r.updated)},
		{"change_seq", (r.updated - genEpoch + 4*year) / int64(time.Second)}}
	if full {
		o = append(o, kv{"lines", lines}, kv{"customfields", s.customFields("invoice", r, nil)})
	}
	return withoutDetail(drift(finish(o, r), r, "thirdpartyinvoicenumber", "recurring_invoice_id"), full, "lines")
}

// withoutDetail drops keys of a list row that only GET by id (or includelines) carries, even when a POST
// wrote them into the record.
func withoutDetail(o obj, full bool, keys ...string) obj {
	if !full {
		for _, k := range keys {
			o.del(k)
		}
	}
	return o
}

func (s *Server) renderItem(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kItem, r.id)
	name := products[int(r.id)%len(products)]
	base := float64(10 + g.intn(990))
	recurring := g.chance(0.3)
	supplier := int64(0)
	if s.size.Suppliers > 0 {
		supplier = 1 + g.int63n(int64(s.size.Suppliers))
	}
	o := obj{{"id", r.id}, {"name", fmt.Sprintf("%s (%d)", name, r.id)}, {"description", name},
		{"internalreference", fmt.Sprintf("SKU-%04d", r.id)}, {"externalreference", ""},
		{"baseprice", money(base)}, {"costprice", money(base * 0.6)},
		{"recurringprice", money(map[bool]float64{true: base / 12, false: 0}[recurring])},
		{"recurringcost", money(map[bool]float64{true: base / 20, false: 0}[recurring])},
		{"isrecurringitem", recurring}, {"taxable", true}, {"assetgroup_id", int64(g.intn(4))},
		{"supplier_id", supplier}, {"quantity_in_stock", f1(g.intn(50))}, {"dont_track_stock", recurring},
		{"inactive", r.inactive}, {"datecreated", naive(r.born)}, {"lastmodified", naive(r.updated)}}
	if full {
		o = append(o, kv{"customfields", s.customFields("item", r, nil)})
	}
	return drift(finish(o, r), r, "externalreference", "recurringcost")
}

// quoteLines are a quote's lines as served (a POSTed lines array as written, else the generated
// QuotationDetail rows) and the total of the generated ones.
func (s *Server) quoteLines(r *record) (any, f1) {
	g := newRNG(s.opts.Seed, kQuote+50, r.id)
	n := 1 + g.intn(3)
	out := make([]obj, n)
	for k := range n {
		item := int64(0)
		if s.size.Items > 0 {
			item = 1 + g.int63n(int64(s.size.Items))
		}
		qty := float64(1 + g.intn(10))
		price := float64(20 + g.intn(500))
		out[k] = obj{{"id", r.id*100 + int64(k+1)}, {"ihid", r.id}, {"item_id", item},
			{"name", products[int(item)%len(products)]}, {"quantity", f1(qty)}, {"baseprice", money(price)},
			{"costprice", money(price * 0.6)}, {"net_total", money(qty * price)}}
	}
	total := money(sumKey(out, "net_total"))
	if v, ok := r.over.get("lines"); ok {
		return v, total
	}
	return out, total
}

func (s *Server) renderQuote(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kQuote, r.id)
	client, site := s.randomClient(g)
	clientName := ""
	if client > 0 {
		clientName = s.clientNameOf(client)
	}
	ticket := int64(0)
	if s.size.Tickets > 0 && g.chance(0.5) {
		ticket = 1 + g.int63n(int64(s.size.Tickets))
	}
	o := obj{{"id", r.id}, {"title", fmt.Sprintf("Quote for %s", pick(g, products))}, {"client_id", client},
		{"client_name", clientName}, {"site_id", site}, {"ticket_id", ticket}, {"status", int64(g.intn(4))},
		{"date", naive(dayOf(r.born))}, {"agent_id", s.realAgent(g)}, {"approvalstate", int64(g.intn(3))},
		{"last_update_time", naive(r.updated)}}
	if full {
		lines, total := s.quoteLines(r)
		o = append(o, kv{"total", total}, kv{"lines", lines}, kv{"customfields", s.customFields("quotation", r, nil)})
	}
	return withoutDetail(drift(finish(o, r), r, "approvalstate"), full, "total", "lines")
}

func (s *Server) renderSupplier(r *record, full bool) obj {
	g := newRNG(s.opts.Seed, kSupplier, r.id)
	first, last := personName(s.opts.Seed, kSupplier, r.id)
	name := fmt.Sprintf("%s %s Supplies %d", pick(g, companyA), pick(g, companyB), r.id)
	tl := int64(1 + g.intn(len(topLevels)))
	o := obj{{"id", r.id}, {"name", name}, {"toplevel_id", tl}, {"toplevel_name", topLevels[tl-1]},
		{"contact_name", first + " " + last}, {"email_address", emailFor(first, last, r.id, "supplier.example")},
		{"phone_number", fmt.Sprintf("+44 20 7946 %04d", r.id%10000)}, {"mobile", ""}, {"website", ""},
		{"inactive", r.inactive}, {"use", "supplier"}, {"colour", pick(g, colours)}}
	if full {
		o = append(o, kv{"accounts_id", fmt.Sprintf("SUP%05d", r.id)}, kv{"notes", ""}, kv{"datecreated", naive(r.born)},
			kv{"last_modified", naive(r.updated)}, kv{"customfields", s.customFields("supplier", r, nil)})
	}
	return withoutDetail(drift(finish(o, r), r, "mobile", "website"), full, "accounts_id", "notes", "datecreated")
}
