package sync_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// The records below are real Halo replies (testdata/halo-captures/README.md): the ticket create reply carries
// four custom fields (two single selects, two dates with Z and a 7-digit fraction); its action carries copies
// (a select left unset, dates without Z or fraction).

func capture(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "halo-captures", name))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// cfStore writes records through the one upsert path, as a pull, fetch or push reply does.
type cfStore struct {
	ctx context.Context
	st  *store.Store
}

func newCFStore(t *testing.T) *cfStore {
	return &cfStore{ctx: context.Background(), st: store.New(testdb.New(t))}
}

func (c *cfStore) upsert(t *testing.T, entity string, rec map[string]any) {
	t.Helper()
	raw, err := json.Marshal(rec)
	require.NoError(t, err)
	row, err := hsync.RecordRow(entity, raw)
	require.NoError(t, err)
	require.NoError(t, pgx.BeginFunc(c.ctx, c.st.Pool, func(tx pgx.Tx) error {
		res, err := c.st.Upsert(c.ctx, tx, store.Tables[entity], []store.Row{row})
		require.Empty(t, res.Rejected)
		return err
	}))
}

type cfValue struct {
	FieldID   int64
	Name      *string
	Type      *int64
	Value     *string
	Display   *string
	Number    *float64
	Date      *time.Time
	Bool      *bool
	DeletedAt *time.Time
}

func (c *cfStore) values(t *testing.T, entity, key string) map[int64]cfValue {
	t.Helper()
	rows, err := c.st.Pool.Query(c.ctx, `SELECT field_id, name, type, value, display, value_number::float8, value_date,
		value_bool, deleted_at FROM halo.custom_field_values WHERE entity = $1 AND record_key = $2`, entity, key)
	require.NoError(t, err)
	out := map[int64]cfValue{}
	for rows.Next() {
		var v cfValue
		require.NoError(t, rows.Scan(&v.FieldID, &v.Name, &v.Type, &v.Value, &v.Display, &v.Number, &v.Date, &v.Bool, &v.DeletedAt))
		out[v.FieldID] = v
	}
	require.NoError(t, rows.Err())
	return out
}

func strp(s string) *string { return &s }

// field returns the element of rec's customfields with id.
func field(t *testing.T, rec map[string]any, id float64) map[string]any {
	t.Helper()
	for _, f := range rec["customfields"].([]any) {
		if f.(map[string]any)["id"] == id {
			return f.(map[string]any)
		}
	}
	t.Fatalf("no custom field %v", id)
	return nil
}

func TestCustomFieldValuesAreStoredWithTheirRecord(t *testing.T) {
	t.Parallel()
	c := newCFStore(t)
	ticket := capture(t, "create-ticket-response.json")
	c.upsert(t, "tickets", ticket)

	vals := c.values(t, "tickets", "9499")
	require.Len(t, vals, 4)
	impact := vals[165]
	require.Equal(t, "CFimpact", *impact.Name)
	require.Equal(t, int64(2), *impact.Type)
	require.Equal(t, "3", *impact.Value, "a single select's value is its option id")
	require.Equal(t, "Single User Affected", *impact.Display)
	require.Equal(t, 3.0, *impact.Number)
	require.Nil(t, impact.Date)
	end := vals[175]
	require.Equal(t, "2024-06-20T14:45:16.4926282Z", *end.Value)
	require.Equal(t, "20/06/2024", *end.Display)
	require.Equal(t, time.Date(2024, 6, 20, 14, 45, 16, 492628000, time.UTC), end.Date.UTC())
	require.Nil(t, end.Number)

	var recordID int64
	require.NoError(t, c.st.Pool.QueryRow(c.ctx, `SELECT record_id FROM halo.custom_field_values
		WHERE entity = 'tickets' AND field_id = 165`).Scan(&recordID))
	require.Equal(t, int64(9499), recordID, "record_id joins with halo.tickets.id")
	var impactText, urgencyID string
	require.NoError(t, c.st.Pool.QueryRow(c.ctx, `SELECT f.displays->>'CFimpact', f."values"->>'CFurgency'
		FROM halo.tickets t JOIN halo.record_custom_fields f ON f.entity = 'tickets' AND f.record_id = t.id`).Scan(&impactText, &urgencyID))
	require.Equal(t, "Single User Affected", impactText, "the pivot view")
	require.Equal(t, "3", urgencyID)

	// The action's copies: an unset select (0) and dates without zone or fraction.
	action := capture(t, "action-system-rule.json")
	c.upsert(t, "actions", action)
	avals := c.values(t, "actions", "9499/3")
	require.Len(t, avals, len(action["customfields"].([]any)))
	require.Equal(t, "0", *avals[206].Value)
	require.Nil(t, avals[206].Number, "option id 0 is an unset select")
	require.Nil(t, avals[206].Display)
	require.Equal(t, time.Date(2024, 6, 20, 14, 45, 16, 0, time.UTC), avals[174].Date.UTC(), "a date without Z is UTC")
}

