package sync_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
)

// contractParams is every query parameter the client may send, by endpoint,
// with where the contract documents it (HA = halo-api.md, HAM =
// halo-api-more.md, SW = Halo's published swagger). Halo ignores parameters
// it does not know (HA §2), so a misspelt one would silently turn a filter
// into a full scan: this list pins each one.
var contractParams = map[string]map[string]string{
	"GET /api/client":         {"pageinate": "HA §3.1", "page_size": "HA §3.1", "page_no": "HA §3.1", "includeinactive": "HA §3.2", "includeactive": "HA §3.2", "lastupdatefromdate": "HA §4"},
	"GET /api/site":           {"pageinate": "HA §3.1", "page_size": "HA §3.1", "page_no": "HA §3.1", "includeinactive": "HA §3.2", "includeactive": "HA §3.2", "lastupdatefromdate": "HA §4"},
	"GET /api/users":          {"pageinate": "HA §3.1", "page_size": "HA §3.1", "page_no": "HA §3.1", "includeinactive": "HA §3.2", "includeactive": "HA §3.2"},
	"GET /api/asset":          {"pageinate": "HA §3.1", "page_size": "HA §3.1", "page_no": "HA §3.1", "includeinactive": "HA §3.2", "includeactive": "HA §3.2", "lastupdatefromdate": "HA §4", "includeassetfields": "HA §12.9, SW /Asset"},
	"GET /api/clientcontract": {"pageinate": "HA §3.1", "page_size": "HA §3.1", "page_no": "HA §3.1", "includeinactive": "HA §3.2"},
	"GET /api/tickets":        {"pageinate": "HA §3.1", "page_size": "HA §3.1", "page_no": "HA §3.1", "lastupdatefromdate": "HA §4", "deleted": "HA §3.2, §4", "order": "HA §2, SW /Tickets", "orderdesc": "HA §2, HAM corrections, SW /Tickets", "include_custom_fields": "HA §5.1, HAM custom fields"},
	"GET /api/actions":        {"pageinate": "HA §12.12", "page_size": "HA §12.12", "page_no": "HA §12.12", "ticket_id": "HA §3.2", "startdate": "HA §3.2", "includehtmlnote": "HA §5.6, SW /Actions"},
	"GET /api/agent":          {"pageinate": "HAM /Agent", "page_size": "HAM /Agent", "page_no": "HAM /Agent", "includeenabled": "HA §3.2", "includedisabled": "HA §3.2", "includeunassigned": "HA §3.2", "includeapiagents": "SW /Agent"},
	"GET /api/status":         {"pageinate": "HA §3.2 (ignored)", "page_size": "HA §3.2 (ignored)", "page_no": "HA §3.2 (ignored)", "showall": "HA §3.2"},
	"GET /api/tickettype":     {"pageinate": "HA §3.2 (ignored)", "page_size": "HA §3.2 (ignored)", "page_no": "HA §3.2 (ignored)", "showinactive": "HA §3.2"},
	"GET /api/team":           {"pageinate": "HAM /Team", "page_size": "HAM /Team", "page_no": "HAM /Team", "includedisabled": "HA §3.2", "includeenabled": "HA §3.2"},
	"GET /api/fieldinfo":      {},
	"GET /api/priority":       {"pageinate": "HA §3.2 (ignored)", "page_size": "HA §3.2 (ignored)", "page_no": "HA §3.2 (ignored)"},
	"GET /api/tickets/{id}":   {},
	// billing, calendar and time (issue 18)
	"GET /api/appointment":    {"pageinate": "HAM /Appointment, SW", "page_size": "HAM /Appointment, SW", "page_no": "HAM /Appointment (paging only with it), SW", "start_date": "HAM /Appointment, SW", "end_date": "HAM /Appointment, SW"},
	"GET /api/timesheetevent": {"start_date": "HAM /TimesheetEvent (ISO datetimes), SW", "end_date": "HAM /TimesheetEvent, SW"},
	"GET /api/timesheet":      {"start_date": "HAM /Timesheet (PS sends it)", "end_date": "HAM /Timesheet (PS sends it)"},
	"GET /api/invoice":        {"pageinate": "HAM /Invoice, SW", "page_size": "HAM /Invoice, SW", "page_no": "HAM /Invoice, SW", "includelines": "HAM /Invoice, SW"},
	"GET /api/item":           {"pageinate": "HAM /Item, SW", "page_size": "HAM /Item, SW", "page_no": "HAM /Item, SW", "includeinactive": "HAM /Item, SW", "includeactive": "HAM /Item, SW"},
	"GET /api/quotation":      {"pageinate": "HAM /Quotation, SW", "page_size": "HAM /Quotation, SW", "page_no": "HAM /Quotation, SW", "includelines": "HAM /Quotation, SW"},
	"GET /api/supplier":       {"pageinate": "HAM /Supplier, SW", "page_size": "HAM /Supplier, SW", "page_no": "HAM /Supplier, SW", "includeinactive": "HAM /Supplier, SW", "includeactive": "HAM /Supplier, SW"},
	// KB, projects and configuration (issue 18)
	"GET /api/instanceinfo":    {},
	"GET /api/sla":             {},
	"GET /api/category":        {},
	"GET /api/organisation":    {},
	"GET /api/outcome":         {"showhidden": "HAM /Outcome, SW /Outcome"},
	"GET /api/toplevel":        {"pageinate": "HAM /TopLevel, SW", "page_size": "HAM /TopLevel, SW", "page_no": "HAM /TopLevel, SW", "show_all": "SW /TopLevel"},
	"GET /api/kbarticle":       {"pageinate": "HAM /KBArticle", "page_size": "HAM /KBArticle", "page_no": "HAM /KBArticle", "includeinactive": "SW /KBArticle", "includeactive": "SW /KBArticle"},
	"GET /api/attachment":      {"ticket_id": "HAM /Attachment"},
	"DELETE /api/tickets/{id}": {"reason": "HA §7.2, SW DELETE /Tickets/{id}"},
}

