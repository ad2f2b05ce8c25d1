package sync_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// newCapturingPushEnv is a push env on size whose POST bodies are recorded.
func newCapturingPushEnv(t *testing.T, size halofake.Size) (*pushEnv, *postLog) {
	t.Helper()
	fake := halofake.New(halofake.Options{Seed: 7})
	fake.Generate(size)
	log := &postLog{bodies: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(strings.ToLower(r.URL.Path), "/api/") {
			b, _ := io.ReadAll(r.Body)
			log.mu.Lock()
			log.bodies[strings.ToLower(r.URL.Path)] = append(log.bodies[strings.ToLower(r.URL.Path)], string(b))
			log.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e := newEnvFor(t, fake, srv.URL, testdb.New(t))
	e.cycle(t, true)
	return &pushEnv{env: e, skew: &atomic.Int64{}, pinned: &atomic.Pointer[time.Time]{},
		pusher: &hsync.Pusher{Halo: e.puller.Halo, Store: e.puller.Store}}, log
}

// allowed is the id plus the writable columns of an entity: all a POST may carry (tickets: and the
// create marker).
func allowed(name string) map[string]bool {
	m := map[string]bool{"id": true}
	for _, c := range entity.Must(name).Writable() {
		m[c] = true
	}
	return m
}

// Issue 18: knowledge-base articles are pushed like the other entities: an
// edit POSTs only the changed writable fields, is not echoed back as a local
// edit by the next pulls, a create is posted once and takes Halo's id (an
// interrupted one parks: Halo keeps no field that would prove it ours), a
// delete deletes.
func TestPushKBArticles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, log := newCapturingPushEnv(t, halofake.Size{Clients: 2, Sites: 2, Users: 2, Agents: 2, KBArticles: 12})
	id := e.firstID(t, "kb_articles")

	e.exec(t, `UPDATE halo.kb_articles SET name = 'Edited article', tag_string = 'vpn,edited' WHERE id = $1`, id)
	require.Equal(t, 1, e.pushAll(t))
	require.Equal(t, [][]string{{"id", "name", "tag_string"}}, log.keys("/api/KBArticle"), "only the changed writable fields")
	rec := e.record(t, "kb_articles", id)
	require.Equal(t, "Edited article", rec["name"])
	require.Equal(t, "vpn,edited", rec["tag_string"])
	require.Equal(t, "Edited article", e.scalar(t, `SELECT raw->>'name' FROM halo.kb_articles WHERE id = $1`, id), "the mirror holds Halo's reply")

	// No echo: later pulls (full included) record nothing and post nothing.
	e.cycle(t, false)
	e.cycle(t, true)
	require.Equal(t, 0, e.pushAll(t))
	require.Len(t, e.outbox(t), 1)
	require.Equal(t, 1, e.posts())

	// Refused: a column Halo computes.
	_, err := e.pool.Exec(ctx, `UPDATE halo.kb_articles SET view_count = 0 WHERE id = $1`, id)
	require.ErrorContains(t, err, "not writable")

	// Create.
	var temp int64
	require.NoError(t, e.pool.QueryRow(ctx, `INSERT INTO halo.kb_articles (name, description) VALUES ('New article', 'How to do it') RETURNING id`).Scan(&temp))
	require.Negative(t, temp)
	require.Equal(t, 1, e.pushAll(t))
	var newID int64
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT id FROM halo.kb_articles WHERE name = 'New article'`).Scan(&newID))
	require.Positive(t, newID)
	require.Equal(t, "New article", e.record(t, "kb_articles", newID)["name"])
	for _, keys := range log.keys("/api/KBArticle") {
		for _, k := range keys {
			require.True(t, allowed("kb_articles")[k], "POST /api/KBArticle sent %q", k)
		}
	}

	// Delete.
	e.exec(t, `DELETE FROM halo.kb_articles WHERE id = $1`, id)
	require.Equal(t, 1, e.pushAll(t))
	require.Nil(t, e.record(t, "kb_articles", id), "deleted in Halo")
	require.NotNil(t, e.scalar(t, `SELECT deleted_at FROM halo.kb_articles WHERE id = $1`, id))
}

// A KB create interrupted after Halo's reply is parked, not posted again.
func TestPushKBCreateCrashParks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newCapturingPushEnv(t, halofake.Size{Clients: 2, Sites: 2, Users: 2, Agents: 2, KBArticles: 3})
	e.exec(t, `INSERT INTO halo.kb_articles (name) VALUES ('Crash article')`)
	crash := errors.New("simulated crash after Halo's reply")
	hsync.SetAfterPost(e.pusher, func(context.Context, int64) error { return crash })
	ob := e.outbox(t)[0]
	require.ErrorIs(t, e.pusher.Push(ctx, ob.ID), crash)
	hsync.SetAfterPost(e.pusher, nil)
	require.Equal(t, 1, e.pushAll(t))
	ob = e.outbox(t)[0]
	require.Equal(t, store.OutboxParked, ob.State)
	require.Contains(t, *ob.LastError, "may already exist in Halo")
	require.Equal(t, 0, e.pushAll(t))
	require.Equal(t, 1, e.posts(), "posted once")
}

// Projects and opportunities are pushed as tickets, edited through their
// views: only the changed writable fields go to /api/Tickets; a project
// created through halo.projects is a ticket create, found again by its marker
// after a crash.
func TestPushProjectsAndOpportunities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, log := newCapturingPushEnv(t, areaTenant)
	var project, opp int64
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT min(id) FROM halo.projects`).Scan(&project))
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT min(id) FROM halo.opportunities`).Scan(&opp))

	e.exec(t, `UPDATE halo.projects SET projecttimebudget = 42, deadlinedate = '2027-01-15T17:00:00Z' WHERE id = $1`, project)
	e.exec(t, `UPDATE halo.opportunities SET oppvalue = 12345.5, oppcontactname = 'Ada Lovelace' WHERE id = $1`, opp)
	ob := e.outbox(t)
	require.Len(t, ob, 2)
	for _, o := range ob {
		require.Equal(t, "tickets", o.Entity, "a project or opportunity edit is a ticket edit")
	}
	require.Equal(t, 2, e.pushAll(t))
	require.ElementsMatch(t, [][]string{{"deadlinedate", "id", "projecttimebudget"}, {"id", "oppcontactname", "oppvalue"}},
		log.keys("/api/Tickets"))
	require.EqualValues(t, 42, e.record(t, "tickets", project)["projecttimebudget"])
	require.EqualValues(t, 12345.5, e.record(t, "tickets", opp)["oppvalue"])
	require.EqualValues(t, 42, e.scalar(t, `SELECT projecttimebudget::float8 FROM halo.projects WHERE id = $1`, project))

	// No echo.
	e.cycle(t, false)
	require.Equal(t, 0, e.pushAll(t))
	require.Len(t, e.outbox(t), 2)

	// Halo's own figures are not writable through the view either.
	_, err := e.pool.Exec(ctx, `UPDATE halo.projects SET projecttimeactual = 1 WHERE id = $1`, project)
	require.ErrorContains(t, err, "not writable")

	// A task created under the project, interrupted after Halo's reply: the retry finds it by its marker.
	var temp int64
	require.NoError(t, e.pool.QueryRow(ctx, `INSERT INTO halo.project_tasks (summary, parent_id, tickettype_id, client_id)
SELECT 'New task', id, 28, client_id FROM halo.projects WHERE id = $1 RETURNING id`, project).Scan(&temp))
	crash := errors.New("simulated crash after Halo's reply")
	hsync.SetAfterPost(e.pusher, func(context.Context, int64) error { return crash })
	last := e.outbox(t)[len(e.outbox(t))-1]
	require.ErrorIs(t, e.pusher.Push(ctx, last.ID), crash)
	hsync.SetAfterPost(e.pusher, nil)
	require.Equal(t, 1, e.pushAll(t))
	last = e.outbox(t)[len(e.outbox(t))-1]
	require.Equal(t, store.OutboxDone, last.State)
	created := 0
	for _, r := range e.fake.Records("tickets") {
		if r["summary"] == "New task" {
			created++
			require.EqualValues(t, project, num(r["parent_id"]))
		}
	}
	require.Equal(t, 1, created, "posted once")
	require.Contains(t, viewIDs(t, e.env, "project_tasks"), fmt.Sprint(*last.HaloID))
}
