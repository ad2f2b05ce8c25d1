package main

import (
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
