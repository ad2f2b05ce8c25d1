package halofake

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The configuration lookups are bare arrays that ignore count and paging; /TopLevel pages in tree;
// /InstanceInfo is one object.
func TestConfigLookups(t *testing.T) {
	f := startFake(t, Options{})
	for path, n := range map[string]int{"/api/Organisation": 1, "/api/SLA": 2, "/api/Category": len(categoryDefs),
		"/api/Outcome": len(outcomes), "/api/FieldInfo": len(cfDefs) + len(systemFields)} {
		r := f.get(t, path+"?pageinate=true&page_size=1&page_no=1&count=1")
		require.Equal(t, http.StatusOK, r.status, path)
		require.Equal(t, byte('['), r.body[0], path)
		require.Len(t, r.array(t), n, path)
	}
	out := f.get(t, "/api/Outcome?showhidden=true").array(t)
	require.Len(t, out, len(outcomes)+1)
	for i, v := range out[:len(outcomes)] {
		o := v.(map[string]any)
		require.EqualValues(t, i+1, o["id"], "outcome id = an action's outcome_id")
		require.Equal(t, outcomes[i], o["outcome"])
	}
	sla := f.get(t, "/api/SLA?showpriorities=true").array(t)[0].(map[string]any)
	require.Len(t, sla["priorities"], 4)
	require.Equal(t, http.StatusBadRequest, f.post(t, "/api/SLA", `[{"name":"Silver"}]`).status)
	require.Equal(t, http.StatusCreated, f.post(t, "/api/SLA", `[{"name":"Silver","priorities":[{"name":"P1"}]}]`).status)
	for _, v := range f.get(t, "/api/Category?type_id=2").array(t) {
		require.EqualValues(t, 2, v.(map[string]any)["type_id"])
	}

	m := f.get(t, "/api/TopLevel?pageinate=true&page_size=2&page_no=1").json(t)
	require.EqualValues(t, 3, m["record_count"])
	tree := rows(t, m, "tree")
	require.Len(t, tree, 2)
	require.Contains(t, tree[0], "customfields")
	require.Len(t, rows(t, f.get(t, "/api/TopLevel?count=1").json(t), "tree"), 1, "count honoured")
	// Clients point at the tree by toplevel_id, with its name.
	names := map[float64]string{}
	for _, r := range rows(t, f.get(t, "/api/TopLevel").json(t), "tree") {
		names[r["id"].(float64)] = r["name"].(string)
	}
	for _, c := range f.Records("clients") {
		require.Equal(t, names[c["toplevel_id"].(float64)], c["toplevel_name"])
	}
	p := startFake(t, Options{PublishedListRows: true})
	require.NotContains(t, rows(t, p.get(t, "/api/TopLevel").json(t), "tree")[0], "customfields", "Tree_List lacks it")

	info := f.get(t, "/api/InstanceInfo").json(t)
	require.Equal(t, defaultAppVersion, info["app_version"])
	f.SetAppVersion("2.240.1")
	require.Equal(t, "2.240.1", f.get(t, "/api/InstanceInfo").json(t)["app_version"])
}
