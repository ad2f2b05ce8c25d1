// Package deploy holds the files operators deploy next to halosync; its tests check the Prometheus alert
// rules with promtool (syntax and unit tests of every alert) and the Grafana dashboard's queries.
// That their metric names are the ones the worker exports is checked against a real scrape in
// cmd/halosync (TestStatusPageInBrowser).
package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// promtool finds promtool, installing Debian's prometheus package when it is missing
// (deploy/local/tools.sh, as `make test` does). A missing tool fails the test; it never skips.
func promtool(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join("local", "tools.sh"), "promtool")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), "deploy/local/tools.sh promtool:\n%s", errOut.String())
	f := strings.Fields(out.String())
	require.NotEmpty(t, f)
	return f[len(f)-1]
}

func run(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", filepath.Base(bin), strings.Join(args, " "), out)
	return string(out)
}

// TestAlertRules: the rules load (promtool check rules) and their unit tests pass (promtool test rules).
func TestAlertRules(t *testing.T) {
	pt := promtool(t)
	require.Contains(t, run(t, "prometheus", pt, "check", "rules", "alerts.yaml"), "SUCCESS")
	require.Contains(t, run(t, "prometheus", pt, "test", "rules", "alerts_test.yaml"), "SUCCESS")
}

var (
	alertDef  = regexp.MustCompile(`(?m)^\s*- alert: (\w+)\s*$`)
	alertTest = regexp.MustCompile(`(?m)^\s*alertname: (\w+)\n\s*exp_alerts:\n\s*- exp_labels:`)
)

// TestEveryAlertHasAFiringTest: each alert of alerts.yaml has at least one unit test where it fires.
func TestEveryAlertHasAFiringTest(t *testing.T) {
	rules, err := os.ReadFile(filepath.Join("prometheus", "alerts.yaml"))
	require.NoError(t, err)
	tests, err := os.ReadFile(filepath.Join("prometheus", "alerts_test.yaml"))
	require.NoError(t, err)
	fires := map[string]bool{}
	for _, m := range alertTest.FindAllStringSubmatch(string(tests), -1) {
		fires[m[1]] = true
	}
	defs := alertDef.FindAllStringSubmatch(string(rules), -1)
	require.NotEmpty(t, defs)
	for _, m := range defs {
		require.True(t, fires[m[1]], "alert %s has no unit test in which it fires", m[1])
	}
}

// TestGrafanaDashboard: the dashboard is importable JSON whose panels all query the chosen Prometheus
// data source with valid PromQL (checked by promtool as recording rules, Grafana's interval variables
// replaced).
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("grafana", "halosync.json"))
	require.NoError(t, err)
	var dash struct {
		UID        string `json:"uid"`
		Title      string `json:"title"`
		Templating struct {
			List []struct {
				Name, Type, Query string
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int    `json:"id"`
			Title      string `json:"title"`
			Datasource struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(b, &dash))
	require.Equal(t, "halosync", dash.UID)
	require.Len(t, dash.Templating.List, 1)
	require.Equal(t, "datasource", dash.Templating.List[0].Type)
	require.Equal(t, "prometheus", dash.Templating.List[0].Query)

	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		require.False(t, ids[p.ID], "panel id %d repeated", p.ID)
		ids[p.ID] = true
		require.Equal(t, "${datasource}", p.Datasource.UID, "panel %q", p.Title)
		require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
		for i, tg := range p.Targets {
			require.NotEmpty(t, tg.Expr, "panel %q", p.Title)
			expr := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m").Replace(tg.Expr)
			q, _ := json.Marshal(expr) // a JSON string is a YAML string
			fmt.Fprintf(&rules, "      - record: panel_%d_%d\n        expr: %s\n", p.ID, i, q)
		}
	}
	f := filepath.Join(t.TempDir(), "dashboard_rules.yaml")
	require.NoError(t, os.WriteFile(f, []byte(rules.String()), 0o644))
	require.Contains(t, run(t, ".", promtool(t), "check", "rules", f), "SUCCESS")
}