func TestCustomFieldTypedColumnsPerType(t *testing.T) {
	t.Parallel()
	c := newCFStore(t)
	ticket := capture(t, "create-ticket-response.json")
	// Shapes no capture shows (halo-api-more.md: time, checkbox and multi-select read shapes are unseen),
	// as Halo's types and write shapes suggest, plus forms the decoder must survive.
	ticket["customfields"] = []any{
		map[string]any{"id": 301, "name": "CFcode", "type": 0, "value": "00123", "display": ""},
		map[string]any{"id": 302, "name": "CFnotes", "type": 1, "value": "", "display": ""},
		map[string]any{"id": 303, "name": "CFmulti", "type": 3, "value": []any{map[string]any{"id": 7}, map[string]any{"id": 9}}, "display": "A, B"},
		map[string]any{"id": 304, "name": "CFwhen", "type": 4, "value": "1900-01-01T00:00:00", "display": ""},
		map[string]any{"id": 305, "name": "CFtime", "type": 5, "value": "15:25:00", "display": "15:25"},
		map[string]any{"id": 306, "name": "CFchecked", "type": 6, "value": true, "display": "Yes"},
		map[string]any{"id": 307, "name": "CFflag", "type": 6, "value": "0", "display": "No"},
		map[string]any{"id": 308, "name": "CFrich", "type": 10, "value": "<p>hi</p>", "display": ""},
		map[string]any{"id": 309.0, "name": "CFselect", "type": 2.0, "value": "12", "display": "Twelve"},
		map[string]any{"id": 310, "name": "CFbaddate", "type": 4, "value": "2024-13-45T00:00:00", "display": ""},
		map[string]any{"id": 311, "name": "CFnoleap", "type": 4, "value": "2023-02-29T10:00:00", "display": ""},
		map[string]any{"id": 312, "name": "CFleap", "type": 4, "value": "2024-02-29T10:00:00.1234567", "display": ""},
		map[string]any{"id": 313, "name": "CFzoned", "type": 4, "value": "2024-06-01T10:00:00+02:00", "display": ""},
		map[string]any{"id": 314, "name": "CFhour25", "type": 4, "value": "2024-06-01T25:00:00", "display": ""},
		map[string]any{"id": 315, "name": "CFbadzone", "type": 4, "value": "2024-06-01T10:00:00+16:00", "display": ""},
		map[string]any{"id": 316, "name": "CFday", "type": 4, "value": "2024-06-30", "display": ""},
		map[string]any{"name": "no id, skipped", "type": 0, "value": "x"},
		"not an object",
	}
	c.upsert(t, "tickets", ticket)
	vals := c.values(t, "tickets", "9499")
	require.Len(t, vals, 16)
	require.Equal(t, "00123", *vals[301].Value)
	require.Nil(t, vals[301].Number, "text stays text")
	require.Nil(t, vals[302].Value, "empty text is NULL, as in every mirror table")
	require.JSONEq(t, `[{"id":7},{"id":9}]`, *vals[303].Value)
	require.Equal(t, "A, B", *vals[303].Display)
	require.Nil(t, vals[304].Date, "a 1900 sentinel is no date")
	require.Equal(t, "15:25:00", *vals[305].Value)
	require.Nil(t, vals[305].Date)
	require.True(t, *vals[306].Bool)
	require.False(t, *vals[307].Bool)
	require.Equal(t, "<p>hi</p>", *vals[308].Value)
	require.Equal(t, 12.0, *vals[309].Number)
	require.Equal(t, int64(2), *vals[309].Type)
	require.Nil(t, vals[310].Date, "an impossible date is NULL, not an error")
	require.Nil(t, vals[311].Date, "29 February of a common year")
	require.Equal(t, time.Date(2024, 2, 29, 10, 0, 0, 123457000, time.UTC), vals[312].Date.UTC(), "no zone is UTC")
	require.Equal(t, time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC), vals[313].Date.UTC())
	require.Nil(t, vals[314].Date, "hour 25")
	require.Nil(t, vals[315].Date, "an offset Postgres cannot hold")
	require.Equal(t, time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC), vals[316].Date.UTC())
}

