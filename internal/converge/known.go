package converge

import (
	"os"
	"strings"
)

// knownIssue is a divergence this checker found in code that another issue of the round is rewriting (the
// push path: issue 15). Until that lands it is tolerated — reported in Result.Known, not counted as a
// divergence — so that CI stays green; CONVERGE_STRICT=1 counts it. Remove the entry with the fix and turn
// its seed into a regression test (see regress_test.go).
type knownIssue struct {
	id    string
	what  string
	match func(m *model, div string) bool
}

var knownIssues = []knownIssue{
	{
		id: "push-unreadable-record",
		what: "issue 15: a local edit of a record Halo serves unreadable (an id of the wrong type, a NUL byte) is " +
			"retried forever, never parked with the reason (seeds 10, 71)",
		match: func(m *model, div string) bool {
			if !strings.Contains(div, "decoding") && !strings.Contains(div, "storing Halo's") &&
				!strings.Contains(div, "pushes open") {
				return false
			}
			for k := range m.bad {
				entity, key, _ := strings.Cut(k, " ")
				if strings.Contains(div, entity+" "+key+" ") || strings.Contains(div, "push "+entity+" "+key) {
					return true
				}
			}
			return false
		},
	},
}

// strict counts known issues as divergences.
var strict = os.Getenv("CONVERGE_STRICT") != ""

// triage moves the divergences that are known issues from r.Divergences to r.Known.
func (r *Result) triage(m *model) {
	if strict {
		return
	}
	var keep []string
	for _, d := range r.Divergences {
		known := false
		for _, k := range knownIssues {
			if k.match(m, d) {
				r.Known = append(r.Known, k.id+": "+d)
				known = true
				break
			}
		}
		if !known {
			keep = append(keep, d)
		}
	}
	r.Divergences = keep
}
