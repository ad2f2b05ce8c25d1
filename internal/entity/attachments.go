package entity

// Attachments are the metadata of a ticket's files, listed per ticket
// (GET /api/Attachment?ticket_id=N; the swagger has no paging parameters). The
// reply is an envelope whose "folders" array is always there and holds no
// files: rows come from "attachments" only. GET /api/Attachment/{id} returns
// the file itself, so an attachment is never read alone. List rows carry no
// ticket id of their own (Attachment_List has faultid at most): the tickets
// pull fills ticket_id with the ticket it asked for. Which tickets are read,
// and why that stays within the request budget: sync/attachments.go.
var Attachments = declare(&Entity{
	Name:        "attachments",
	Comment:     "Attachment metadata of tickets (GET /api/Attachment?ticket_id=N, rows of the \"attachments\" array; Attachment_List schema). No file content: Halo serves the file itself at GET /api/Attachment/{id}. Read per ticket, only for tickets whose last update moved since their attachments were last read and that have attachments (halo.tickets.attachment_count > 0, or rows here).",
	Path:        "/api/Attachment",
	Envelope:    []string{"attachments"},
	Paging:      Unpaged,
	Parent:      "tickets",
	ParentParam: "ticket_id",
	Keys: []Column{
		{Name: "id", Kind: Integer, Comment: "Halo attachment id (primary key)."},
	},
	Columns: []Column{
		{Name: "ticket_id", Kind: Ref, Comment: "Ticket the attachment belongs to (halo.tickets.id): the ticket it was listed for."},
		{Name: "filename", Kind: Text, Comment: "File name."},
		{Name: "filesize", Kind: IntegerOrNull, Comment: "File size in bytes."},
		{Name: "type", Kind: IntegerOrNull, Comment: "What the attachment is attached to, as Halo codes it."},
		{Name: "unique_id", Kind: IntegerOrNull, Comment: "Id of the record of that type the attachment is on (for action attachments: the action)."},
		{Name: "desc", Kind: Text, Comment: "Description (Halo's field desc; quote it in SQL: a.\"desc\"); NULL when empty."},
		{Name: "note", Kind: Text, Comment: "Note on the attachment; NULL when empty."},
		{Name: "isimage", Kind: Boolean, Comment: "True for images."},
		{Name: "showforusers", Kind: Boolean, Comment: "True when end users can see it on the portal."},
		{Name: "datecreated", Kind: Timestamp, Comment: "When it was uploaded (UTC)."},
	},
})
