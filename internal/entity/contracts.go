package entity

import "net/url"

// Contracts are client contracts; /ClientContract has no modified-since filter.
var Contracts = declare(&Entity{
	Name:     "contracts",
	Comment:  "Client contracts (GET /api/ClientContract, ContractHeader schema).",
	Order:    310,
	Path:     "/api/ClientContract",
	Envelope: []string{"contracts"},
	Paging:   Paged,
	Params:   url.Values{"includeinactive": {"true"}},
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo contract id (primary key)."},
	},
	Columns: []Column{
		{Name: "client_id", Kind: Ref, Refers: "clients", Writable: true,
			Comment: "Client (halo.clients.id)."},
		{Name: "client_name", Kind: Text,
			Comment: "Client name at the time of the last sync."},
		{Name: "site_id", Kind: Ref, Refers: "sites", Writable: true,
			Comment: "Site the contract is limited to (halo.sites.id); NULL when client-wide (Halo sends 0 or -1)."},
		{Name: "ref", Kind: Text, Writable: true,
			Comment: "Contract reference."},
		{Name: "start_date", Kind: Date, Writable: true,
			Comment: "Contract start (UTC)."},
		{Name: "end_date", Kind: Date, Writable: true,
			Comment: "Contract end (UTC); NULL when open-ended or unset."},
		{Name: "expired", Kind: Boolean,
			Comment: "True when Halo considers the contract expired."},
		{Name: "active", Kind: Boolean,
			Comment: "True when the contract is active in Halo (Halo's own flag)."},
		{Name: "status", Kind: Text,
			Comment: "Contract status text as sent by Halo."},
		{Name: "contract_status", Kind: Text,
			Comment: "Contract status name as sent by Halo."},
		{Name: "billingperiod", Kind: Integer, Writable: true,
			Comment: "Billing period code as sent by Halo."},
	},
	Generated: []string{"inactive"},
	UpdatedAt: []string{"last_modified"},
	Filter:    FullOnly,
	Create:    CreateParked,
	Access:    "access to contracts, \"Allow use of all Customers\", and the application permission read:contracts (or scope all)",
})
