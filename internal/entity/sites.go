package entity

// Sites are the locations of a client. Halo sends client_id as a decimal (12.0).
var Sites = declare(&Entity{
	Name:     "sites",
	Comment:  "Halo sites, the locations of a client (GET /api/Site).",
	Order:    220,
	Path:     "/api/Site",
	Envelope: []string{"sites"},
	Paging:   Paged,
	Params:   includeInactive,
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo site id (primary key)."},
	},
	Columns: []Column{
		{Name: "name", Kind: TextKeep, Writable: true,
			Comment: "Site name."},
		{Name: "client_id", Kind: Ref, Refers: "clients", Writable: true,
			Comment: "Owning client (halo.clients.id). Halo sends it as a decimal (12.0); stored as an integer."},
		{Name: "client_name", Kind: Text,
			Comment: "Owning client's name at the time of the last sync."},
		{Name: "clientsite_name", Kind: Text,
			Comment: "Display name \"Client/Site\"."},
		{Name: "inactive", Kind: Boolean, Writable: true,
			Comment: "True when the site is marked inactive in Halo (not a deletion)."},
		{Name: "timezone", Kind: Text, Writable: true,
			Comment: "Site time zone as a Windows zone name (e.g. \"GMT Standard Time\"); NULL when unset. AT TIME ZONE needs an IANA name: join halo.windows_timezones or call halo.iana_timezone(timezone)."},
		{Name: "sla_id", Kind: Ref, Writable: true,
			Comment: "Default SLA id for the site."},
		{Name: "datecreated", Kind: Timestamp,
			Comment: "When the site was created in Halo (UTC; NULL when unset or a 1900 sentinel)."},
	},
	UpdatedAt: []string{"slastupdate"},
	Filter:    TryFilter,
	Create:    CreateParked,
	Access:    "\"Allow use of all Customers\" (Agent > Permissions), and the application permission read:customers (or scope all)",
})