// booleanParams are sent as true/false, never 1/0 (HAM corrections:
// orderdesc=1 returned the oldest rows on live Halo).
var booleanParams = map[string]bool{
	"pageinate": true, "includeinactive": true, "includeactive": true, "deleted": true, "includehtmlnote": true,
	"includeenabled": true, "includedisabled": true, "includeunassigned": true, "includeapiagents": true,
	"showall": true, "showinactive": true, "orderdesc": true, "includeassetfields": true, "includelines": true,
	"showhidden": true, "show_all": true,
}

var idSegment = regexp.MustCompile(`/\d+$`)

// Issue 14 item 8: every query parameter a sync sends is one the contract
// documents, and every boolean is true or false.
func TestEveryQueryParameterIsInTheContract(t *testing.T) {
	e := newEnv(t, halofake.Options{BulkActions: true, Seed: 51, HonourLastUpdateFilter: true, PublishedListRows: true}, tiny)
	ctx := context.Background()
	e.cycle(t, false)
	for i := int64(1); i <= 5; i++ {
		e.fake.AddAction(i, "a new note")
	}
	e.fake.Update("clients", 2, map[string]any{"name": "renamed"})
	e.fake.Delete("tickets", 9)
	e.cycle(t, false)
	e.cycle(t, true)
	_, err := e.puller.FetchTicket(ctx, 3)
	require.NoError(t, err)
	require.NoError(t, e.puller.Halo.Delete(ctx, "/api/Tickets", 4, nil))

	seen := map[string]bool{}
	for _, r := range e.fake.Requests() {
		if !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		endpoint := r.Method + " " + idSegment.ReplaceAllString(strings.TrimSuffix(r.Path, "/"), "/{id}")
		allowed, ok := contractParams[endpoint]
		require.True(t, ok, "request to an endpoint outside the contract: %s", endpoint)
		for name, values := range r.Query {
			_, ok := allowed[name]
			require.True(t, ok, "%s sends %q, which the contract does not document", endpoint, name)
			seen[endpoint+" "+name] = true
			if booleanParams[name] {
				for _, v := range values {
					require.Contains(t, []string{"true", "false"}, v, "%s: boolean %s=%s", endpoint, name, v)
				}
			}
		}
	}
	for _, must := range []string{
		"GET /api/agent pageinate", "GET /api/agent includeapiagents", "GET /api/actions includehtmlnote",
		"GET /api/status pageinate", "GET /api/team pageinate", "GET /api/tickettype pageinate", "GET /api/priority pageinate",
		"DELETE /api/tickets/{id} reason", "GET /api/tickets deleted", "GET /api/site lastupdatefromdate",
		"GET /api/tickets orderdesc",
	} {
		require.True(t, seen[must], "expected the sync to send %s", must)
	}
}
