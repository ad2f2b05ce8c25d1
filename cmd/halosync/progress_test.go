package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	hsync "github.com/halosync/halosync/sync"
)

func TestProgressETA(t *testing.T) {
	p := &progress{perSec: 1} // a budget of one request per second
	now := time.Now()
	// 1000 rows left at 100 rows per request: 10 requests, 10 s at the budget.
	ev := hsync.Progress{Entity: "tickets", Fetched: 1000, Total: 2000, Requests: 10, Started: now.Add(-time.Millisecond)}
	require.InDelta(t, 10, p.eta(ev).Seconds(), 0.5)
	// Assets come 50 to a page: 20 requests.
	ev.Requests = 20
	require.InDelta(t, 20, p.eta(ev).Seconds(), 0.5)
	// Actions read per ticket: one ticket per request.
	ev = hsync.Progress{Entity: "actions", Fetched: 10, Total: 40, Requests: 10, Started: now.Add(-time.Millisecond)}
	require.InDelta(t, 30, p.eta(ev).Seconds(), 0.5)
	// A pull slower than the budget: its own speed (10 rows/s) decides.
	ev = hsync.Progress{Entity: "clients", Fetched: 100, Total: 200, Requests: 1, Started: now.Add(-10 * time.Second)}
	require.InDelta(t, 10, p.eta(ev).Seconds(), 0.5)
	// Done, or no total yet: no ETA.
	require.Zero(t, p.eta(hsync.Progress{Fetched: 5, Total: 5}))
}

// On a terminal the bar follows one entity; another pulled at the same time (sync --once pulls several at
// once) gets one line when it is done instead of a bar that would take the first one's place.
func TestProgressBarKeepsToOneEntity(t *testing.T) {
	out, err := os.CreateTemp(t.TempDir(), "progress")
	require.NoError(t, err)
	defer out.Close()
	p := &progress{out: out, tty: true}
	started := time.Now()
	p.update(hsync.Progress{Entity: "tickets", Fetched: 100, Total: 1000, Requests: 1, Started: started})
	p.update(hsync.Progress{Entity: "clients", Fetched: 50, Total: 500, Requests: 1, Started: started})
	require.Equal(t, "tickets", p.entity, "the bar stays on the entity it started with")
	p.update(hsync.Progress{Entity: "clients", Fetched: 500, Total: 500, Requests: 5, Started: started, Done: true})
	require.Equal(t, "tickets", p.entity)
	p.update(hsync.Progress{Entity: "tickets", Fetched: 1000, Total: 1000, Requests: 10, Started: started, Done: true})
	require.Nil(t, p.bar)
	p.finish()
	b, err := os.ReadFile(out.Name())
	require.NoError(t, err)
	require.Contains(t, string(b), "clients      500 rows, 5 req, done\n")
	require.Contains(t, string(b), "tickets")
}
