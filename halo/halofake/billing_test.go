package halofake

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Invoices page like tickets (count honoured), carry change_seq and last_modified in list rows, and nest
// their lines only with includelines=true or on GET by id.
func TestInvoicesLinesOnlyOnRequest(t *testing.T) {
	f := startFake(t, Options{})
	m := f.get(t, "/api/Invoice?pageinate=true&page_size=25&page_no=1").json(t)
	rs := rows(t, m, "invoices")
	require.Len(t, rs, 25)
	require.EqualValues(t, Small.Invoices, m["record_count"])
	for _, r := range rs {
		require.NotContains(t, r, "lines")
		require.Contains(t, r, "change_seq")
		require.Contains(t, r, "last_modified")
		require.Contains(t, r, "invoicenumber")
	}
	require.Len(t, rows(t, f.get(t, "/api/Invoice?count=3").json(t), "invoices"), 3, "count honoured")

	withLines := rows(t, f.get(t, "/api/Invoice?pageinate=true&page_size=5&includelines=true").json(t), "invoices")
	for _, r := range withLines {
		lines := r["lines"].([]any)
		require.NotEmpty(t, lines)
		l := lines[0].(map[string]any)
		require.Equal(t, r["id"], l["ihid"])
		for _, k := range []string{"id", "item_code", "qty_order", "unit_price", "net_amount", "tax_amount", "total_price"} {
			require.Contains(t, l, k)
		}
	}
	one := f.get(t, "/api/Invoice/1").json(t)
	require.NotEmpty(t, one["lines"])
	require.Contains(t, one, "customfields")

	// PublishedListRows: InvoiceHeader has no change_seq.
	p := startFake(t, Options{PublishedListRows: true})
	r := rows(t, p.get(t, "/api/Invoice?pageinate=true&page_size=1").json(t), "invoices")[0]
	require.NotContains(t, r, "change_seq")
	require.Contains(t, r, "last_modified")
}

func TestItemsAndSuppliersHideInactive(t *testing.T) {
	f := startFake(t, Options{})
	for _, c := range []struct{ path, key, name string }{{"/api/Item", "items", "items"}, {"/api/Supplier", "suppliers", "suppliers"}} {
		inactive := 0
		for _, r := range f.Records(c.name) {
			if r["inactive"] == true {
				inactive++
			}
		}
		require.Positive(t, inactive, c.name)
		m := f.get(t, c.path+"?pageinate=true&page_size=100").json(t)
		require.Len(t, rows(t, m, c.key), len(f.Records(c.name))-inactive, c.path)
		m = f.get(t, c.path+"?pageinate=true&page_size=100&includeinactive=true").json(t)
		require.Len(t, rows(t, m, c.key), len(f.Records(c.name)), c.path)
	}
	item := rows(t, f.get(t, "/api/Item?pageinate=true&page_size=1").json(t), "items")[0]
	require.Contains(t, item, "lastmodified")
	sup := rows(t, f.get(t, "/api/Supplier?pageinate=true&page_size=1").json(t), "suppliers")[0]
	require.NotContains(t, sup, "last_modified", "only on GET by id")
	require.Contains(t, f.get(t, "/api/Supplier/1").json(t), "last_modified")
}

func TestQuotesTotalAndLinesOnlyOnRequest(t *testing.T) {
	f := startFake(t, Options{})
	q := rows(t, f.get(t, "/api/Quotation?pageinate=true&page_size=5").json(t), "quotes")[0]
	require.NotContains(t, q, "total")
	require.NotContains(t, q, "lines")
	require.NotContains(t, q, "quote_number")
	require.Contains(t, q, "last_update_time")
	q = rows(t, f.get(t, "/api/Quotation?pageinate=true&page_size=5&includelines=true").json(t), "quotes")[0]
	require.Contains(t, q, "total")
	require.NotEmpty(t, q["lines"])
	one := f.get(t, "/api/Quotation/1").json(t)
	require.Contains(t, one, "total")
	require.NotEmpty(t, one["lines"])
}

// The pushable billing areas upsert by POST (the stored record back, last-modified moved, keys outside
// the schema dropped) and delete.
func TestBillingWrites(t *testing.T) {
	f := startFake(t, Options{})
	f.clock.Add(time.Minute)
	for _, c := range []struct{ path, key, lastMod, body string }{
		{"/api/Item", "items", "lastmodified", `{"name":"Widget","baseprice":9.5,"bogus":1}`},
		{"/api/Supplier", "suppliers", "last_modified", `{"name":"Widgets Ltd","bogus":1}`},
		{"/api/Quotation", "quotes", "last_update_time", `{"title":"Widgets","client_id":1,"bogus":1}`},
		{"/api/Invoice", "invoices", "last_modified", `{"client_id":1,"bogus":1}`},
	} {
		r := f.post(t, c.path, "["+c.body+"]")
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		saved := r.json(t)
		require.NotContains(t, saved, "bogus", c.path)
		require.Equal(t, "2026-06-01T12:01:00", saved[c.lastMod], c.path)
		id := int64(saved["id"].(float64))
		f.clock.Add(time.Minute)
		r = f.post(t, c.path, fmt.Sprintf(`[{"id":%d,"notes":"x"}]`, id))
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		require.Greater(t, r.json(t)[c.lastMod].(string), saved[c.lastMod].(string), c.path)
		path := fmt.Sprintf("%s/%d", c.path, id)
		require.Equal(t, http.StatusOK, f.get(t, path).status)
		require.Equal(t, http.StatusOK, f.do(t, http.MethodDelete, path, f.tok, "", nil).status)
		require.Equal(t, http.StatusNotFound, f.get(t, path).status)
		f.clock.Add(-time.Minute)
	}
}
