package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/store"
)

// This file is how a push talks to Halo about one entity: which endpoint, how Halo's answers become a
// mirror row (the pull's own mappers, so pull and push store identical rows), and how the mirror's values
// are written in a POST body.

// pushSpec is how one entity is written.
type pushSpec struct {
	path   string
	get    func(ctx context.Context, c *halo.Client, keys []int64) (store.Row, bool, error) // row, deleted in Halo
	decode func(raw []byte, keys []int64) (store.Row, error)
}

func getter[T any](entity string, get func(*halo.Client, context.Context, int64) (T, error), toRow func(T) map[string]any) func(context.Context, *halo.Client, []int64) (store.Row, bool, error) {
	return func(ctx context.Context, c *halo.Client, keys []int64) (store.Row, bool, error) {
		v, err := get(c, ctx, keys[0])
		if err != nil {
			return store.Row{}, false, err
		}
		deleted := false
		if t, ok := any(v).(halo.Ticket); ok {
			deleted = bool(t.Deleted)
		}
		return store.Tables[entity].RowFrom(toRow(v)), deleted, nil
	}
}

func decoder[T any](entity string, toRow func(T) map[string]any) func([]byte, []int64) (store.Row, error) {
	return func(raw []byte, _ []int64) (store.Row, error) {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return store.Row{}, unstorable(fmt.Errorf("decoding Halo's %s reply: %w", entity, err))
		}
		return store.Tables[entity].RowFrom(toRow(v)), nil
	}
}

var pushSpecs = map[string]*pushSpec{
	Tickets: {path: "/api/Tickets", get: getter(Tickets, (*halo.Client).GetTicket, ticketRow), decode: decoder(Tickets, ticketRow)},
	Clients: {path: "/api/Client", get: getter(Clients, (*halo.Client).GetClient, clientRow), decode: decoder(Clients, clientRow)},
	Sites:   {path: "/api/Site", get: getter(Sites, (*halo.Client).GetSite, siteRow), decode: decoder(Sites, siteRow)},
	Users:   {path: "/api/Users", get: getter(Users, (*halo.Client).GetUser, userRow), decode: decoder(Users, userRow)},
	Assets:  {path: "/api/Asset", get: getter(Assets, (*halo.Client).GetAsset, assetRow), decode: decoder(Assets, assetRow)},
	Contracts: {path: "/api/ClientContract", get: getter(Contracts, (*halo.Client).GetContract, contractRow),
		decode: decoder(Contracts, contractRow)},
	Actions: {path: "/api/Actions",
		get: func(ctx context.Context, c *halo.Client, keys []int64) (store.Row, bool, error) {
			a, err := c.GetAction(ctx, keys[0], keys[1])
			if err != nil {
				return store.Row{}, false, err
			}
			if a.TicketID == 0 {
				a.TicketID = halo.Int(keys[0])
			}
			return store.Tables[Actions].RowFrom(actionRow(a)), false, nil
		},
		decode: func(raw []byte, keys []int64) (store.Row, error) {
			var a halo.Action
			if err := json.Unmarshal(raw, &a); err != nil {
				return store.Row{}, unstorable(fmt.Errorf("decoding Halo's action reply: %w", err))
			}
			if a.TicketID == 0 {
				a.TicketID = halo.Int(keys[0])
			}
			return store.Tables[Actions].RowFrom(actionRow(a)), nil
		}},
}

// IsPushable reports whether local edits of entity are pushed to Halo.
func IsPushable(entity string) bool {
	_, ok := pushSpecs[entity]
	return ok
}

// dateOnly columns are written at noon as naive UTC strings so they do not shift by a day (§10.18).
var dateOnly = map[string]bool{"targetdate": true, "start_date": true, "end_date": true}

// onlyWritable keeps the fields a push may send: the writable columns of the entity, the same list the
// guard trigger enforces (halosync.writable_columns), and custom field values (their trigger guards them). Anything else in an outbox row (written there by
// hand, or by an older version) is never sent; dropped names it.
func onlyWritable(fields store.Values, writable map[string]bool) (kept store.Values, dropped []string) {
	kept = make(store.Values, len(fields))
	for k, v := range fields {
		if _, custom := customFieldID(k); writable[k] || custom {
			kept[k] = v
		} else {
			dropped = append(dropped, k)
		}
	}
	return kept, dropped
}

// body builds the POST element: the fields in Halo's forms plus the record's id (and ticket_id for
// actions); a create sends no id.
func body(t *store.Table, keys []int64, fields store.Values, create bool) map[string]any {
	b := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		if _, custom := customFieldID(k); !custom { // added by addCustomFields
			b[k] = haloValue(t, k, v)
		}
	}
	if t.Entity == Actions {
		b["ticket_id"] = keys[0]
		if !create {
			b["id"] = keys[1]
		}
	} else if !create {
		b["id"] = keys[0]
	}
	return b
}

