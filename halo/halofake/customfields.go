package halofake

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Custom fields (halo-api-more.md "Custom fields", halo-api.md §5.1, §7.1, §12.8). Records carry
// customfields: [{id, name, label, type, inputtype, usage, value, display, …config keys}]; /FieldInfo lists
// the definitions (FieldInfo.id = customfields[].id) beside system fields that are not custom. A POST with
// customfields [{id, value}] or [{name, value}] stores the values; the display text is Halo's to compute.

// cfDef is one custom field definition.
type cfDef struct {
	id      int64
	name    string // "CF…"
	label   string
	typ     int64  // 0 text, 1 memo, 2 single select, 4 date, 10 rich text (DJ utils.py)
	input   int64  // inputtype
	usage   int64  // 1 on ticket fields (live); the other areas' numbers are the fake's own [I]
	carrier string // table api that carries it
	options []string
}

// Type codes of custom fields.
const (
	cfText   = 0
	cfMemo   = 1
	cfSelect = 2
	cfDate   = 4
)

// cfDefs: the ticket fields and their ids are those of the live capture (halo-api.md §12.8); the ids are
// deliberately not contiguous.
var cfDefs = []cfDef{
	{165, "CFimpact", "Impact", cfSelect, 2, 1, "tickets", []string{"Whole Company", "Department", "Single User Affected"}},
	{166, "CFurgency", "Urgency", cfSelect, 2, 1, "tickets", []string{"High", "Medium", "Low"}},
	{174, "CFChangeActualStartDateTime", "Actual Start Date/Time", cfDate, 4, 1, "tickets", nil},
	{206, "CFService", "Service", cfSelect, 2, 1, "tickets", []string{"Email", "Network", "Telephony"}},
	{301, "CFclientTier", "Client Tier", cfSelect, 2, 2, "client", []string{"Bronze", "Silver", "Gold"}},
	{302, "CFaccountReference", "Account Reference", cfText, 0, 2, "client", nil},
	{311, "CFsiteAccessNotes", "Site Access Notes", cfMemo, 1, 3, "site", nil},
	{321, "CFjobTitle", "Job Title", cfText, 0, 4, "users", nil},
	{331, "CFwarrantyExpiry", "Warranty Expiry", cfDate, 4, 5, "asset", nil},
	{332, "CFassetOwner", "Asset Owner", cfText, 0, 5, "asset", nil},
	{341, "CFitemCategory", "Item Category", cfSelect, 2, 6, "item", []string{"Hardware", "Software", "Service"}},
	{351, "CFkbAudience", "Audience", cfSelect, 2, 7, "kbarticle", []string{"Agents", "Customers"}},
	{361, "CFquoteSource", "Quote Source", cfText, 0, 8, "quotation", nil},
	{371, "CFinvoicePO", "Customer PO", cfText, 0, 9, "invoice", nil},
	{381, "CFsupplierAccount", "Our Account No.", cfText, 0, 10, "supplier", nil},
}

// systemFields are FieldInfo rows that are not custom fields (custom 0): a mirror must not take every
// FieldInfo row for a custom field.
var systemFields = []cfDef{
	{1, "summary", "Summary", cfText, 0, 1, "", nil},
	{2, "details", "Details", cfMemo, 1, 1, "", nil},
	{8, "category_1", "Category", cfSelect, 2, 1, "", nil},
}

// cfKey addresses one stored custom field value.
type cfKey struct {
	api   string
	id    int64
	field int64
}

func cfDefByID(id int64) (cfDef, bool) {
	for _, d := range cfDefs {
		if d.id == id {
			return d, true
		}
	}
	return cfDef{}, false
}

// customFields renders the custom fields t's record r carries: stored values win over generated ones.
// want, when non-nil, keeps only those field ids (include_custom_fields). Caller holds s.mu.
func (s *Server) customFields(api string, r *record, want map[int64]bool) []obj {
	gen := s.generatedCustomValues(api, r)
	out := []obj{}
	for _, d := range cfDefs {
		if d.carrier != api || (want != nil && !want[d.id]) {
			continue
		}
		v, ok := s.cf[cfKey{api, r.id, d.id}]
		if !ok {
			v = gen[d.id]
		}
		out = append(out, obj{{"id", d.id}, {"name", d.name}, {"label", d.label}, {"type", d.typ},
			{"inputtype", d.input}, {"usage", d.usage}, {"value", v}, {"display", d.display(v)},
			{"characterlimit", int64(0)}, {"copytochild", false}, {"searchable", true}, {"showintable", false}})
	}
	return out
}

// generatedCustomValues are a generated record's values; a record created through the API starts unset.
func (s *Server) generatedCustomValues(api string, r *record) map[int64]any {
	vals := map[int64]any{}
	for _, d := range cfDefs {
		if d.carrier == api {
			vals[d.id] = d.unset()
		}
	}
	if r.born > genEpoch {
		return vals
	}
	if api == "tickets" { // the stream of the original ticket fields, so their values stay as they were
		g := newRNG(s.opts.Seed, kTicket+60, r.id)
		vals[165], vals[166] = int64(1+g.intn(3)), int64(1+g.intn(3))
		vals[174] = time.Unix(0, r.born).UTC().Format("2006-01-02T15:04:05")
		return vals
	}
	g := newRNG(s.opts.Seed, kCustom, r.id)
	for _, d := range cfDefs {
		if d.carrier != api || g.chance(0.3) {
			continue // about a third stay unset
		}
		switch d.typ {
		case cfSelect:
			vals[d.id] = int64(1 + g.intn(len(d.options)))
		case cfDate:
			vals[d.id] = time.Unix(0, dayOf(r.born+g.int63n(3*year))).UTC().Format("2006-01-02T15:04:05")
		default:
			vals[d.id] = fmt.Sprintf("%s %s-%d", d.label, strings.ToUpper(pick(g, places)[:1]), r.id)
		}
	}
	return vals
}

