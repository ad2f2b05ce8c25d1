package entity

import (
	"errors"
	"fmt"
	"time"
)

// TimesheetEvents are time entries. /TimesheetEvent answers a bare array,
// ignores paging and count, and must be bounded by ISO datetimes (date-only
// values mis-filter); unbounded it returns everything, so it is only ever
// asked for one window of start_date at a time. Rows carry id 0 and the real
// id is never exposed: Identify keys them on their ticket action, else on
// (agent, start, type). Read-only: a create without the id failed on a live
// trial, and time is logged through actions.
var TimesheetEvents = declare(&Entity{
	Name:    "timesheet_events",
	Comment: "Time entries (GET /api/TimesheetEvent): every block of time an agent logged, ticket work and other events (holidays, travel, admin). Halo sends id 0 on every row and never exposes the real id, so the key is entry_key, made from what identifies an entry (see its comment). Read by windows of start_date (Halo ignores paging here and needs datetime bounds); read-only: log time through halo.actions (timetaken) instead. For the hours of ticket actions with their billable flag see also the view halo.time_entries.",
	Order:   430,
	Path:    "/api/TimesheetEvent",
	Paging:  DateBounded,
	// Incremental pulls re-read the last month (time is logged and
	// corrected after the fact); the full interval walks every month of the
	// configured history.
	Bounds: &Bounds{From: "start_date", To: "end_date", Column: "start_date", Recent: 31 * day, Ahead: day},
	Keys: []Column{
		{Name: "entry_key", Kind: Text,
			Comment: "Primary key made by halosync, since Halo's id is always 0: 'ticket/<ticket_id>/<action_number>' for time logged on a ticket action (join halo.actions ON (ticket_id, id) = (ticket_id, action_number)), else 'agent/<agent_id>/<start_date, UTC RFC 3339>/<event_type>'. Two entries of one agent of the same type starting at the same second are one row."},
	},
	Identify: identifyTimeEntry,
	Columns: []Column{
		{Name: "agent_id", Kind: Ref,
			Comment: "Agent who logged the time (halo.agents.id)."},
		{Name: "start_date", Kind: Timestamp,
			Comment: "Start of the logged time (UTC)."},
		{Name: "end_date", Kind: Timestamp,
			Comment: "End of the logged time (UTC)."},
		{Name: "timetaken", Kind: NumericOrNull,
			Comment: "Hours logged (decimal)."},
		{Name: "ticket_id", Kind: Ref,
			Comment: "Ticket the time was logged on (halo.tickets.id); NULL for time not on a ticket."},
		{Name: "action_number", Kind: Ref,
			Comment: "Action of that ticket that carries the time (halo.actions.id within ticket_id); NULL when none."},
		{Name: "event_type", Kind: IntegerOrNull,
			Comment: "Kind of event as Halo codes it (0 = time on a ticket or an appointment; other values are the tenant's non-ticket event types)."},
		{Name: "subject", Kind: Text,
			Comment: "Subject: the ticket summary or the event's title."},
		{Name: "note", Kind: Text,
			Comment: "Note entered with the time."},
		{Name: "customer", Kind: Text,
			Comment: "Client name as Halo shows it on the entry (a name, not an id)."},
		{Name: "client_id", Kind: Ref,
			Comment: "Client (halo.clients.id) when Halo sends it (published schema; not seen in live list rows); NULL otherwise: join halo.tickets on ticket_id for the client of ticket time."},
		{Name: "charge_type_name", Kind: Text,
			Comment: "Charge type name of the time (the tenant's billing category), as Halo sends it."},
	},
	Filter:   ByWindow,
	ReadOnly: true,
})

// identifyTimeEntry keys a time entry on the ticket action that carries it
// (1,557 of 1,567 live rows have one), else on its agent, start and type.
func identifyTimeEntry(r Record) ([]any, error) {
	ticket, action := r.Value("ticket_id"), r.Value("action_number")
	if ticket != nil && action != nil {
		return []any{fmt.Sprintf("ticket/%d/%d", ticket, action)}, nil
	}
	start, ok := r.Value("start_date").(time.Time)
	if !ok {
		return nil, errors.New("a time entry without a ticket action needs a start_date")
	}
	var agent, kind int64
	if v, ok := r.Value("agent_id").(int64); ok {
		agent = v
	}
	if v, ok := r.Value("event_type").(int64); ok {
		kind = v
	}
	return []any{fmt.Sprintf("agent/%d/%s/%d", agent, start.UTC().Format(time.RFC3339), kind)}, nil
}

// day is a calendar day's length in UTC, for window bounds.
const day = 24 * time.Hour