// haloValue converts a canonical mirror value (store.Values) into what Halo expects: no JSON null (Halo has
// none; unset is "", 0, false or a sentinel, §12.3), agent 1 for unassigned (§10.14), UTC times, and
// date-only fields at noon as naive UTC strings (§10.18). Ticket team is a name already (§10.15).
func haloValue(t *store.Table, col string, v any) any {
	typ := t.ColumnType(col)
	if v == nil {
		switch {
		case col == "agent_id":
			return 1
		case typ == store.TypeText:
			return ""
		case typ == store.TypeBoolean:
			return false
		case typ == store.TypeTimestamptz:
			return "1900-01-01T00:00:00"
		default:
			return 0
		}
	}
	if tm, ok := v.(time.Time); ok {
		if dateOnly[col] {
			return tm.UTC().Format("2006-01-02") + "T12:00:00"
		}
		return tm.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return v
}

// CreateMarker is the ticket field a create carries its correlation value in, so that an attempt
// interrupted between Halo's write and our commit finds the ticket again instead of creating it twice. It
// must be a field Halo keeps on a ticket and returns in list rows: third_party_id_string by default (in
// both the published Faults and Faults_List schemas), or a custom field given by id ("customfield:<id>":
// written as customfields [{id, value}], read from list rows with include_custom_fields=<id>).
type CreateMarker struct {
	Field         string // top-level ticket field; "" when CustomFieldID is set
	CustomFieldID int64
}

// DefaultCreateMarker is the field used when HALOSYNC_CREATE_MARKER is not set.
const DefaultCreateMarker = "third_party_id_string"

var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ParseCreateMarker reads a HALOSYNC_CREATE_MARKER value: a ticket field name, or customfield:<id>.
func ParseCreateMarker(s string) (CreateMarker, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return CreateMarker{Field: DefaultCreateMarker}, nil
	}
	if rest, ok := strings.CutPrefix(strings.ToLower(s), "customfield:"); ok {
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			return CreateMarker{}, fmt.Errorf("expected customfield:<id> with the custom field's numeric id (FieldInfo id), got %q", s)
		}
		return CreateMarker{CustomFieldID: id}, nil
	}
	if !fieldName.MatchString(s) {
		return CreateMarker{}, fmt.Errorf("expected a ticket field name such as %s, or customfield:<id>, got %q", DefaultCreateMarker, s)
	}
	return CreateMarker{Field: s}, nil
}

func (m CreateMarker) orDefault() CreateMarker {
	if m.Field == "" && m.CustomFieldID == 0 {
		return CreateMarker{Field: DefaultCreateMarker}
	}
	return m
}

func (m CreateMarker) String() string {
	m = m.orDefault()
	if m.CustomFieldID != 0 {
		return "customfield:" + strconv.FormatInt(m.CustomFieldID, 10)
	}
	return m.Field
}

// set writes v into a create's body.
func (m CreateMarker) set(b map[string]any, v string) {
	m = m.orDefault()
	if m.CustomFieldID != 0 {
		b["customfields"] = []map[string]any{{"id": m.CustomFieldID, "value": v}}
		return
	}
	b[m.Field] = v
}

// listParams are the list parameters that make ticket list rows carry the marker.
func (m CreateMarker) listParams() url.Values {
	m = m.orDefault()
	if m.CustomFieldID != 0 {
		return url.Values{"include_custom_fields": {strconv.FormatInt(m.CustomFieldID, 10)}}
	}
	return url.Values{}
}

// valueIn reads the marker from a ticket's JSON ("" when absent).
func (m CreateMarker) valueIn(raw []byte) string {
	m = m.orDefault()
	if m.CustomFieldID == 0 {
		var rec map[string]json.RawMessage
		if json.Unmarshal(raw, &rec) != nil {
			return ""
		}
		var s string
		if json.Unmarshal(rec[m.Field], &s) != nil {
			return ""
		}
		return s
	}
	var rec struct {
		CustomFields []struct {
			ID    halo.Int        `json:"id"`
			Value json.RawMessage `json:"value"`
		} `json:"customfields"`
	}
	if json.Unmarshal(raw, &rec) != nil {
		return ""
	}
	for _, cf := range rec.CustomFields {
		var s string
		if int64(cf.ID) == m.CustomFieldID && json.Unmarshal(cf.Value, &s) == nil {
			return s
		}
	}
	return ""
}
