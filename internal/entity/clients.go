package entity

import "net/url"

// Clients are Halo's customers. Halo documents lastupdatefromdate on /Client
// but it was never confirmed on a live tenant, so the filter is tried.
var Clients = declare(&Entity{
	Name:     "clients",
	Comment:  "Halo customers (GET /api/Client, Area schema). One row per client id ever seen; rows deleted in Halo keep their last state with deleted_at set.",
	Order:    210,
	Path:     "/api/Client",
	Envelope: []string{"clients"},
	Paging:   Paged,
	Params:   includeInactive,
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo client id (primary key)."},
	},
	Columns: []Column{
		{Name: "name", Kind: TextKeep, Writable: true,
			Comment: "Client name as shown in Halo."},
		{Name: "toplevel_id", Kind: Ref, Writable: true,
			Comment: "Id of the top level (Halo's grouping above clients)."},
		{Name: "toplevel_name", Kind: Text,
			Comment: "Name of the top level."},
		{Name: "inactive", Kind: Boolean, Writable: true,
			Comment: "True when the client is marked inactive in Halo (still a live row here; not a deletion)."},
		{Name: "main_site_id", Kind: Ref,
			Comment: "Id of the client's main site (halo.sites.id)."},
		{Name: "is_vip", Kind: Boolean, Writable: true,
			Comment: "True when Halo flags the client as VIP."},
		{Name: "datecreated", Kind: Timestamp,
			Comment: "When the client was created in Halo (UTC; NULL when Halo sent nothing or a 1900 sentinel)."},
	},
	UpdatedAt: []string{"alastupdate"},
	Filter:    TryFilter,
	Create:    CreateParked,
	Access:    "\"Allow use of all Customers\" (Agent > Permissions), and the application permission read:customers (or scope all)",
})

// includeInactive makes the people and organisation lists include inactive
// rows (halo-api.md §10.10).
var includeInactive = url.Values{"includeinactive": {"true"}, "includeactive": {"true"}}
