package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// How records get their custom field values: the values are stored with every copy of a record that
// carries a customfields array (store/customfields.go); these parameters make list rows carry it where Halo
// documents a way. GET by id (targeted fetches, push replies) carries them anyway; other lists have no
// documented include (halo-api-more.md), so their values come from those reads.

// maxIncludeLength bounds include_custom_fields: hundreds of ticket fields must not push the query string
// past what a web server accepts (IIS refuses query strings over 2,048 bytes by default), which would fail
// every ticket list.
const maxIncludeLength = 1500

// ticketFieldParams asks the ticket list for the custom fields of tickets (include_custom_fields, halo-api.md
// §5.1: list rows omit them otherwise), by the ids store.TicketCustomFieldIDs gives (the definitions are
// pulled before tickets). A list row carries only the fields asked for, and its array replaces the
// ticket's values: so when the ids do not all fit, none are asked for, and tickets keep the values their
// reads by id bring (rather than lists removing the fields left out, and reads putting them back). No
// definitions yet (their pull failed or has not run): no include either.
func ticketFieldParams(ctx context.Context, p *Puller) (url.Values, error) {
	ids, err := p.Store.TicketCustomFieldIDs(ctx, p.Store.Pool)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	include := strings.Join(parts, ",")
	if len(include) > maxIncludeLength {
		p.logger().Warn("too many ticket custom fields to ask ticket lists for; their values come from reads by id only",
			"fields", len(ids), "query_length", len(include), "limit", maxIncludeLength)
		return nil, nil
	}
	return url.Values{"include_custom_fields": {include}}, nil
}

// listParams adds parameters that depend on the mirror to every list of an entity (a declaration's Params
// are fixed): the custom fields a ticket list row should carry. (Asset list rows carry theirs with a fixed
// parameter, includeassetfields, in their declaration.)
var listParams = map[string]func(ctx context.Context, p *Puller) (url.Values, error){
	entity.Tickets.Name: ticketFieldParams,
}

// Pushing custom field values. An analyst's UPDATE of halo.custom_field_values.value is recorded by the
// capture trigger of migration 00015 in the owner record's outbox row, under the field "customfields.<id>"
// with the value before the edit as its base: it merges with edits of the record's columns into one push,
// decided by the same rule (merge) against Halo's current copy of the record, and goes out as
// customfields [{id, value}] on the record's POST (halo-api.md §7.1). Values are text in the outbox, as in
// the mirror; they take Halo's JSON form only in the body (customFieldValue).

// customFieldPrefix starts the outbox field name of a custom field value.
const customFieldPrefix = "customfields."

// customFieldID reads the field id from an outbox field name; ok is false for a column.
func customFieldID(field string) (id int64, ok bool) {
	rest, ok := strings.CutPrefix(field, customFieldPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// canonFields is store.Table.CanonAll for an outbox row's fields, base or payload, which may hold custom field
// values beside the columns: those are text, or nil for empty (as halo.custom_field_values.value holds them).
func canonFields(t *store.Table, m map[string]any) (store.Values, error) {
	cols := make(map[string]any, len(m))
	out := make(store.Values, len(m))
	for k, v := range m {
		if _, ok := customFieldID(k); !ok {
			cols[k] = v
			continue
		}
		switch x := v.(type) {
		case nil:
			out[k] = nil
		case string:
			out[k] = nil
			if x != "" {
				out[k] = x
			}
		case json.Number:
			out[k] = x.String()
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			return nil, fmt.Errorf("%s: %T is not a custom field value", k, v)
		}
	}
	c, err := t.CanonAll(cols)
	if err != nil {
		return nil, err
	}
	maps.Copy(out, c)
	return out, nil
}

// remoteCustomFields adds to remote (Halo's record as canonical values) the custom fields local edits: their
// values in Halo's copy (raw), in the form the mirror stores them. A copy that carries no customfields array
// says nothing about them: they count as unchanged in Halo (their base).
func remoteCustomFields(remote store.Values, raw []byte, local, base store.Values) {
	var rec struct {
		CustomFields *[]struct {
			ID    halo.Int        `json:"id"`
			Value json.RawMessage `json:"value"`
		} `json:"customfields"`
	}
	carried := json.Unmarshal(raw, &rec) == nil && rec.CustomFields != nil
	inHalo := map[int64]any{}
	if carried {
		for _, f := range *rec.CustomFields {
			inHalo[int64(f.ID)] = customFieldText(f.Value)
		}
	}
	for k := range local {
		id, ok := customFieldID(k)
		switch {
		case !ok:
		case carried:
			remote[k] = inHalo[id] // a field the record no longer carries: nil
		default:
			remote[k] = base[k]
		}
	}
}

// customFieldText is a customfields element's value as the mirror stores it (halosync.store_custom_fields:
// the JSON text of the value, strings unquoted, "" and null as nil).
func customFieldText(v json.RawMessage) any {
	var s string
	switch {
	case len(v) == 0 || string(v) == "null":
		return nil
	case json.Unmarshal(v, &s) == nil:
		if s == "" {
			return nil
		}
		return s
	}
	return string(v)
}

// sameCustomValue compares two custom field values in the mirror's text form by meaning: 3 and 3.0, or a
// multi select's JSON written with other spacing, are the same value.
func sameCustomValue(a, b any) bool {
	if store.Same(a, b) {
		return true
	}
	as, aok := a.(string)
	bs, bok := b.(string)
	if !aok || !bok {
		return false
	}
	var av, bv any
	if json.Unmarshal([]byte(as), &av) != nil || json.Unmarshal([]byte(bs), &bv) != nil {
		return false
	}
	return reflect.DeepEqual(av, bv)
}

// addCustomFields writes the custom field values among fields into a POST body as customfields [{id, value}],
// each value in the JSON form its type takes (types: field id → type code, as the mirror knows them).
func addCustomFields(b map[string]any, fields store.Values, types map[int64]int64) {
	var cfs []map[string]any
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if id, ok := customFieldID(k); ok {
			cfs = append(cfs, map[string]any{"id": id, "value": customFieldValue(types[id], fields[k])})
		}
	}
	if len(cfs) > 0 {
		b["customfields"] = cfs
	}
}

// customFieldValue is a value in the form Halo takes for the field's type (halo-api-more.md custom fields):
// a single select's option id as a number (0 = none), a multi select as its JSON array ([{id}]), a checkbox
// as a boolean; everything else as text (dates as ISO text, as Halo sends them). Halo has no null: unset
// is 0, [], false or "".
func customFieldValue(typ int64, v any) any {
	s, _ := v.(string)
	switch typ {
	case 2:
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil || s == "" {
			return n
		}
	case 3:
		if s == "" {
			return []any{}
		}
		if raw := json.RawMessage(s); json.Valid(raw) && strings.HasPrefix(strings.TrimSpace(s), "[") {
			return raw
		}
	case 6:
		if s == "" {
			return false
		}
		if b, err := strconv.ParseBool(strings.TrimSpace(s)); err == nil {
			return b
		}
	}
	return s
}
