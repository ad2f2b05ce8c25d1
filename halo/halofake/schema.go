package halofake

import (
	_ "embed"
	"encoding/json"
	"strings"
)

// schemas.json lists, per writable endpoint, the properties of the record schema Halo's published swagger
// gives for its POST body (covenanttechnologysolutions/halopsa-rest, generator/spec/swagger.json:
// Faults for /Tickets (and /Opportunities, /Projects), Area for /Client, Site, Users, Device for /Asset,
// ContractHeader for /ClientContract, Actions, Appointment, InvoiceHeader, Item, KBEntry,
// QuotationHeader, Company for /Supplier, Organisation, Tree for /TopLevel, TimesheetEvent, Attachment,
// SlaHead for /SLA, CategoryDetail, TOutcome for /Outcome, FieldInfo). Halo's deserializer drops any key its schema lacks, silently; the fake does
// the same, so a client that relies on a field Halo would not keep (an invented correlation key, say)
// fails here as it would on a tenant.
//
//go:embed schemas.json
var schemasJSON []byte

// listschemas.json lists, per list endpoint of the areas added with issue 18, the properties of the schema
// the same swagger gives its list rows: the *_List schema where there is one (Appointment_List,
// KBEntry_List, Tree_List, Attachment_List), else the record schema (InvoiceHeader, Item, …). With
// Options.PublishedListRows the fake's list rows keep only those keys (listRow).
//
//go:embed listschemas.json
var listSchemasJSON []byte

// schemaFields maps a table's api name to its schema's properties, lower-cased (Halo's JSON binding is
// case-insensitive).
var schemaFields = parseSchemas("schemas.json", schemasJSON)

// listSchemaFields maps a table's api name to its published list schema's properties.
var listSchemaFields = parseSchemas("listschemas.json", listSchemasJSON)

func parseSchemas(name string, data []byte) map[string]map[string]bool {
	var raw map[string]struct {
		Properties []string `json:"properties"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		panic("halofake: " + name + ": " + err.Error())
	}
	out := make(map[string]map[string]bool, len(raw))
	for api, s := range raw {
		set := make(map[string]bool, len(s.Properties))
		for _, p := range s.Properties {
			set[strings.ToLower(p)] = true
		}
		out[api] = set
	}
	return out
}

// dropUnknown removes the keys of a POSTed record that t's schema lacks, as Halo does. Tables without a
// schema here keep everything.
func dropUnknown(t *table, in obj) obj {
	known, ok := schemaFields[t.api]
	if !ok {
		return in
	}
	out := make(obj, 0, len(in))
	for _, e := range in {
		if known[strings.ToLower(e.k)] {
			out = append(out, e)
		}
	}
	return out
}
