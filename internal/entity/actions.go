package entity

import "net/url"

// Actions are a ticket's notes, emails and status changes, read per ticket (the
// bulk paged walk across tickets is refused by some tenants). An action id is
// unique only within its ticket. includehtmlnote makes rows carry note_html
// (swagger /Actions). Actions have no reliable last-modified of their own in
// list rows: halo_updated_at is last_updated when Halo sends it, else the
// action's time.
var Actions = declare(&Entity{
	Name:        "actions",
	Comment:     "Actions on tickets: notes, emails, status changes (GET /api/Actions). An action id is only unique within its ticket, so the key is (ticket_id, id).",
	Path:        "/api/Actions",
	Envelope:    []string{"actions"},
	Paging:      Paged,
	Params:      url.Values{"includehtmlnote": {"true"}},
	Parent:      "tickets",
	ParentParam: "ticket_id",
	Keys: []Column{
		{Name: "ticket_id", Kind: Integer,
			Comment: "Ticket the action belongs to (halo.tickets.id). Part of the primary key."},
		{Name: "id", Kind: Integer,
			Comment: "Action sequence number within its ticket (not globally unique). Part of the primary key."},
	},
	Columns: []Column{
		{Name: "outcome", Kind: Text, Writable: true,
			Comment: "Action type name, e.g. \"Private Note\", \"Email Update\"."},
		{Name: "outcome_id", Kind: Ref, Writable: true,
			Comment: "Action type id."},
		{Name: "who", Kind: Text,
			Comment: "Display name of whoever performed the action (agent, user or system)."},
		{Name: "who_agentid", Kind: Ref,
			Comment: "Agent who performed the action (halo.agents.id); NULL when not an agent (Halo sends 0 for the system and end users)."},
		{Name: "actionby_agent_id", Kind: Ref,
			Comment: "Agent the action is attributed to (halo.agents.id); NULL when none."},
		{Name: "note", Kind: Text, Writable: true,
			Comment: "Action text as plain text."},
		{Name: "note_html", Kind: Text, Writable: true,
			Comment: "Action text as HTML; NULL when Halo sent none or an empty string."},
		{Name: "hiddenfromuser", Kind: Boolean, Writable: true,
			Comment: "True for private actions the end user cannot see."},
		{Name: "important", Kind: Boolean, Writable: true,
			Comment: "True when flagged important."},
		{Name: "new_status", Kind: Ref, Writable: true,
			Comment: "Status of the ticket after this action (halo.statuses.id). Halo sends the ticket's status on every action, changed or not: the action changed the status when new_status IS DISTINCT FROM old_status. NULL when Halo sent none."},
		{Name: "timetaken", Kind: Numeric, Writable: true,
			Comment: "Time logged on the action, in hours (decimal); 0 (not NULL) when no time was logged or Halo sent none. System actions (\"Rule Applied\") can carry time too: use halo.time_entries for time reports."},
		{Name: "datetime", Kind: Timestamp,
			Comment: "When the action happened (UTC). Use this to order a ticket's history."},
		{Name: "actiondatecreated", Kind: Timestamp,
			Comment: "When the action record was created in Halo (UTC)."},
		{Name: "old_status", Kind: Ref,
			Comment: "Status of the ticket before this action (halo.statuses.id); NULL when Halo sent none. A status change is new_status IS DISTINCT FROM old_status."},
		{Name: "who_type", Kind: IntegerOrNull,
			Comment: "Who performed the action, as Halo codes it: 0 = the system (rules and automations such as \"Rule Applied\", who = \"System\"); agent actions also carry who_agentid. NULL when Halo sent none."},
		{Name: "actisbillable", Kind: BooleanOrNull,
			Comment: "Halo's billable flag of the action (false = non-billable). Halo sets it on system actions too. NULL when Halo sent none."},
		{Name: "actionchargehours", Kind: NumericOrNull,
			Comment: "Chargeable hours of the action as Halo computed them; NULL when Halo sent none."},
		{Name: "actionnonchargehours", Kind: NumericOrNull,
			Comment: "Non-chargeable hours of the action as Halo computed them; NULL when Halo sent none."},
		{Name: "nonbilltime", Kind: NumericOrNull,
			Comment: "Non-billable time logged on the action, in hours; NULL when Halo sent none."},
	},
	UpdatedAt: []string{"last_updated", "datetime"},
	Create:    CreateParked,
	Interval:  IntervalTickets,
	Access:    "membership of the teams whose tickets should be mirrored (Configuration > Teams), and the application permission read:tickets (or scope all)",
})
