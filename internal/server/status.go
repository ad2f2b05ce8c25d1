package server

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/store"
)

// This file serves GET /status: what an operator wants at a glance, drawn on the server (html/template
// and inline SVG, no script, no front-end build) from the database, so every replica shows the whole
// deployment. It is protected like the River UI (the Host check; admin basic auth, without a password
// only on a loopback address).

// StatusConfig is what the status page needs besides the database.
type StatusConfig struct {
	// Entities are listed in this order (entities found in the database follow).
	Entities []string
	// Interval is how often an entity is pulled; lag is judged against it (three intervals is late).
	Interval func(entity string) time.Duration
	// Budget is the halosync.rate_budget row ("halo" when empty).
	Budget string
	// JobTag maps an entity to the River job tag its jobs carry (for links into the River UI); nil or ""
	// links to the pull jobs of every entity.
	JobTag func(entity string) string
	// JobKinds are the job kinds an entity's River UI link filters on.
	JobKinds []string
}

//go:embed status.html
var statusHTML string

var statusTmpl = template.Must(template.New("status").Parse(statusHTML))

// statusPage is the template's data.
type statusPage struct {
	At        time.Time
	Entities  []entityCard
	Budget    *budgetView
	Endpoints []endpointView
	Healthy   int // endpoints with a closed breaker and nothing to report
	Pushes    map[string]int64
	Jobs      []jobCount
	RiverUI   bool
}

type entityCard struct {
	Entity    string
	Lag       string // "never" before the first successful pull
	Health    string // ok; late: over 1.5 intervals; bad: over three intervals (the alert) or never pulled
	Interval  string
	Spark     sparkline
	Rows      int64
	LastRun   *store.Run
	LastRunAt string
	LastError string
	Rejects   int64
	Conflicts int64
	Parked    int64
	Pending   int64
	JobsURL   string
}

var healthRank = map[string]int{"bad": 0, "late": 1, "ok": 2}

type budgetView struct {
	Chart    budgetChart
	InWindow int
	Limit    int
	Window   string
	Percent  int
	Blocked  string // "until 12:04:05" while a 429 block lasts
	Total429 int64
}

type endpointView struct {
	store.EndpointHealth
	Hint string
}

type jobCount struct {
	State string
	N     int64
	URL   string
}

