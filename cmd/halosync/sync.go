package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/spf13/cobra"

	"github.com/halosync/halosync/jobs"
	hsync "github.com/halosync/halosync/sync"
)

func newSyncCmd() *cobra.Command {
	var (
		once, full, wait bool
		entities         []string
	)
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Pull from Halo now: in this process (--once) or by enqueueing jobs for the workers",
		Long: "Without --once, enqueue pulls for the running workers (with --wait, wait until they finish).\n" +
			"With --once, run one complete cycle in this process, push pending local edits to Halo, and exit 0 on success, non-zero otherwise\n" +
			"(for cron, tests and first setup). --full walks every record and reconciles deletions.\n\n" +
			"Entities: " + strings.Join(hsync.PullOrder, ", ") + " (tickets include their actions).",
		Example: "  halosync sync --once\n  halosync sync --once --entity tickets --full\n  halosync sync --entity clients --wait",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, e := range entities {
				if !hsync.IsEntity(e) {
					return fmt.Errorf("--entity %q: expected one of %s", e, strings.Join(hsync.PullOrder, ", "))
				}
			}
			ctx := cmd.Context()
			a, err := newApp(ctx, once)
			if err != nil {
				return err
			}
			defer a.close()
			if err := a.migrate(ctx); err != nil {
				return err
			}
			if !once {
				return enqueue(cmd, a, entities, full, wait)
			}
			p := a.puller()
			p.WaitForLock = true
			p.Concurrency = a.cfg.Workers // as many pulls at once as a worker runs
			prog := newProgress(os.Stderr, a.log, a.cfg.HaloRateLimit)
			p.ProgressFunc = prog.update
			runs, err := p.Cycle(ctx, entities, full)
			prog.finish()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%-13s %-11s %8s %8s %8s %8s %9s %10s %8s\n", "ENTITY", "MODE", "REQUESTS", "FETCHED", "INSERTED", "UPDATED", "UNCHANGED", "TOMBSTONED", "REJECTED")
			for _, r := range runs {
				fmt.Fprintf(out, "%-13s %-11s %8d %8d %8d %8d %9d %10d %8d\n", r.Entity, r.Mode, r.Requests, r.Fetched, r.Inserted, r.Updated, r.Unchanged, r.Tombstoned, r.Rejected)
			}
			// Then the other direction: local edits of the mirror go to Halo, so cron users get both.
			pushed, perr := a.pusher().PushPending(ctx)
			fmt.Fprintf(out, "pushed %d local change(s) to Halo\n", pushed)
			if err = errors.Join(err, perr); err != nil {
				return fmt.Errorf("sync failed: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "run one complete cycle in this process, then exit")
	cmd.Flags().BoolVar(&full, "full", false, "walk every record and reconcile deletions")
	cmd.Flags().BoolVar(&wait, "wait", false, "without --once: wait until the enqueued pulls finish")
	cmd.Flags().StringSliceVar(&entities, "entity", nil, "entity to pull (repeatable; default all)")
	return cmd
}

// enqueue inserts pull jobs for the running workers and optionally waits.
func enqueue(cmd *cobra.Command, a *app, entities []string, full, wait bool) error {
	ctx := cmd.Context()
	rc, err := jobs.NewClient(jobs.Config{Pool: a.pool, Logger: a.log})
	if err != nil {
		return err
	}
	if len(entities) == 0 {
		entities = hsync.PullOrder
	}
	var ids []int64
	for _, e := range entities {
		res, err := rc.Insert(ctx, jobs.PullArgs{Entity: e, Full: full}, nil)
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", e, err)
		}
		note := ""
		if res.UniqueSkippedAsDuplicate {
			note = " (already queued)"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "enqueued pull of %s as job %d%s\n", e, res.Job.ID, note)
		ids = append(ids, res.Job.ID)
	}
	if !wait {
		return nil
	}
	for {
		pending := 0
		for _, id := range ids {
			j, err := rc.JobGet(ctx, id)
			if err != nil {
				return fmt.Errorf("job %d: %w", id, err)
			}
			switch j.State {
			case rivertype.JobStateCompleted:
			case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
				msg := ""
				if n := len(j.Errors); n > 0 {
					msg = ": " + j.Errors[n-1].Error
				}
				return fmt.Errorf("job %d (%s) ended %s%s", id, j.Kind, j.State, msg)
			default:
				pending++
			}
		}
		if pending == 0 {
			fmt.Fprintln(cmd.OutOrStdout(), "all pulls finished")
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("interrupted while waiting; the jobs keep running in the workers")
		case <-time.After(time.Second):
		}
	}
}
