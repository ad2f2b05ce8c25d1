package entity

// Appointments are agents' calendar entries and tasks. Halo pages /Appointment
// only when page_no is sent (without it every row comes back: 36,764 rows,
// 36 MB on one live tenant), which the paging loop always sends; count is
// ignored. Deleted appointments vanish from the list: includedeleted would
// list them with nothing marking them deleted, so it is not sent, and a
// complete walk tombstones what it did not see. List rows carry
// last_modified (live; not in the published Appointment_List), but Halo has
// no modified-since filter, so every pull is a full walk compared by content.
var Appointments = declare(&Entity{
	Name:     "appointments",
	Comment:  "Halo appointments and tasks (GET /api/Appointment, Appointment_List rows): calendar entries of agents, optionally tied to a ticket, client, site or user. is_task tells tasks from appointments. Deleted appointments vanish from Halo's list and get deleted_at after the next complete walk. Writable (see halosync.writable_columns): changes are pushed to Halo.",
	Order:    420,
	Path:     "/api/Appointment",
	Envelope: []string{"appointments"},
	Paging:   Paged,
	// Incremental pulls read the appointments of the last month and the
	// year ahead, where changes happen; the full interval walks them all.
	Bounds: &Bounds{From: "start_date", To: "end_date", Column: "start_date", Recent: 31 * day, Ahead: 366 * day},
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo appointment id (primary key). Halo may answer an update with a new id (a recurring occurrence split off): the row then moves to the new id."},
	},
	Columns: []Column{
		{Name: "subject", Kind: TextKeep, Writable: true,
			Comment: "Subject line."},
		{Name: "start_date", Kind: Timestamp, Writable: true,
			Comment: "Start (UTC)."},
		{Name: "end_date", Kind: Timestamp, Writable: true,
			Comment: "End (UTC)."},
		{Name: "allday", Kind: BooleanOrNull, Writable: true,
			Comment: "True for an all-day appointment."},
		{Name: "agent_id", Kind: Ref, Writable: true,
			Comment: "Agent whose calendar holds the appointment (halo.agents.id); NULL when none."},
		{Name: "agent_name", Kind: Text,
			Comment: "Agent name at the time of the last sync."},
		{Name: "client_id", Kind: Ref, Writable: true,
			Comment: "Client (halo.clients.id); NULL when none."},
		{Name: "client_name", Kind: Text,
			Comment: "Client name at the time of the last sync."},
		{Name: "site_id", Kind: Ref, Writable: true,
			Comment: "Site (halo.sites.id); NULL when none."},
		{Name: "site_name", Kind: Text,
			Comment: "Site name at the time of the last sync."},
		{Name: "user_id", Kind: Ref, Writable: true,
			Comment: "End user (halo.users.id); NULL when none."},
		{Name: "user_name", Kind: Text,
			Comment: "End user name at the time of the last sync."},
		{Name: "ticket_id", Kind: Ref, Writable: true,
			Comment: "Ticket the appointment belongs to (halo.tickets.id); NULL when none."},
		{Name: "appointment_type_name", Kind: Text,
			Comment: "Appointment type name as configured in Halo."},
		{Name: "complete_status", Kind: IntegerOrNull, Writable: true,
			Comment: "Completion status code as Halo sends it (0 = not completed; other values are the tenant's completion statuses)."},
		{Name: "is_task", Kind: BooleanOrNull,
			Comment: "True for a task (a to-do), false for an appointment."},
		{Name: "is_private", Kind: BooleanOrNull, Writable: true,
			Comment: "True when the appointment is private to its agent."},
		{Name: "recurring_master_id", Kind: Text,
			Comment: "Id of the recurring series this occurrence belongs to, as Halo sends it (a string); NULL for one-off appointments."},
		{Name: "online_meeting_url", Kind: Text,
			Comment: "Online meeting link (Teams and the like); NULL when none."},
	},
	UpdatedAt: []string{"last_modified"},
	Filter:    ByWindow,
	Create:    CreateParked,
})