// A new record's values are inserted without looking for old ones (insert_custom_fields); what that insert
// cannot take, a field id its array repeats or values left behind by a record deleted from the mirror by
// hand, goes the general way and ends as it would have.
func TestCustomFieldValuesOfANewRecordTheInsertCannotTake(t *testing.T) {
	t.Parallel()
	c := newCFStore(t)
	ticket := capture(t, "create-ticket-response.json")
	ticket["customfields"] = []any{
		map[string]any{"id": 401, "name": "CFa", "type": 0, "value": "first"},
		map[string]any{"id": 401, "name": "CFa", "type": 0, "value": "last"},
	}
	c.upsert(t, "tickets", ticket)
	vals := c.values(t, "tickets", "9499")
	require.Len(t, vals, 1)
	require.Equal(t, "last", *vals[401].Value, "the last element of a repeated id counts")

	_, err := c.st.Pool.Exec(c.ctx, `DELETE FROM halo.tickets WHERE id = 9499`) // values stay behind
	require.NoError(t, err)
	ticket["customfields"] = []any{map[string]any{"id": 402, "name": "CFb", "type": 0, "value": "new"}}
	c.upsert(t, "tickets", ticket)
	vals = c.values(t, "tickets", "9499")
	require.Len(t, vals, 1, "the field the record no longer carries is removed")
	require.Equal(t, "new", *vals[402].Value)
}

func TestCustomFieldValuesFollowTheRecord(t *testing.T) {
	t.Parallel()
	c := newCFStore(t)
	ticket := capture(t, "create-ticket-response.json")
	c.upsert(t, "tickets", ticket)
	require.Len(t, c.values(t, "tickets", "9499"), 4)

	// A value changed in Halo: the next copy of the record updates the row.
	ticket["flastupdate"] = "2024-06-21T10:00:00Z"
	f := field(t, ticket, 165)
	f["value"], f["display"] = 2, "Multiple Users Affected"
	c.upsert(t, "tickets", ticket)
	v := c.values(t, "tickets", "9499")[165]
	require.Equal(t, "2", *v.Value)
	require.Equal(t, "Multiple Users Affected", *v.Display)
	require.Equal(t, 2.0, *v.Number)

	// An older copy (a page read before the change) does not undo it: the record keeps its newer copy,
	// and the values are that copy's.
	older := capture(t, "create-ticket-response.json")
	older["summary"] = "an older copy"
	c.upsert(t, "tickets", older)
	require.Equal(t, "2", *c.values(t, "tickets", "9499")[165].Value)

	// A copy without the customfields key (a list row without include_custom_fields) is not authoritative.
	without := capture(t, "create-ticket-response.json")
	delete(without, "customfields")
	without["flastupdate"] = "2024-06-22T10:00:00Z"
	without["summary"] = "renamed"
	c.upsert(t, "tickets", without)
	vals := c.values(t, "tickets", "9499")
	require.Len(t, vals, 4)
	require.Equal(t, "2", *vals[165].Value)

	// A field that disappeared from a carried array is removed.
	ticket["flastupdate"] = "2024-06-23T10:00:00Z"
	var kept []any
	for _, e := range ticket["customfields"].([]any) {
		if e.(map[string]any)["id"] != 166.0 {
			kept = append(kept, e)
		}
	}
	ticket["customfields"] = kept
	c.upsert(t, "tickets", ticket)
	vals = c.values(t, "tickets", "9499")
	require.Len(t, vals, 3)
	require.NotContains(t, vals, int64(166))

	// An empty array is authoritative too.
	ticket["flastupdate"] = "2024-06-24T10:00:00Z"
	ticket["customfields"] = []any{}
	c.upsert(t, "tickets", ticket)
	require.Empty(t, c.values(t, "tickets", "9499"))
}

