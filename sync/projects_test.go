package sync_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
)

var areaTenant = halofake.Size{Clients: 5, Sites: 5, Users: 10, Agents: 4, Tickets: 400, ActionsPerTicket: 1}

// viewIDs lists the ids a halo view shows.
func viewIDs(t *testing.T, e *env, view string) []string {
	t.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT id::text FROM halo.`+view+` ORDER BY 1`)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	sort.Strings(ids)
	return ids
}

// fakeAreas sorts the fake's live tickets into projects, project tasks and
// opportunities, by the fields of their full records.
func fakeAreas(e *env) (projects, tasks, opps []string) {
	projects, tasks, opps = []string{}, []string{}, []string{}
	isProject := map[any]bool{}
	recs := e.fake.Records("tickets")
	for _, r := range recs {
		if r["deleted"] != true && num(r["itil_requesttype_id"]) == int64(22) && num(r["parent_id"]) == int64(0) {
			isProject[num(r["id"])] = true
			projects = append(projects, fmt.Sprint(num(r["id"])))
		}
	}
	for _, r := range recs {
		if r["deleted"] == true {
			continue
		}
		if num(r["itil_requesttype_id"]) == int64(23) || isProject[num(r["parent_id"])] {
			tasks = append(tasks, fmt.Sprint(num(r["id"])))
		}
		if r["is_opportunity"] == true {
			opps = append(opps, fmt.Sprint(num(r["id"])))
		}
	}
	sort.Strings(projects)
	sort.Strings(tasks)
	sort.Strings(opps)
	return projects, tasks, opps
}

// Issue 18: projects and opportunities are tickets. The normal ticket walk
// brings them (no call to /api/Projects or /api/Opportunities, which answers
// 403 without the Sales module), each stored once in halo.tickets; the views
// find them from what list rows carry (published list rows have no
// is_project / is_opportunity: the request type and the ticket type's use).
func TestProjectsAndOpportunitiesAreTickets(t *testing.T) {
	e := newEnv(t, halofake.Options{Seed: 71, BulkActions: true, PublishedListRows: true, NoSalesModule: true}, areaTenant)
	runs := e.cycle(t, false)
	for _, r := range runs {
		require.Empty(t, r.Error, r.Entity)
	}
	projects, tasks, opps := fakeAreas(e)
	require.NotEmpty(t, projects)
	require.NotEmpty(t, tasks)
	require.NotEmpty(t, opps)
	require.Equal(t, projects, viewIDs(t, e, "projects"))
	require.Equal(t, tasks, viewIDs(t, e, "project_tasks"))
	require.Equal(t, opps, viewIDs(t, e, "opportunities"))
	require.Empty(t, e.requestsTo("/api/Opportunities"))
	require.Empty(t, e.requestsTo("/api/Projects"))

	ctx := context.Background()
	var flagged int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.tickets WHERE raw ? 'is_opportunity' OR raw ? 'is_project'`).Scan(&flagged))
	require.Zero(t, flagged, "found without the flags list rows do not carry")

	// Their figures are typed columns of halo.tickets, as Halo sends them.
	var budget, value *float64
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT projecttimebudget FROM halo.projects ORDER BY id LIMIT 1`).Scan(&budget))
	require.NotNil(t, budget)
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT oppvalue FROM halo.opportunities ORDER BY id LIMIT 1`).Scan(&value))
	require.NotNil(t, value)
	var parents int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM halo.project_tasks pt JOIN halo.projects p ON p.id = pt.parent_id`).Scan(&parents))
	require.Positive(t, parents, "tasks join their project")
}
