package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// statusReport is `halosync status` (and its --json form).
type statusReport struct {
	At        time.Time        `json:"at"`
	Entities  []entityStatus   `json:"entities"`
	Endpoints []endpointStatus `json:"endpoints"`
	// Pushes counts open outbox rows by state (pending, sending, parked); nil when push is not installed.
	Pushes        map[string]int64 `json:"pushes"`
	OpenConflicts int64            `json:"open_conflicts"`
	Rejects       int64            `json:"rejects"`
	// Jobs counts River's jobs by state.
	Jobs map[string]int64 `json:"jobs"`
}

type entityStatus struct {
	Entity        string     `json:"entity"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastPullAt    *time.Time `json:"last_pull_at"`
	LastFullAt    *time.Time `json:"last_full_at"`
	Cursor        *time.Time `json:"cursor"`
	// LagSeconds is the time since the last successful pull: how far the mirror may be behind Halo.
	LagSeconds    *float64 `json:"lag_seconds"`
	Rows          int64    `json:"rows"`
	LastError     *string  `json:"last_error"`
	PendingPushes int64    `json:"pending_pushes"`
	ParkedPushes  int64    `json:"parked_pushes"`
	OpenConflicts int64    `json:"open_conflicts"`
	Rejects       int64    `json:"rejects"`
}

type endpointStatus struct {
	Endpoint    string     `json:"endpoint"`
	State       string     `json:"breaker_state"`
	LastStatus  *int64     `json:"last_status"`
	LastError   *string    `json:"last_error"`
	LastErrorAt *time.Time `json:"last_error_at"`
	Count429    int64      `json:"rate_limited"`
	Snoozes     int64      `json:"snoozes"`
	OpenUntil   *time.Time `json:"open_until"`
	FixHint     *string    `json:"fix_hint"`
}

// statusEntities is every entity status reports, in pull order (an entity read under a parent, such as
// actions, right after its parent).
func statusEntities() []string { return entity.Names(entity.All()) }

func newStatusCmd() *cobra.Command {
	var (
		asJSON, watching bool
		every            time.Duration
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the sync state: per entity freshness, rows and errors; Halo endpoint health; pushes, conflicts, rejects; job queue",
		Long: "Show what halosync is doing, from the database (works from any machine that reaches it):\n" +
			"per entity the last successful pull, cursor, lag (time since the last successful pull), rows, last\n" +
			"error, pending and parked pushes, open conflicts and rejects; the circuit breaker of each Halo\n" +
			"endpoint with its 429s and snoozes; River's jobs by state. --watch refreshes it every --interval\n" +
			"until Ctrl-C, redrawn in place on a terminal (with --json: one object per refresh).",
		Example: "  halosync status\n  halosync status --watch\n  halosync status --json | jq '.entities[] | select(.last_error != null)'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := openOps(ctx)
			if err != nil {
				return err
			}
			defer a.close()
			render := func(ctx context.Context, w io.Writer) error {
				rep, err := buildStatus(ctx, a.store)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(w, rep)
				}
				return printStatus(w, rep)
			}
			if !watching {
				return render(ctx, cmd.OutOrStdout())
			}
			if every < time.Second {
				return fmt.Errorf("--interval %s: expected at least 1s", every)
			}
			out := cmd.OutOrStdout()
			f, isFile := out.(*os.File)
			return watch(ctx, out, isFile && isTerminal(f) && !asJSON, every, render)
		},
	}
	addJSONFlag(cmd, &asJSON)
	cmd.Flags().BoolVarP(&watching, "watch", "w", false, "refresh until Ctrl-C (in place on a terminal)")
	cmd.Flags().DurationVar(&every, "interval", 5*time.Second, "refresh interval of --watch")
	return cmd
}

func buildStatus(ctx context.Context, st *store.Store) (*statusReport, error) {
	q := st.Pool
	now := time.Now()
	rep := &statusReport{At: now}
	states, err := st.ListStates(ctx, q)
	if err != nil {
		return nil, err
	}
	rejects, err := st.RejectCounts(ctx, q)
	if err != nil {
		return nil, err
	}
	pushes, err := st.OpenPushCounts(ctx, q)
	if err != nil {
		return nil, err
	}
	conflicts, err := st.OpenConflictCounts(ctx, q)
	if err != nil {
		return nil, err
	}
	if rep.Jobs, err = st.QueueDepth(ctx, q); err != nil {
		return nil, err
	}
	entities := statusEntities()
	for e := range states {
		if !slices.Contains(entities, e) {
			entities = append(entities, e)
		}
	}
	if pushes != nil {
		rep.Pushes = map[string]int64{"pending": 0, "sending": 0, "parked": 0}
	}
	for _, e := range entities {
		es := entityStatus{Entity: e, Rejects: rejects[e], OpenConflicts: conflicts[e]}
		if s := states[e]; s != nil {
			es.LastSuccessAt, es.LastPullAt, es.LastFullAt, es.Cursor = s.LastSuccessAt, s.LastPullAt, s.LastFullAt, s.Cursor
			es.Rows, es.LastError = s.Rows, s.LastError
			if d := store.Lag(s, now); d != nil {
				sec := d.Seconds()
				es.LagSeconds = &sec
			}
		}
		es.PendingPushes = pushes[e]["pending"] + pushes[e]["sending"]
		es.ParkedPushes = pushes[e]["parked"]
		rep.Entities = append(rep.Entities, es)
		rep.Rejects += es.Rejects
		rep.OpenConflicts += es.OpenConflicts
	}
	for _, byState := range pushes {
		for s, n := range byState {
			rep.Pushes[s] += n
		}
	}
	health, err := st.ListHealth(ctx, q)
	if err != nil {
		return nil, err
	}
	rep.Endpoints = endpointRows(health)
	return rep, nil
}

// endpointRows turns the limiter's halosync.endpoint_health rows into status rows.
func endpointRows(rows []store.EndpointHealth) []endpointStatus {
	out := make([]endpointStatus, 0, len(rows))
	for _, h := range rows {
		e := endpointStatus{
			Endpoint: h.Endpoint, State: h.BreakerState, LastError: h.LastError, LastErrorAt: h.LastErrorAt,
			Count429: h.RateLimited, Snoozes: h.Snoozes, OpenUntil: h.OpenUntil, FixHint: h.FixHint,
		}
		if h.LastStatus != nil {
			n := int64(*h.LastStatus)
			e.LastStatus = &n
		}
		if e.State == "" {
			e.State = "closed"
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Endpoint < out[j].Endpoint })
	return out
}

func printStatus(w io.Writer, rep *statusReport) error {
	tw := newTable(w)
	row(tw, "ENTITY", "LAST SUCCESS", "LAG", "CURSOR", "ROWS", "PUSHES", "PARKED", "CONFLICTS", "REJECTS", "LAST ERROR")
	for _, e := range rep.Entities {
		var lag *time.Duration
		if e.LagSeconds != nil {
			d := time.Duration(*e.LagSeconds * float64(time.Second))
			lag = &d
		}
		row(tw, e.Entity, ts(e.LastSuccessAt), ago(lag), ts(e.Cursor), e.Rows, e.PendingPushes, e.ParkedPushes,
			e.OpenConflicts, e.Rejects, short(strOr(e.LastError, ""), 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	// Healthy endpoints (breaker closed, no error, no 429, no snooze) are only counted; --json lists all.
	var notable []endpointStatus
	for _, e := range rep.Endpoints {
		if e.State != "closed" || e.LastError != nil || e.Count429 > 0 || e.Snoozes > 0 {
			notable = append(notable, e)
		}
	}
	healthy := len(rep.Endpoints) - len(notable)
	if len(notable) == 0 {
		fmt.Fprintf(w, "Halo endpoints: %d seen, all breakers closed, no errors, no 429s\n", healthy)
	} else {
		fmt.Fprintf(w, "Halo endpoints (%d more healthy):\n", healthy)
		tw = newTable(w)
		row(tw, "ENDPOINT", "BREAKER", "LAST STATUS", "429s", "SNOOZES", "LAST ERROR AT", "LAST ERROR", "FIX")
		for _, e := range notable {
			status := "-"
			if e.LastStatus != nil {
				status = fmt.Sprint(*e.LastStatus)
			}
			state := e.State
			if state == "open" && e.OpenUntil != nil {
				state += " until " + e.OpenUntil.Local().Format("15:04:05")
			}
			row(tw, e.Endpoint, state, status, e.Count429, e.Snoozes, ts(e.LastErrorAt), short(strOr(e.LastError, ""), 50), short(strOr(e.FixHint, ""), 60))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintln(w)
	if rep.Pushes == nil {
		fmt.Fprintf(w, "Pushes: not installed   Open conflicts: %d   Rejects: %d\n", rep.OpenConflicts, rep.Rejects)
	} else {
		fmt.Fprintf(w, "Pushes: %d pending, %d sending, %d parked   Open conflicts: %d   Rejects: %d\n",
			rep.Pushes["pending"], rep.Pushes["sending"], rep.Pushes["parked"], rep.OpenConflicts, rep.Rejects)
	}
	var parts []string
	for _, s := range []string{"available", "running", "scheduled", "retryable", "pending", "completed", "cancelled", "discarded"} {
		parts = append(parts, fmt.Sprintf("%s %d", s, rep.Jobs[s]))
	}
	fmt.Fprintln(w, "Jobs: "+strings.Join(parts, ", "))
	return nil
}