// TestCustomFieldValuesUnchangedAreNotRewritten: an edit of a record that leaves its custom fields as they
// were writes none of their rows (most ticket edits; each rewrite is a row version in three indexes), and
// halo_updated_at stays the time of the copy that brought the value; a changed value is written with the
// new copy's time.
func TestCustomFieldValuesUnchangedAreNotRewritten(t *testing.T) {
	t.Parallel()
	c := newCFStore(t)
	ticket := capture(t, "create-ticket-response.json")
	ticket["flastupdate"] = "2024-06-20T10:00:00Z"
	c.upsert(t, "tickets", ticket)
	type version struct {
		xmin    string
		updated time.Time
	}
	versions := func() map[int64]version {
		rows, err := c.st.Pool.Query(c.ctx, `SELECT field_id, xmin::text, halo_updated_at FROM halo.custom_field_values
			WHERE entity = 'tickets' AND record_key = '9499'`)
		require.NoError(t, err)
		out := map[int64]version{}
		for rows.Next() {
			var id int64
			var v version
			require.NoError(t, rows.Scan(&id, &v.xmin, &v.updated))
			out[id] = v
		}
		require.NoError(t, rows.Err())
		require.Len(t, out, 4)
		return out
	}
	before := versions()

	ticket["flastupdate"] = "2024-06-21T10:00:00Z"
	ticket["summary"] = "edited, custom fields as they were"
	c.upsert(t, "tickets", ticket)
	require.Equal(t, before, versions(), "no value row written")

	ticket["flastupdate"] = "2024-06-22T10:00:00Z"
	f := field(t, ticket, 165)
	f["value"], f["display"] = 2, "Multiple Users Affected"
	c.upsert(t, "tickets", ticket)
	after := versions()
	for id, v := range after {
		if id == 165 {
			require.NotEqual(t, before[id].xmin, v.xmin, "the changed value is written")
			require.Equal(t, time.Date(2024, 6, 22, 10, 0, 0, 0, time.UTC), v.updated.UTC())
			continue
		}
		require.Equal(t, before[id], v, "field %d unchanged", id)
	}
	require.Equal(t, time.Date(2024, 6, 20, 10, 0, 0, 0, time.UTC), after[166].updated.UTC())
}

func TestCustomFieldValuesOfATombstonedRecord(t *testing.T) {
	t.Parallel()
	c := newCFStore(t)
	ticket := capture(t, "create-ticket-response.json")
	c.upsert(t, "tickets", ticket)
	c.upsert(t, "actions", capture(t, "action-system-rule.json"))

	// Deleted in Halo: the ticket, its actions, and all their values are soft-deleted.
	require.NoError(t, pgx.BeginFunc(c.ctx, c.st.Pool, func(tx pgx.Tx) error {
		if _, err := c.st.Tombstone(c.ctx, tx, store.Tables["tickets"], [][]any{{int64(9499)}}); err != nil {
			return err
		}
		return c.st.TombstoneActionsOfDeletedTickets(c.ctx, tx)
	}))
	for _, key := range []string{"9499", "9499/3"} {
		entity := map[string]string{"9499": "tickets", "9499/3": "actions"}[key]
		vals := c.values(t, entity, key)
		require.NotEmpty(t, vals)
		for id, v := range vals {
			require.NotNil(t, v.DeletedAt, "%s %s field %d", entity, key, id)
		}
	}

	// Back in Halo (a copy without the array): the values learnt earlier come back with it.
	delete(ticket, "customfields")
	ticket["flastupdate"] = "2024-06-21T10:00:00Z"
	c.upsert(t, "tickets", ticket)
	vals := c.values(t, "tickets", "9499")
	require.Len(t, vals, 4)
	for _, v := range vals {
		require.Nil(t, v.DeletedAt)
	}

	// A full walk that no longer lists the ticket tombstones it and its values.
	require.NoError(t, pgx.BeginFunc(c.ctx, c.st.Pool, func(tx pgx.Tx) error {
		_, err := c.st.TombstoneMissing(c.ctx, tx, store.Tables["tickets"], []int64{99})
		return err
	}))
	for _, v := range c.values(t, "tickets", "9499") {
		require.NotNil(t, v.DeletedAt)
	}
}

