package sync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/internal/testdb"
)

// instanceRequests counts GET /api/InstanceInfo requests the fake answered or refused.
func (e *env) instanceRequests() int {
	n := 0
	for _, r := range e.fake.Requests() {
		if strings.EqualFold(r.Path, "/api/InstanceInfo") {
			n++
		}
	}
	return n
}

// runVersion reads the Halo version a ledger row recorded ("" for NULL).
func (e *env) runVersion(t *testing.T, runID int64) string {
	t.Helper()
	var v *string
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT halo_version FROM halosync.runs WHERE id = $1`, runID).Scan(&v))
	if v == nil {
		return ""
	}
	return *v
}

// Issue 18: every run records the Halo version it was synced from; the version
// is read at most hourly (one request, counted in the run that asked), and an
// upgrade shows up as a new row of halo.instance_info, the old one kept.
func TestInstanceVersionRecordedPerRun(t *testing.T) {
	e := newEnv(t, halofake.Options{Seed: 61}, halofake.Size{Clients: 3, Sites: 3, Users: 3, Agents: 2})
	ctx := context.Background()

	first := e.pull(t, "statuses", false)
	require.Equal(t, 1, e.instanceRequests())
	v1 := e.runVersion(t, first.ID)
	require.NotEmpty(t, v1, "the run records Halo's app_version")
	require.Equal(t, int64(2), first.Requests, "the run paid for its list and the version read")

	second := e.pull(t, "clients", false)
	require.Equal(t, 1, e.instanceRequests(), "read at most once an hour")
	require.Equal(t, v1, e.runVersion(t, second.ID))

	// An upgrade an hour later: the next pull reads the new version.
	e.fake.SetAppVersion("2.240.7")
	_, err := e.pool.Exec(ctx, `UPDATE halosync.instance_versions SET last_seen_at = last_seen_at - interval '61 minutes'`)
	require.NoError(t, err)
	third := e.pull(t, "statuses", false)
	require.Equal(t, 2, e.instanceRequests())
	require.Equal(t, "2.240.7", e.runVersion(t, third.ID))

	rows, err := e.pool.Query(ctx, `SELECT app_version FROM halo.instance_info ORDER BY first_seen_at`)
	require.NoError(t, err)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{v1, "2.240.7"}, versions, "the version history")
}

// A tenant that refuses /InstanceInfo still syncs: the runs record no
// version, and the refused read is not repeated by every pull.
func TestInstanceVersionRefusedLeavesPullsAlone(t *testing.T) {
	fake := halofake.New(halofake.Options{Seed: 62})
	fake.Generate(halofake.Size{Clients: 3, Sites: 3, Users: 3, Agents: 2})
	var refused atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.URL.Path, "/api/InstanceInfo") {
			refused.Add(1)
			w.WriteHeader(http.StatusForbidden) // Halo's 403s come with empty bodies
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e := newEnvFor(t, fake, srv.URL, testdb.New(t))
	first := e.pull(t, "statuses", false)
	require.Empty(t, first.Error)
	require.Empty(t, e.runVersion(t, first.ID))
	require.EqualValues(t, 1, refused.Load())
	for _, entity := range []string{"clients", "sites", "statuses"} {
		run := e.pull(t, entity, false)
		require.Empty(t, run.Error)
	}
	require.EqualValues(t, 1, refused.Load(), "a refused read waits an hour")
	require.Equal(t, fakeIDs(e, "clients"), liveIDs(t, e.pool, "clients"))
}
