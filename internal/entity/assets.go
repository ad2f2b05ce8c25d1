package entity

// Assets are devices / configuration items. Halo caps their pages at 50 whatever
// page_size says; the walk follows the echoed page size and record_count.
var Assets = declare(&Entity{
	Name:     "assets",
	Comment:  "Halo assets / configuration items (GET /api/Asset, Device schema).",
	Order:    320,
	Path:     "/api/Asset",
	Envelope: []string{"assets"},
	Paging:   Paged,
	Params:   includeInactive,
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo asset id (primary key)."},
	},
	Columns: []Column{
		{Name: "inventory_number", Kind: Text, Writable: true,
			Comment: "Asset tag."},
		{Name: "key_field", Kind: Text, Writable: true,
			Comment: "Value of the asset type's key field (e.g. hostname or serial)."},
		{Name: "client_id", Kind: Ref, Writable: true,
			Comment: "Owning client (halo.clients.id)."},
		{Name: "client_name", Kind: Text,
			Comment: "Client name at the time of the last sync."},
		{Name: "site_id", Kind: Ref, Writable: true,
			Comment: "Site (halo.sites.id)."},
		{Name: "site_name", Kind: Text,
			Comment: "Site name at the time of the last sync."},
		{Name: "assettype_id", Kind: Ref, Writable: true,
			Comment: "Asset type id (see halo.asset_types); NULL when none."},
		{Name: "assettype_name", Kind: Text,
			Comment: "Asset type name."},
		{Name: "status_id", Kind: Ref, Writable: true,
			Comment: "Asset status id (see halo.asset_statuses); NULL when none."},
		{Name: "inactive", Kind: Boolean, Writable: true,
			Comment: "True when the asset is marked inactive in Halo (not a deletion)."},
		{Name: "status_name", Kind: Text,
			Comment: "Asset status name (e.g. \"Active\"); NULL when Halo sent none. See halo.asset_statuses."},
	},
	UpdatedAt: []string{"dlastupdate", "last_modified"},
	Filter:    TryFilter,
	Create:    CreateParked,
})
