package entity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Time entries carry id 0: their key is their ticket action when they have one, else agent, start and type.
func TestIdentifyTimeEntry(t *testing.T) {
	rec, err := TimesheetEvents.Decode([]byte(`{"id":0,"agent_id":4,"start_date":"2026-11-02T09:00:00","end_date":"2026-11-02T10:30:00","timetaken":1.5,"ticket_id":812,"action_number":3,"event_type":0,"customer":"Acme"}`))
	require.NoError(t, err)
	require.Equal(t, []any{"ticket/812/3"}, rec.Keys)
	require.Equal(t, 1.5, rec.Value("timetaken"))

	rec, err = TimesheetEvents.Decode([]byte(`{"id":0,"agent_id":4,"start_date":"2026-11-02T13:00:00Z","ticket_id":0,"action_number":0,"event_type":2,"subject":"Holiday"}`))
	require.NoError(t, err)
	require.Equal(t, []any{"agent/4/2026-11-02T13:00:00Z/2"}, rec.Keys)
	require.Nil(t, rec.Value("ticket_id"), "ticket 0 is no ticket")

	_, err = TimesheetEvents.Decode([]byte(`{"id":0,"agent_id":4,"event_type":2}`))
	require.ErrorContains(t, err, "start_date", "an entry that cannot be identified is a reject, never keyed on nothing")
}

// Timesheets key on (agent_id, date); a row without a date cannot be stored.
func TestTimesheetKey(t *testing.T) {
	rec, err := Timesheets.Decode([]byte(`{"id":0,"agent_id":7,"agent_name":"Ann","date":"2026-11-02T00:00:00","target_hours":7.5,"actual_hours":6}`))
	require.NoError(t, err)
	require.Equal(t, []any{int64(7), time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}, rec.Keys)
	require.Equal(t, 6.0, rec.Value("actual_hours"))
	require.Nil(t, rec.Value("chargeable_hours"), "a field Halo did not send is NULL, not 0")

	_, err = Timesheets.Decode([]byte(`{"id":0,"agent_id":7,"date":"1900-01-01T00:00:00"}`))
	require.ErrorContains(t, err, "date")
}

// Lines arrive inside their parent's row and take its id when they lack it.
func TestNestedLines(t *testing.T) {
	require.Equal(t, "invoices", InvoiceLines.Parent)
	require.Equal(t, "lines", InvoiceLines.Nested)
	rec, err := InvoiceLines.DecodeKeyed([]byte(`{"id":55,"item_code":"LAB","qty_order":2,"unit_price":90,"ticket_id":-1}`), []any{int64(9)})
	require.NoError(t, err)
	require.Equal(t, []any{int64(9), int64(55)}, rec.Keys)
	require.Nil(t, rec.Value("ticket_id"))

	rec, err = QuoteLines.DecodeKeyed([]byte(`{"id":3,"qhid":4,"item_id":12,"name":"Widget","net_total":"10.50"}`), []any{int64(4)})
	require.NoError(t, err)
	require.Equal(t, []any{int64(4), int64(3)}, rec.Keys)
	require.Equal(t, 10.5, rec.Value("net_total"))
}

func TestBillingTimeDeclarations(t *testing.T) {
	for _, e := range []*Entity{Invoices, InvoiceLines, QuoteLines, Timesheets, TimesheetEvents} {
		require.True(t, e.ReadOnly, e.Name)
		require.False(t, e.Pushable(), e.Name)
	}
	for _, e := range []*Entity{Appointments, Items, Quotes, Suppliers} {
		require.True(t, e.Pushable(), e.Name)
		require.Equal(t, CreateParked, e.Create, e.Name)
	}
	require.Equal(t, []string{"title", "client_id", "date", "agent_id"}, Quotes.Writable())
	require.Equal(t, "true", Items.Params.Get("includeinactive"))
	require.Equal(t, "true", Suppliers.Params.Get("includeinactive"))
	require.Empty(t, Appointments.Params.Get("includedeleted"), "deleted appointments would come back unmarked")
	require.Equal(t, DateBounded, TimesheetEvents.Paging)
}
