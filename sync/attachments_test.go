package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
)

var attachmentTenant = halofake.Size{Clients: 3, Sites: 3, Users: 6, Agents: 3, Tickets: 60, ActionsPerTicket: 2, Attachments: 30}

// attachmentRun finds the attachments ledger row among a cycle's runs.
func attachmentRun(t *testing.T, runs []*store.Run) *store.Run {
	t.Helper()
	for _, r := range runs {
		if r.Entity == "attachments" {
			return r
		}
	}
	t.Fatal("no attachments run")
	return nil
}

// fakeAttachments lists the attachment ids of live tickets, and the tickets that have any.
func fakeAttachments(e *env) (ids []string, tickets map[int64]bool) {
	live := map[int64]bool{}
	for _, r := range e.fake.Records("tickets") {
		if r["deleted"] != true {
			live[num(r["id"]).(int64)] = true
		}
	}
	tickets = map[int64]bool{}
	ids = []string{}
	for _, a := range e.fake.Records("attachments") {
		tid := num(a["ticket_id"]).(int64)
		if live[tid] {
			ids = append(ids, fmt.Sprint(num(a["id"])))
			tickets[tid] = true
		}
	}
	sort.Strings(ids)
	return ids, tickets
}

// Issue 18: attachment metadata is read per ticket, only for the tickets
// Halo counts attachments on: the first sync costs one request per such
// ticket, a second sync with nothing changed costs none.
func TestAttachmentsFirstSyncAndNoReread(t *testing.T) {
	e := newEnv(t, halofake.Options{Seed: 91, BulkActions: true}, attachmentTenant)
	runs := e.cycle(t, false)
	want, tickets := fakeAttachments(e)
	require.NotEmpty(t, want)
	require.Equal(t, want, liveIDs(t, e.pool, "attachments"))
	ar := attachmentRun(t, runs)
	require.Empty(t, ar.Error)
	require.EqualValues(t, len(tickets), ar.Requests, "one request per ticket with attachments")
	require.Len(t, e.requestsTo("/api/Attachment"), len(tickets))
	for _, r := range e.requestsTo("/api/Attachment") {
		require.NotEmpty(t, r.Query.Get("ticket_id"))
	}

	var wrong int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM halo.attachments x
WHERE x.ticket_id IS NULL OR x.ticket_id <> (x.raw->>'faultid')::bigint`).Scan(&wrong))
	require.Zero(t, wrong, "ticket_id is the ticket asked for")

	e.fake.ResetRequests()
	runs = e.cycle(t, false)
	require.Zero(t, attachmentRun(t, runs).Requests, "nothing changed: nothing re-read")
	require.Empty(t, e.requestsTo("/api/Attachment"))
}

// A ticket that changed is read again: an attachment deleted in Halo is
// tombstoned, one renamed is updated; a deleted ticket takes its attachments
// along without a request.
func TestAttachmentsReconcile(t *testing.T) {
	e := newEnv(t, halofake.Options{Seed: 92, BulkActions: true}, attachmentTenant)
	e.cycle(t, false)
	ctx := context.Background()
	var gone, ticket, other, renamed int64
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT id, ticket_id FROM halo.attachments ORDER BY id LIMIT 1`).Scan(&gone, &ticket))
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT id FROM halo.attachments WHERE ticket_id = $1 AND id <> $2 ORDER BY id LIMIT 1`, ticket, gone).Scan(&renamed))
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT ticket_id FROM halo.attachments WHERE ticket_id <> $1 ORDER BY id LIMIT 1`, ticket).Scan(&other))

	e.fake.Delete("attachments", gone)
	e.fake.Update("tickets", ticket, map[string]any{"summary": "touched"}) // its last_update moves
	e.fake.Update("attachments", renamed, map[string]any{"filename": "renamed.txt"})
	e.fake.Delete("tickets", other)
	e.fake.ResetRequests()

	runs := e.cycle(t, false)
	ar := attachmentRun(t, runs)
	require.Empty(t, ar.Error)
	require.EqualValues(t, 1, ar.Requests, "only the changed ticket is read")
	require.EqualValues(t, 1, ar.Updated)
	live := liveIDs(t, e.pool, "attachments")
	require.NotContains(t, live, fmt.Sprint(gone))
	var filename string
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT filename FROM halo.attachments WHERE id = $1`, renamed).Scan(&filename))
	require.Equal(t, "renamed.txt", filename)
	want, _ := fakeAttachments(e)
	require.Equal(t, want, live)
	var orphan int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.attachments WHERE ticket_id = $1 AND deleted_at IS NULL`, other).Scan(&orphan))
	require.Zero(t, orphan, "a deleted ticket's attachments are tombstoned")
}

