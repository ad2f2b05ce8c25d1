package halofake

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// /Projects and /Opportunities are the ticket table: unfiltered they answer what /Tickets answers; domain,
// itil_requesttype and parent_id narrow.
func TestProjectsAndOpportunitiesAreTickets(t *testing.T) {
	f := startFake(t, Options{})
	q := "?pageinate=true&page_size=100&page_no=1"
	tickets := f.get(t, "/api/Tickets"+q).json(t)
	for _, p := range []string{"/api/Projects", "/api/Opportunities"} {
		m := f.get(t, p+q).json(t)
		require.Equal(t, tickets["record_count"], m["record_count"], p)
		require.Equal(t, ids(rows(t, tickets, "tickets")), ids(rows(t, m, "tickets")), p)
	}

	projects := rows(t, f.get(t, "/api/Projects"+q+"&domain=prjs").json(t), "tickets")
	require.NotEmpty(t, projects)
	var project map[string]any
	for _, r := range projects {
		require.Contains(t, []float64{itilProject, itilTask}, r["itil_requesttype_id"])
		if r["itil_requesttype_id"] == float64(itilProject) {
			require.EqualValues(t, 0, r["parent_id"])
			require.Equal(t, true, r["is_project"])
			require.Contains(t, r, "projecttimebudget")
			project = r
		}
	}
	// django-psa reads a project's tasks with itil_requesttype=23&parent_id=N.
	var withTasks int
	for _, r := range projects {
		if r["itil_requesttype_id"] != float64(itilProject) {
			continue
		}
		tasks := rows(t, f.get(t, fmt.Sprintf("/api/Tickets%s&itil_requesttype=23&parent_id=%v", q, r["id"])).json(t), "tickets")
		for _, task := range tasks {
			require.Equal(t, r["id"], task["parent_id"])
			require.EqualValues(t, itilTask, task["itil_requesttype_id"])
		}
		if len(tasks) > 0 {
			withTasks++
		}
	}
	require.Positive(t, withTasks, "some projects have tasks")
	require.NotNil(t, project)

	opps := rows(t, f.get(t, "/api/Opportunities"+q+"&domain=opps").json(t), "tickets")
	require.NotEmpty(t, opps)
	for _, r := range opps {
		require.Equal(t, true, r["is_opportunity"])
		require.EqualValues(t, ttOpportunity, r["tickettype_id"])
		require.Contains(t, r, "oppvalue")
	}
	for _, r := range rows(t, f.get(t, "/api/Tickets"+q+"&domain=reqs").json(t), "tickets") {
		require.Equal(t, false, r["is_opportunity"])
		require.Equal(t, false, r["is_project"])
	}

	// Faults_List lacks is_opportunity and is_project.
	p := startFake(t, Options{PublishedListRows: true})
	r := rows(t, p.get(t, "/api/Opportunities"+q+"&domain=opps").json(t), "tickets")[0]
	require.NotContains(t, r, "is_opportunity")
	require.Contains(t, r, "oppvalue")
	require.Contains(t, p.get(t, fmt.Sprintf("/api/Tickets/%v", r["id"])).json(t), "is_opportunity")
}

func TestNoSalesModuleForbidsOpportunities(t *testing.T) {
	f := startFake(t, Options{NoSalesModule: true})
	r := f.get(t, "/api/Opportunities?pageinate=true")
	require.Equal(t, http.StatusForbidden, r.status)
	require.Empty(t, r.body)
	require.Equal(t, http.StatusForbidden, f.post(t, "/api/Opportunities", `[{"summary":"x"}]`).status)
	require.Equal(t, http.StatusOK, f.get(t, "/api/Projects?pageinate=true").status)

	// The Forbidden fault names a path too: /Projects refused while /Tickets answers.
	g := startFake(t, Options{})
	g.SetFault(Faults{Forbidden: map[string]bool{"projects": true}})
	require.Equal(t, http.StatusForbidden, g.get(t, "/api/Projects?pageinate=true").status)
	require.Equal(t, http.StatusOK, g.get(t, "/api/Tickets?pageinate=true").status)
}

func TestCreateProjectAndOpportunity(t *testing.T) {
	f := startFake(t, Options{})
	r := f.post(t, "/api/Projects", `[{"summary":"Office move","projecttimebudget":40}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	proj := r.json(t)
	require.EqualValues(t, itilProject, proj["itil_requesttype_id"])
	require.Equal(t, true, proj["is_project"])
	require.EqualValues(t, 40, proj["projecttimebudget"])

	r = f.post(t, "/api/Projects", fmt.Sprintf(`[{"summary":"Move desks","itil_requesttype_id":23,"parent_id":%v}]`, proj["id"]))
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	tasks := rows(t, f.get(t, fmt.Sprintf("/api/Projects?pageinate=true&itil_requesttype=23&parent_id=%v", proj["id"])).json(t), "tickets")
	require.Len(t, tasks, 1)

	r = f.post(t, "/api/Opportunities", `[{"summary":"Firewall upgrade","oppvalue":12000}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	opp := r.json(t)
	require.Equal(t, true, opp["is_opportunity"])
	require.EqualValues(t, ttOpportunity, opp["tickettype_id"])
	require.EqualValues(t, 12000, opp["oppvalue"])
	require.Equal(t, http.StatusOK, f.do(t, http.MethodDelete, fmt.Sprintf("/api/Opportunities/%v", opp["id"]), f.tok, "", nil).status)
	m := f.get(t, "/api/Tickets?deleted=true&pageinate=true&page_size=100").json(t)
	require.Contains(t, ids(rows(t, m, "tickets")), int64(opp["id"].(float64)), "opportunities are soft-deleted tickets")
}