// mountStatus registers /status on mux with the River UI's protection.
func (s *Server) mountStatus(mux *http.ServeMux) {
	if !s.riverUI {
		mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "status page not served: set HALOSYNC_ADMIN_PASSWORD (it is served without one only on a loopback HALOSYNC_HTTP_ADDR)", http.StatusNotFound)
		})
		return
	}
	var h http.Handler = http.HandlerFunc(s.status)
	if s.cfg.AdminPassword != "" {
		h = s.requireAdmin(h)
	}
	// GET only, so cross-origin writes are moot; the Host check keeps a DNS-rebinding page from reading it
	// off a loopback worker served without a password.
	mux.Handle("GET /status", s.checkHost(h))
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	page, err := s.loadStatus(ctx, time.Now())
	if err != nil {
		s.log.Error("status page", "err", err)
		http.Error(w, "status unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	var buf bytes.Buffer
	if err := statusTmpl.Execute(&buf, page); err != nil {
		s.log.Error("status page template", "err", err)
		http.Error(w, "status page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Nothing on the page needs a script or a foreign origin.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
	_, _ = w.Write(buf.Bytes())
}

// loadStatus reads everything the page shows, in one read-only snapshot.
func (s *Server) loadStatus(ctx context.Context, now time.Time) (*statusPage, error) {
	sc := s.cfg.Status
	budgetName := sc.Budget
	if budgetName == "" {
		budgetName = "halo"
	}
	interval := sc.Interval
	if interval == nil {
		interval = func(string) time.Duration { return time.Hour }
	}
	tx, err := s.cfg.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	st := s.store

	states, err := st.ListStates(ctx, tx)
	if err != nil {
		return nil, err
	}
	rejects, err := st.RejectCounts(ctx, tx)
	if err != nil {
		return nil, err
	}
	conflicts, err := st.OpenConflictCounts(ctx, tx)
	if err != nil {
		return nil, err
	}
	pushes, err := st.OpenPushCounts(ctx, tx)
	if err != nil {
		return nil, err
	}
	entities := slices.Clone(sc.Entities)
	var extra []string
	for e := range states {
		if !slices.Contains(entities, e) {
			extra = append(extra, e)
		}
	}
	sort.Strings(extra)
	entities = append(entities, extra...)
	latest, err := st.LatestRuns(ctx, tx, entities)
	if err != nil {
		return nil, err
	}
	successes, err := st.SuccessfulPulls(ctx, tx, entities, now.Add(-sparkSpan))
	if err != nil {
		return nil, err
	}
	page := &statusPage{At: now, RiverUI: s.riverUI, Pushes: map[string]int64{}}

	for _, e := range entities {
		iv := interval(e)
		c := entityCard{Entity: e, Interval: human(iv), Lag: "never", Health: "bad", Rejects: rejects[e],
			Conflicts: conflicts[e], Parked: pushes[e]["parked"], Pending: pushes[e]["pending"] + pushes[e]["sending"]}
		if state := states[e]; state != nil {
			c.Rows = state.Rows
			if state.LastError != nil {
				c.LastError = *state.LastError
			}
			if lag := store.Lag(state, now); lag != nil {
				c.Lag = human(*lag)
				switch {
				case *lag > 3*iv:
					c.Health = "bad"
				case *lag > iv+iv/2:
					c.Health = "late"
				default:
					c.Health = "ok"
				}
			}
		}
		if run, ok := latest[e]; ok {
			c.LastRun = &run
			c.LastRunAt = human(now.Sub(run.StartedAt)) + " ago"
		}
		c.Spark = drawSparkline(lagSeries(successes[e], now, sparkSpan, sparkStep), iv)
		c.JobsURL = s.entityJobsURL(e)
		page.Entities = append(page.Entities, c)
	}
	// Problems first (a phone shows one card at a time), the configured order within each group.
	sort.SliceStable(page.Entities, func(i, j int) bool {
		return healthRank[page.Entities[i].Health] < healthRank[page.Entities[j].Health]
	})
	for _, byState := range pushes {
		for state, n := range byState {
			page.Pushes[state] += n
		}
	}

	if b, err := st.GetBudget(ctx, budgetName); err == nil {
		minutes, err := st.BudgetMinutes(ctx, tx, budgetName, now.Add(-budgetMinutes*time.Minute))
		if err != nil {
			return nil, err
		}
		v := &budgetView{Chart: drawBudget(minutes, b.Limit, b.Window, now), InWindow: b.InWindow, Limit: b.Limit,
			Window: human(b.Window), Total429: b.RateLimited}
		if b.Limit > 0 {
			v.Percent = b.InWindow * 100 / b.Limit
		}
		if b.BlockedUntil != nil && b.BlockedUntil.After(now) {
			v.Blocked = "until " + b.BlockedUntil.Local().Format("15:04:05")
		}
		page.Budget = v
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	} // no budget row: no process has talked to Halo yet

	health, err := st.ListHealth(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, h := range health {
		if h.BreakerState == "closed" && h.LastError == nil && h.RateLimited == 0 {
			page.Healthy++
			continue
		}
		v := endpointView{EndpointHealth: h}
		if h.FixHint != nil {
			v.Hint = *h.FixHint
		}
		page.Endpoints = append(page.Endpoints, v)
	}

	depth, err := st.QueueDepth(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, state := range []string{"running", "available", "scheduled", "retryable", "discarded", "cancelled", "completed"} {
		page.Jobs = append(page.Jobs, jobCount{State: state, N: depth[state],
			URL: "/riverui/jobs/?" + url.Values{"state": {state}}.Encode()})
	}
	return page, nil
}

// entityJobsURL links to the River UI's list of the entity's completed jobs.
func (s *Server) entityJobsURL(entity string) string {
	q := url.Values{"state": {"completed"}}
	if kinds := s.cfg.Status.JobKinds; len(kinds) > 0 {
		q.Set("kind", strings.Join(kinds, ","))
	}
	if s.cfg.Status.JobTag != nil {
		if tag := s.cfg.Status.JobTag(entity); tag != "" {
			q.Set("tags", tag)
		}
	}
	return "/riverui/jobs/?" + q.Encode()
}
