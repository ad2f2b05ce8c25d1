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
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// This file is how a push talks to Halo about one entity: which endpoint, how Halo's answers become a
// mirror row (the pull's own mappers, so pull and push store identical rows), and how the mirror's values
// are written in a POST body.

// pushSpec is how one entity is written: its declaration (Path, keys, writable columns).
type pushSpec struct {
	*entity.Entity
}

// pushSpecs holds the pushable entities (entity.Entity.Pushable) by name.
var pushSpecs = func() map[string]*pushSpec {
	m := map[string]*pushSpec{}
	for _, e := range entity.All() {
		if e.Pushable() {
			m[e.Name] = &pushSpec{Entity: e}
		}
	}
	return m
}()

// get reads the record from Halo as a mirror row, and whether Halo has it soft-deleted (a deleted column
// that is true: tickets).
func (sp *pushSpec) get(ctx context.Context, c *halo.Client, keys []int64) (store.Row, bool, error) {
	rec, err := sp.Get(ctx, c, anyKeys(keys))
	if err != nil {
		return store.Row{}, false, err
	}
	deleted, _ := rec.Value("deleted").(bool)
	return store.Tables[sp.Name].RowOf(rec), deleted, nil
}

// decode reads a POST's reply as a mirror row; key fields the reply lacks come from keys.
func (sp *pushSpec) decode(raw []byte, keys []int64) (store.Row, error) {
	rec, err := sp.DecodeKeyed(raw, anyKeys(keys))
	if err != nil {
		return store.Row{}, unstorable(fmt.Errorf("decoding Halo's %s reply: %w", sp.Name, err))
	}
	return store.Tables[sp.Name].RowOf(rec), nil
}

func anyKeys(keys []int64) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// IsPushable reports whether local edits of entity are pushed to Halo.
func IsPushable(name string) bool {
	_, ok := pushSpecs[name]
	return ok
}

// onlyWritable keeps the fields a push may send: the writable columns of the entity, the same list the
// guard trigger enforces (halosync.writable_columns). Anything else in an outbox row (written there by
// hand, or by an older version) is never sent; dropped names it.
func onlyWritable(fields store.Values, writable map[string]bool) (kept store.Values, dropped []string) {
	kept = make(store.Values, len(fields))
	for k, v := range fields {
		if writable[k] {
			kept[k] = v
		} else {
			dropped = append(dropped, k)
		}
	}
	return kept, dropped
}

// body builds the POST element: the fields in Halo's forms plus the record's key. Every key column but the
// last names the parent (an action's ticket_id) and is always sent; the last is the record's own id, which a
// create does not send.
func body(t *store.Table, keys []int64, fields store.Values, create bool) map[string]any {
	b := make(map[string]any, len(fields)+len(keys))
	for k, v := range fields {
		b[k] = haloValue(t, k, v)
	}
	for i, k := range t.Decl.Keys {
		if i < len(keys)-1 || !create {
			b[k.HaloField()] = keys[i]
		}
	}
	return b
}

// haloValue converts a canonical mirror value (store.Values) into what Halo expects: no JSON null (Halo has
// none; unset is "", 0, false, a sentinel, or the column's declared Unset such as agent 1 for unassigned,
// §12.3, §10.14), UTC times, and Date columns at noon as naive UTC strings (§10.18). Ticket team is a name
// already (§10.15).
func haloValue(t *store.Table, col string, v any) any {
	c, _ := t.Decl.Column(col)
	if v == nil {
		switch {
		case c.Unset != nil:
			return c.Unset
		case c.Kind == entity.Text || c.Kind == entity.TextKeep:
			return ""
		case c.Kind == entity.Boolean || c.Kind == entity.BooleanOrNull:
			return false
		case c.Kind == entity.Timestamp || c.Kind == entity.Date:
			return "1900-01-01T00:00:00"
		default:
			return 0
		}
	}
	if tm, ok := v.(time.Time); ok {
		if c.Kind == entity.Date {
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
