package converge

import (
	"maps"
	"os"
	"regexp"
	"slices"
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

// knownIssues: the push-path divergences it held before (push-unreadable-record,
// push-own-action-moves-clock, push-action-conflict-time, push-action-dated-by-own-ticket-push) are fixed
// and in regressions.
var knownIssues = []knownIssue{}

// pushRef finds the pushes an error is about: "push tickets 4 (update, outbox 911)".
var pushRef = regexp.MustCompile(`push (\w+) (\S+) \(`)

// strict counts known issues as divergences.
var strict = os.Getenv("CONVERGE_STRICT") != ""

// triage moves the divergences that are known issues from r.Divergences to r.Known.
func (r *Result) triage(m *model) {
	if strict {
		return
	}
	var keep []string
	stuck := map[string]bool{} // "entity key " of the pushes known divergences are about
	for _, d := range r.Divergences {
		known := false
		for _, k := range knownIssues {
			if k.match(m, d) {
				r.Known = append(r.Known, k.id+": "+d)
				known = true
				for _, g := range pushRef.FindAllStringSubmatch(d, -1) {
					stuck[g[1]+" "+g[2]+" "] = true
				}
				break
			}
		}
		if !known {
			keep = append(keep, d)
		}
	}
	// The same stuck pushes, listed as left open.
	r.Divergences = keep[:0]
	for _, d := range keep {
		known := false
		if f := strings.Fields(d); len(f) > 2 && strings.HasSuffix(d, ": live in the mirror, not in Halo") &&
			stuck[f[0]+" "+strings.TrimSuffix(f[1], ":")+" "] {
			known = true // the temporary row of a stuck create
		} else if strings.HasPrefix(d, "one more sync left pushes open: ") {
			known = true
			for _, p := range strings.Split(strings.TrimPrefix(d, "one more sync left pushes open: "), "; ") {
				if !slices.ContainsFunc(slices.Collect(maps.Keys(stuck)), func(k string) bool { return strings.HasPrefix(p, k) }) {
					known = false
					break
				}
			}
		}
		if known {
			r.Known = append(r.Known, "stuck push: "+d)
			continue
		}
		r.Divergences = append(r.Divergences, d)
	}
}