// Rows are read from "attachments" only: the "folders" array beside it is
// always there and holds no files.
func TestAttachmentsIgnoreFolders(t *testing.T) {
	fake := halofake.New(halofake.Options{Seed: 93, BulkActions: true})
	fake.Generate(attachmentTenant)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.URL.Path, "/api/Attachment") {
			fake.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, r)
		var body map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		body["folders"] = []map[string]any{{"id": 990001, "filename": "a folder", "name": "Documents"}}
		var buf bytes.Buffer
		require.NoError(t, json.NewEncoder(&buf).Encode(body))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	e := newEnvFor(t, fake, srv.URL, testdb.New(t))
	e.cycle(t, false)
	want, _ := fakeAttachments(e)
	require.Equal(t, want, liveIDs(t, e.pool, "attachments"))
}

// Attachments that cannot be read (a 403 for an agent without the right)
// fail their own run only: tickets and actions sync, and the tickets stay due.
func TestAttachmentsForbiddenLeavesTicketsSyncing(t *testing.T) {
	e := newEnv(t, halofake.Options{Seed: 94, BulkActions: true}, attachmentTenant)
	e.fake.SetFault(halofake.Faults{Forbidden: map[string]bool{"attachment": true}})
	runs, err := e.puller.Cycle(context.Background(), nil, false)
	require.NoError(t, err)
	require.NotEmpty(t, attachmentRun(t, runs).Error)
	require.Equal(t, fakeIDs(e, "tickets"), sortedLive(t, e, "tickets"))
	require.Empty(t, liveIDs(t, e.pool, "attachments"))

	e.fake.SetFault(halofake.Faults{})
	runs = e.cycle(t, false)
	require.Empty(t, attachmentRun(t, runs).Error)
	want, _ := fakeAttachments(e)
	require.Equal(t, want, liveIDs(t, e.pool, "attachments"), "the tickets still due are read once allowed")
}

func sortedLive(t *testing.T, e *env, table string) []string {
	got := liveIDs(t, e.pool, table)
	sort.Strings(got)
	return got
}

// Reads are stored in batches while the next tickets are read ahead. A ticket whose read fails ends the
// run: the tickets read before it are stored and marked read, and it and every ticket after it (some read
// ahead, not stored) stay due, so the next pull reads exactly those.
func TestAttachmentsFailurePartWay(t *testing.T) {
	fake := halofake.New(halofake.Options{Seed: 95, BulkActions: true})
	fake.Generate(attachmentTenant)
	var failTicket atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.URL.Path, "/api/Attachment") && r.URL.Query().Get("ticket_id") == fmt.Sprint(failTicket.Load()) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":"You do not have permission to access this resource"}`))
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e := newEnvFor(t, fake, srv.URL, testdb.New(t))
	_, tickets := fakeAttachments(e)
	ids := make([]int64, 0, len(tickets))
	for id := range tickets {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	require.Greater(t, len(ids), 5)
	failTicket.Store(ids[4]) // due tickets are read in id order

	runs, err := e.puller.Cycle(context.Background(), nil, false)
	require.NoError(t, err)
	require.Contains(t, attachmentRun(t, runs).Error, fmt.Sprint(ids[4]))
	var stored []int64
	rows, err := e.pool.Query(context.Background(), `SELECT ticket_id FROM halosync.attachment_reads ORDER BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		stored = append(stored, id)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, ids[:4], stored, "the reads before the failure are kept, none after it")

	failTicket.Store(0)
	e.fake.ResetRequests()
	runs = e.cycle(t, false)
	require.Empty(t, attachmentRun(t, runs).Error)
	require.Len(t, e.requestsTo("/api/Attachment"), len(ids)-4, "only the tickets not stored are read again")
	want, _ := fakeAttachments(e)
	require.Equal(t, want, liveIDs(t, e.pool, "attachments"))
}
