package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// postRecorder keeps the bodies of the POSTs a halo client sends.
type postRecorder struct {
	mu     sync.Mutex
	bodies []json.RawMessage
}

func (r *postRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.Contains(req.URL.Path, "/api/") && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *postRecorder) last(t *testing.T) json.RawMessage {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.bodies)
	return r.bodies[len(r.bodies)-1]
}

// recordPosts makes e's pusher send through a client that records its POST bodies.
func recordPosts(t *testing.T, e *pushEnv) *postRecorder {
	t.Helper()
	rec := &postRecorder{}
	hc, err := halo.New(halo.Config{BaseURL: e.fake.URL(), ClientID: halofake.DefaultClientID, ClientSecret: halofake.DefaultClientSecret,
		Scope: "all", HTTPClient: &http.Client{Transport: rec, Timeout: 30 * time.Second}})
	require.NoError(t, err)
	e.pusher = &hsync.Pusher{Halo: hc, Store: e.puller.Store}
	return rec
}

// cfValue reads one custom field value of a ticket from the mirror.
func (e *pushEnv) cfValue(t *testing.T, ticket, field int64) (value, display *string) {
	t.Helper()
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT value, display FROM halo.custom_field_values
		WHERE entity = 'tickets' AND record_key = $1 AND field_id = $2`, strconv.FormatInt(ticket, 10), field).Scan(&value, &display))
	return value, display
}

// remoteCustomField sets a custom field in Halo as if an agent did it at now+at (Halo's clock).
func (e *pushEnv) remoteCustomField(entity string, id, field int64, value any, at time.Duration) {
	e.skew.Store(int64(at))
	e.fake.SetCustomField(entity, id, field, value)
	e.skew.Store(0)
}

// optionOtherThan is an option id of the Impact select (1-3) other than the ticket's current one.
func optionOtherThan(v *string) string {
	if v != nil && *v == "1" {
		return "2"
	}
	return "1"
}

func TestPushCustomFieldValue(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	posts := recordPosts(t, e)
	id := e.firstID(t, "tickets")
	old, _ := e.cfValue(t, id, 165)
	want := optionOtherThan(old)

	e.exec(t, `UPDATE halo.custom_field_values SET value = $1 WHERE entity = 'tickets' AND record_key = $2 AND field_id = 165`,
		want, strconv.FormatInt(id, 10))
	n, _ := strconv.ParseFloat(want, 64)
	require.Equal(t, n, e.scalar(t, `SELECT value_number::float8 FROM halo.custom_field_values
		WHERE entity = 'tickets' AND record_key = $1 AND field_id = 165`, strconv.FormatInt(id, 10)), "the typed columns follow the edit")
	ob := e.outbox(t)
	require.Len(t, ob, 1)
	require.Equal(t, "tickets", ob[0].Entity, "the edit is the owner record's")
	require.Equal(t, strconv.FormatInt(id, 10), ob[0].RecordKey)
	require.Equal(t, map[string]any{"customfields.165": want}, ob[0].Fields)
	require.Equal(t, map[string]any{"customfields.165": *old}, ob[0].Base)

	require.Equal(t, 1, e.pushAll(t))
	require.JSONEq(t, `[{"id": `+strconv.FormatInt(id, 10)+`, "customfields": [{"id": 165, "value": `+want+`}]}]`,
		string(posts.last(t)), "the owner's POST carries the value and the key only")
	value, display := e.cfValue(t, id, 165)
	require.Equal(t, want, *value)
	require.Equal(t, map[string]string{"1": "Whole Company", "2": "Department"}[want], *display, "Halo's reply is stored")

	// No echo: syncing and pushing again sends nothing.
	before := e.posts()
	e.cycle(t, false)
	e.cycle(t, true)
	require.Equal(t, 0, e.pushAll(t))
	require.Equal(t, before, e.posts())
	ob = e.outbox(t)
	require.Len(t, ob, 1)
	require.Equal(t, store.OutboxDone, ob[0].State)
	value, _ = e.cfValue(t, id, 165)
	require.Equal(t, want, *value)
}

// A column and a custom field of one record edited before the push go out in one POST.
func TestPushCustomFieldWithAColumn(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	posts := recordPosts(t, e)
	id := e.firstID(t, "tickets")
	key := strconv.FormatInt(id, 10)
	old, _ := e.cfValue(t, id, 165)
	want := optionOtherThan(old)
	e.exec(t, `UPDATE halo.custom_field_values SET value = $1 WHERE entity = 'tickets' AND record_key = $2 AND field_id = 165`, want, key)
	e.exec(t, `UPDATE halo.tickets SET summary = 'both at once' WHERE id = $1`, id)
	e.exec(t, `UPDATE halo.custom_field_values SET value = '2026-02-03T10:00:00' WHERE entity = 'tickets' AND record_key = $1 AND field_id = 174`, key)

	ob := e.outbox(t)
	require.Len(t, ob, 1)
	require.Contains(t, ob[0].Base, "summary", "the column's base is kept beside the custom fields'")
	require.Contains(t, ob[0].Base, "customfields.165")
	require.Contains(t, ob[0].Base, "customfields.174")

	require.Equal(t, 1, e.pushAll(t))
	require.Equal(t, 1, e.posts())
	var body []map[string]any
	require.NoError(t, json.Unmarshal(posts.last(t), &body))
	require.Equal(t, "both at once", body[0]["summary"])
	require.ElementsMatch(t, []any{
		map[string]any{"id": 165.0, "value": float64(map[string]int{"1": 1, "2": 2}[want])},
		map[string]any{"id": 174.0, "value": "2026-02-03T10:00:00"},
	}, body[0]["customfields"])
	require.Equal(t, "both at once", e.scalar(t, `SELECT summary FROM halo.tickets WHERE id = $1`, id))
	value, _ := e.cfValue(t, id, 174)
	require.Equal(t, "2026-02-03T10:00:00", *value)
}

func TestPushCustomFieldConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("HaloLater", func(t *testing.T) {
		t.Parallel()
		e := newPushEnv(t)
		id := e.firstID(t, "tickets")
		key := strconv.FormatInt(id, 10)
		e.exec(t, `UPDATE halo.custom_field_values SET value = 'local' WHERE entity = 'tickets' AND record_key = $1 AND field_id = 174`, key)
		e.remoteCustomField("tickets", id, 174, "2026-05-06T07:08:09", 10*time.Minute)
		require.Equal(t, 1, e.pushAll(t))
		value, _ := e.cfValue(t, id, 174)
		require.Equal(t, "2026-05-06T07:08:09", *value, "Halo's later change wins and is stored")
		cs, err := e.puller.Store.ListConflicts(ctx, e.pool, true)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.Equal(t, "customfields.174", cs[0].Field)
		require.Equal(t, "halo", cs[0].Winner)
		require.Equal(t, "local", cs[0].LocalValue, "the loser is kept")
		require.Equal(t, 0, e.posts(), "nothing of ours to send")
	})

	t.Run("LocalLater", func(t *testing.T) {
		t.Parallel()
		e := newPushEnv(t)
		id := e.firstID(t, "tickets")
		key := strconv.FormatInt(id, 10)
		e.remoteCustomField("tickets", id, 174, "2026-05-06T07:08:09", -10*time.Minute)
		e.exec(t, `UPDATE halo.custom_field_values SET value = '2026-01-01T00:00:00' WHERE entity = 'tickets' AND record_key = $1 AND field_id = 174`, key)
		require.Equal(t, 1, e.pushAll(t))
		value, _ := e.cfValue(t, id, 174)
		require.Equal(t, "2026-01-01T00:00:00", *value)
		cs, err := e.puller.Store.ListConflicts(ctx, e.pool, true)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.Equal(t, "local", cs[0].Winner)
		require.Equal(t, "2026-05-06T07:08:09", cs[0].RemoteValue)
	})
}

// The editor role may change value and nothing else of halo.custom_field_values; readers read it.
func TestCustomFieldValuesRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPushEnv(t)
	ed := editorConn(t, e)
	id := e.firstID(t, "tickets")
	key := strconv.FormatInt(id, 10)

	old, _ := e.cfValue(t, id, 165)
	_, err := ed.Exec(ctx, `UPDATE halo.custom_field_values SET value = $2 WHERE entity = 'tickets' AND record_key = $1 AND field_id = 165`,
		key, optionOtherThan(old))
	require.NoError(t, err)
	require.Len(t, e.outbox(t), 1)
	for _, sql := range []string{
		`UPDATE halo.custom_field_values SET display = 'x' WHERE entity = 'tickets' AND record_key = $1`,
		`UPDATE halo.custom_field_values SET value_number = 1 WHERE entity = 'tickets' AND record_key = $1`,
		`DELETE FROM halo.custom_field_values WHERE entity = 'tickets' AND record_key = $1`,
		`INSERT INTO halo.custom_field_values (entity, record_key, field_id, raw) VALUES ('tickets', $1, 999, '{}')`,
	} {
		_, err := ed.Exec(ctx, sql, key)
		require.Equal(t, "42501", pgCode(err), "%s: %v", sql, err)
	}
	// Not even through the owner's login without the sync's marker: the guard refuses other columns, and
	// values of records whose custom fields are not pushed.
	_, err = e.pool.Exec(ctx, `UPDATE halo.custom_field_values SET display = 'x' WHERE entity = 'tickets' AND record_key = $1`, key)
	require.Equal(t, "42501", pgCode(err), "%v", err)

	var n int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.custom_field_values`).Scan(&n))
	require.Positive(t, n)
	tx, err := e.pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `SET LOCAL ROLE halosync_reader`)
	require.NoError(t, err)
	var read int
	require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM halo.custom_field_values v JOIN halo.custom_fields f ON f.id = v.field_id`).Scan(&read))
	require.Equal(t, n, read)
	_, err = tx.Exec(ctx, `UPDATE halo.custom_field_values SET value = '1'`)
	require.Equal(t, "42501", pgCode(err))
}

// A custom field edited while the push of a column edit of the same record is in flight is not lost: Halo's
// reply does not overwrite it, and it goes out in the next POST.
func TestPushCustomFieldEditedWhileSending(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	posts := recordPosts(t, e)
	id := e.firstID(t, "tickets")
	key := strconv.FormatInt(id, 10)
	old, _ := e.cfValue(t, id, 165)
	want := optionOtherThan(old)

	e.exec(t, `UPDATE halo.tickets SET summary = 'first edit' WHERE id = $1`, id)
	hsync.SetAfterPost(e.pusher, func(ctx context.Context, _ int64) error {
		hsync.SetAfterPost(e.pusher, nil)
		_, err := e.pool.Exec(ctx, `UPDATE halo.custom_field_values SET value = $1 WHERE entity = 'tickets' AND record_key = $2 AND field_id = 165`, want, key)
		return err
	})
	require.Equal(t, 1, e.pushAll(t))
	var first []map[string]any
	require.NoError(t, json.Unmarshal(posts.last(t), &first))
	require.Equal(t, "first edit", first[0]["summary"])
	require.NotContains(t, first[0], "customfields")
	value, _ := e.cfValue(t, id, 165)
	require.Equal(t, want, *value, "the reply did not overwrite the edit made meanwhile")

	require.Equal(t, 1, e.pushAll(t))
	require.JSONEq(t, `[{"id": `+key+`, "customfields": [{"id": 165, "value": `+want+`}]}]`, string(posts.last(t)))
	require.Equal(t, 2, e.posts())
	value, _ = e.cfValue(t, id, 165)
	require.Equal(t, want, *value)
	require.Equal(t, "first edit", e.scalar(t, `SELECT summary FROM halo.tickets WHERE id = $1`, id))
	for _, o := range e.outbox(t) {
		require.Equal(t, store.OutboxDone, o.State)
	}
}