func (d cfDef) unset() any {
	if d.typ == cfSelect {
		return int64(0)
	}
	return ""
}

// display is the text Halo shows: the option's name for a single select (value = option id, 0 = unset),
// the date in the tenant's locale (dd/MM/yyyy) for a date, the value itself otherwise (§12.8).
func (d cfDef) display(v any) string {
	switch d.typ {
	case cfSelect:
		n, _ := asInt(v)
		if n >= 1 && int(n) <= len(d.options) {
			return d.options[n-1]
		}
		return ""
	case cfDate:
		str, _ := v.(string)
		if t, ok := parseQueryTime(str); ok {
			return t.Format("02/01/2006")
		}
		return ""
	}
	return fmt.Sprint(v)
}

// normalise turns a written value into the form Halo returns: an option id, an ISO date, or text.
func (d cfDef) normalise(v any) any {
	switch d.typ {
	case cfSelect:
		if n, ok := asInt(v); ok {
			return n
		}
		return int64(0)
	case cfDate:
		str, _ := v.(string)
		if t, ok := parseQueryTime(str); ok {
			return t.Format("2006-01-02T15:04:05")
		}
		return ""
	}
	if v == nil {
		return ""
	}
	if str, ok := v.(string); ok {
		return str
	}
	return fmt.Sprint(v)
}

// setCustomFields stores the values of a POSTed customfields array ([{id, value}] or [{name, value}],
// halo-api.md §7.1) on record id of t. Fields the area does not carry are ignored, as Halo ignores what
// it cannot bind. Caller holds s.mu.
func (s *Server) setCustomFields(t *table, id int64, v any, index int) *writeError {
	list, ok := v.([]any)
	if !ok {
		return &writeError{http.StatusBadRequest, obj{{fmt.Sprintf("[%d].customfields", index), "customfields must be an array."}}}
	}
	for _, el := range list {
		m, ok := el.(map[string]any)
		if !ok {
			continue
		}
		d, found := s.findCustomField(t.api, m)
		if !found {
			continue
		}
		s.cf[cfKey{t.api, id, d.id}] = d.normalise(m["value"])
	}
	return nil
}

func (s *Server) findCustomField(api string, m map[string]any) (cfDef, bool) {
	idv, hasID := m["id"]
	id, _ := asInt(idv)
	name, _ := m["name"].(string)
	for _, d := range cfDefs {
		if d.carrier == api && ((hasID && id == d.id) || (!hasID && strings.EqualFold(name, d.name))) {
			return d, true
		}
	}
	return cfDef{}, false
}

// includeIDs parses include_custom_fields=<ids,comma>.
func includeIDs(v string) map[int64]bool {
	want := map[int64]bool{}
	for _, f := range strings.Split(v, ",") {
		if n, ok := asInt(f); ok {
			want[n] = true
		}
	}
	return want
}

// SetCustomField stores a custom field value on a record "as if edited in Halo" (its last-update time
// moves). entity is a hook name ("tickets", "clients", "assets", "items", …); value as Halo takes it (an
// option id for a single select, an ISO date for a date, text otherwise).
func (s *Server) SetCustomField(entity string, id, fieldID int64, value any) {
	s.Update(entity, id, map[string]any{"customfields": []any{map[string]any{"id": fieldID, "value": value}}})
}

// fieldInfoTable serves /FieldInfo: a bare array of definitions, count and paging ignored; creating one
// failed on the trial tenant ("No matching custom table").
func (s *Server) fieldInfoTable() *table {
	t := &table{api: "fieldinfo", name: "custom_fields", scope: "", render: s.renderFieldInfo,
		readOnly: "No matching custom table"}
	t.list = func(w http.ResponseWriter, p params) {
		s.writeList(w, t, p, unpaged, func(*record) bool { return true }, nil)
	}
	return t
}

func fieldDefByID(id int64) (cfDef, bool, bool) {
	if d, ok := cfDefByID(id); ok {
		return d, true, true
	}
	for _, d := range systemFields {
		if d.id == id {
			return d, false, true
		}
	}
	return cfDef{}, false, false
}

func (s *Server) renderFieldInfo(r *record, _ bool) obj {
	d, custom, _ := fieldDefByID(r.id)
	return finish(obj{{"id", r.id}, {"name", d.name}, {"label", d.label}, {"type", d.typ}, {"inputtype", d.input},
		{"custom", map[bool]int64{true: 1, false: 0}[custom]}, {"mandatory", false}, {"characterlimit", int64(0)},
		{"usage", d.usage}}, r)
}

// fieldInfoDetails adds the options of a single select to GET /FieldInfo/{id} with getlookupvalues=true
// (or includedetails / includevalues).
func fieldInfoDetails(o obj, p params) obj {
	if !p.flag("getlookupvalues") && !p.flag("includedetails") && !p.flag("includevalues") {
		return o
	}
	idv, _ := o.get("id")
	id, _ := asInt(idv)
	d, _, _ := fieldDefByID(id)
	values := []obj{}
	for i, name := range d.options {
		values = append(values, obj{{"id", int64(i + 1)}, {"name", name}})
	}
	return append(o, kv{"values", values})
}

// generateFieldInfo fills /FieldInfo with the system and custom field definitions, ordered by id.
func (s *Server) generateFieldInfo() {
	t := s.tables["fieldinfo"]
	ids := make([]int64, 0, len(systemFields)+len(cfDefs))
	for _, d := range systemFields {
		ids = append(ids, d.id)
	}
	for _, d := range cfDefs {
		ids = append(ids, d.id)
	}
	s.fixedRows(t, ids)
}