// A cycle against the fake Halo: the definitions come from /api/FieldInfo, the ticket list is asked for the
// ticket fields (no request more), and every ticket's values are stored with it; a value changed in Halo
// reaches the row on the next incremental pull.
func TestPullStoresCustomFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, halofake.Options{BulkActions: true, HonourLastUpdateFilter: true, Seed: 7}, tiny)
	ctx := context.Background()
	e.cycle(t, false)

	var defs, custom, ticketFields int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE custom),
		count(*) FILTER (WHERE custom AND usage = 1) FROM halo.custom_fields WHERE deleted_at IS NULL`).Scan(&defs, &custom, &ticketFields))
	require.Equal(t, len(e.fake.Records("custom_fields")), defs)
	require.Less(t, custom, defs, "built-in fields are not custom")
	require.Positive(t, ticketFields)

	listed := 0
	for _, r := range e.fake.Requests() {
		if strings.EqualFold(r.Path, "/api/FieldInfo") {
			require.Empty(t, r.Query, "FieldInfo has no paging parameters")
		}
		if strings.EqualFold(r.Path, "/api/Tickets") && r.Query.Get("deleted") == "" {
			require.Equal(t, "165,166,174,206", r.Query.Get("include_custom_fields"))
			listed++
		}
	}
	require.Positive(t, listed)

	var tickets, withValues int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE EXISTS (
		SELECT FROM halo.custom_field_values v WHERE v.entity = 'tickets' AND v.record_id = t.id AND v.field_id = 165))
		FROM halo.tickets t WHERE deleted_at IS NULL`).Scan(&tickets, &withValues))
	require.Equal(t, tickets, withValues, "every ticket's values come with the list")

	e.fake.SetCustomField("tickets", 5, 165, 1)
	e.cycle(t, false)
	var value, display string
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT value, display FROM halo.custom_field_values
		WHERE entity = 'tickets' AND record_key = '5' AND field_id = 165`).Scan(&value, &display))
	require.Equal(t, "1", value)
	require.Equal(t, "Whole Company", display)
}

// The ticket list is asked for the ticket fields of the definitions and for every field already seen on a
// ticket: a list row's array replaces the ticket's values, so a field left out of the include would be
// removed by every list and put back by every read by id.
func TestTicketCustomFieldIDs(t *testing.T) {
	t.Parallel()
	c := newCFStore(t)
	c.upsert(t, "tickets", capture(t, "create-ticket-response.json")) // fields 165, 166, 174, 175
	for _, def := range []string{
		`{"id": 165, "name": "CFimpact", "custom": 1, "usage": 1}`,
		`{"id": 175, "name": "CFChangeActualEndDateTime", "custom": 1, "usage": 0}`, // seen on a ticket
		`{"id": 180, "name": "CFticketOnly", "custom": true, "usage": 1}`,
		`{"id": 301, "name": "CFclientTier", "custom": 1, "usage": 2}`, // a client field
		`{"id": 1, "name": "summary", "custom": 0, "usage": 1}`,        // built in
	} {
		c.upsert(t, "custom_fields", func() map[string]any {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(def), &m))
			return m
		}())
	}
	ids, err := c.st.TicketCustomFieldIDs(c.ctx, c.st.Pool)
	require.NoError(t, err)
	require.Equal(t, []int64{165, 175, 180}, ids)
}
