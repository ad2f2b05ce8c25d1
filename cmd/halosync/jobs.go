package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/spf13/cobra"

	"github.com/halosync/halosync/jobs"
)

func newJobsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List, retry and cancel River jobs (pulls, fetches, pushes)",
		Long: "Inspect and steer halosync's River jobs from the command line (the River UI in the worker does the\n" +
			"same in a browser). Job states: " + strings.Join(jobStateNames(), ", ") + ".",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newJobsListCmd(), newJobsActCmd("retry"), newJobsActCmd("cancel"))
	return cmd
}

func jobStateNames() []string {
	var out []string
	for _, s := range rivertype.JobStates() {
		out = append(out, string(s))
	}
	return out
}

// jobView is one job as `jobs list --json` prints it.
type jobView struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	State       string          `json:"state"`
	Queue       string          `json:"queue"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Args        json.RawMessage `json:"args"`
	CreatedAt   time.Time       `json:"created_at"`
	ScheduledAt time.Time       `json:"scheduled_at"`
	FinalizedAt *time.Time      `json:"finalized_at"`
	LastError   string          `json:"last_error,omitempty"`
}

func viewJob(j *rivertype.JobRow) jobView {
	v := jobView{ID: j.ID, Kind: j.Kind, State: string(j.State), Queue: j.Queue, Attempt: j.Attempt,
		MaxAttempts: j.MaxAttempts, Args: json.RawMessage(j.EncodedArgs), CreatedAt: j.CreatedAt,
		ScheduledAt: j.ScheduledAt, FinalizedAt: j.FinalizedAt}
	if n := len(j.Errors); n > 0 {
		v.LastError = j.Errors[n-1].Error
	}
	return v
}

// riverClient opens an insert-only River client (it works no jobs).
func riverClient(ctx context.Context) (*app, *river.Client[pgx.Tx], error) {
	a, err := openOps(ctx)
	if err != nil {
		return nil, nil, err
	}
	rc, err := jobs.NewClient(jobs.Config{Pool: a.pool, Logger: a.log})
	if err != nil {
		a.close()
		return nil, nil, err
	}
	return a, rc, nil
}

func newJobsListCmd() *cobra.Command {
	var (
		states, kinds []string
		limit         int
		asJSON        bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List jobs, newest first",
		Example: "  halosync jobs list\n  halosync jobs list --state retryable --state discarded\n  halosync jobs list --kind halosync_pull --limit 5 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 || limit > 10000 {
				return fmt.Errorf("--limit %d: expected 1 to 10000", limit)
			}
			params := river.NewJobListParams().First(limit).OrderBy(river.JobListOrderByID, river.SortOrderDesc)
			if len(states) > 0 {
				var ss []rivertype.JobState
				for _, s := range states {
					if !slices.Contains(rivertype.JobStates(), rivertype.JobState(s)) {
						return fmt.Errorf("--state %q: expected one of %s", s, strings.Join(jobStateNames(), ", "))
					}
					ss = append(ss, rivertype.JobState(s))
				}
				params = params.States(ss...)
			}
			if len(kinds) > 0 {
				params = params.Kinds(kinds...)
			}
			ctx := cmd.Context()
			a, rc, err := riverClient(ctx)
			if err != nil {
				return err
			}
			defer a.close()
			res, err := rc.JobList(ctx, params)
			if err != nil {
				return fmt.Errorf("list jobs: %w", err)
			}
			views := make([]jobView, 0, len(res.Jobs))
			for _, j := range res.Jobs {
				views = append(views, viewJob(j))
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), views)
			}
			return printJobs(cmd.OutOrStdout(), views)
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "only jobs in this state (repeatable): "+strings.Join(jobStateNames(), ", "))
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "only jobs of this kind (repeatable), e.g. halosync_pull, halosync_fetch_ticket")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many jobs")
	addJSONFlag(cmd, &asJSON)
	return cmd
}

func printJobs(w io.Writer, views []jobView) error {
	if len(views) == 0 {
		fmt.Fprintln(w, "no jobs match")
		return nil
	}
	tw := newTable(w)
	row(tw, "ID", "KIND", "STATE", "QUEUE", "ATTEMPT", "ARGS", "SCHEDULED", "FINALIZED", "LAST ERROR")
	for _, v := range views {
		row(tw, v.ID, v.Kind, v.State, v.Queue, fmt.Sprintf("%d/%d", v.Attempt, v.MaxAttempts), short(string(v.Args), 40),
			ts(&v.ScheduledAt), ts(v.FinalizedAt), short(v.LastError, 60))
	}
	return tw.Flush()
}

// newJobsActCmd builds `jobs retry` and `jobs cancel`.
func newJobsActCmd(verb string) *cobra.Command {
	short := "Retry jobs now (failed, discarded, cancelled or scheduled ones become available)"
	example := "  halosync jobs retry 412 415"
	if verb == "cancel" {
		short = "Cancel jobs (a running job is asked to stop; it is not retried)"
		example = "  halosync jobs cancel 412"
	}
	return &cobra.Command{
		Use:     verb + " ID...",
		Short:   short,
		Example: example,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			a, rc, err := riverClient(ctx)
			if err != nil {
				return err
			}
			defer a.close()
			act := rc.JobRetry
			if verb == "cancel" {
				act = rc.JobCancel
			}
			var failed []string
			for _, id := range ids {
				j, err := act(ctx, id)
				switch {
				case errors.Is(err, rivertype.ErrNotFound):
					failed = append(failed, strconv.FormatInt(id, 10))
					fmt.Fprintf(cmd.ErrOrStderr(), "job %d: not found\n", id)
				case err != nil:
					failed = append(failed, strconv.FormatInt(id, 10))
					fmt.Fprintf(cmd.ErrOrStderr(), "job %d: %v\n", id, err)
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "job %d (%s): %s\n", j.ID, j.Kind, j.State)
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("could not %s job(s) %s", verb, strings.Join(failed, ", "))
			}
			return nil
		},
	}
}

// parseIDs reads positive integer ids.
func parseIDs(args []string) ([]int64, error) {
	ids := make([]int64, 0, len(args))
	for _, s := range args {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%q is not an id (expected a positive number)", s)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
