package entity

// CustomFields are the field definitions (GET /api/FieldInfo: a bare array of every built-in and custom
// field, 430 rows on a live tenant; no paging parameters, count ignored: halo-api-more.md). The values of
// records' custom fields are not an entity: store keeps them in halo.custom_field_values with each record
// (store/customfields.go).
var CustomFields = declare(&Entity{
	Name:    "custom_fields",
	Comment: "Halo field definitions (GET /api/FieldInfo, a bare array; built-in and custom fields). customfields[].id on records is this id. One row per field id ever seen; fields gone from Halo keep their last state with deleted_at set.",
	Order:   145,
	Path:    "/api/FieldInfo",
	Paging:  Unpaged,
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo field id (primary key); the id of the field in the customfields arrays of records and in halo.custom_field_values.field_id."},
	},
	Columns: []Column{
		{Name: "name", Kind: Text,
			Comment: "Field name, e.g. CFimpact (custom fields start with CF); also accepted by Halo when writing customfields."},
		{Name: "label", Kind: Text,
			Comment: "Label shown in Halo, e.g. Impact."},
		{Name: "type", Kind: Integer,
			Comment: "Field type: 0 text, 1 memo, 2 single select (value = option id), 3 multi select, 4 date, 5 time, 6 checkbox, 10 rich text."},
		{Name: "inputtype", Kind: Integer,
			Comment: "Halo input type of the field (how it is entered; meaning depends on type)."},
		{Name: "custom", Kind: Boolean,
			Comment: "True for custom fields (defined by the tenant), false for Halo's built-in fields."},
		{Name: "mandatory", Kind: Boolean,
			Comment: "True when Halo requires a value."},
		{Name: "characterlimit", Kind: Integer,
			Comment: "Maximum length of a text value (0 = none)."},
		{Name: "usage", Kind: Integer,
			Comment: "What the field belongs to (1 = tickets; published schema only). halosync asks the ticket list for the values of the usage-1 fields."},
	},
	Interval: IntervalLookups,
	Filter:   FullOnly,
	Access:   "permission to read the field configuration (an admin agent), and scope all",
})
