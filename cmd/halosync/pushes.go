package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
)

func newPushesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "pushes",
		Short: "List local edits waiting to be pushed to Halo (pending) or refused by Halo (parked)",
		Long: "List the open rows of halosync.outbox: pending (waiting for a worker; after a failure, LAST ERROR\n" +
			"says why and NEXT ATTEMPT when it is tried again: its backoff, or for 401/403 the circuit breaker's\n" +
			"next probe), sending (being sent, or a ticket create that may have reached Halo: the next attempt looks\n" +
			"it up first) and parked (Halo refused it, it may already exist in Halo, or it failed too often: see the\n" +
			"error). A new edit of the record, or `halosync pushes retry ID`, sends a parked push again.",
		Example: "  halosync pushes\n  halosync pushes --json\n  halosync pushes retry 31",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := openOps(ctx)
			if err != nil {
				return err
			}
			defer a.close()
			list, err := a.store.ListOutbox(ctx, a.pool, 0, store.OutboxPending, store.OutboxSending, store.OutboxParked)
			if err != nil {
				return err
			}
			if asJSON {
				views := make([]pushView, 0, len(list))
				for _, o := range list {
					views = append(views, viewPush(o))
				}
				return printJSON(cmd.OutOrStdout(), views)
			}
			return printPushes(cmd.OutOrStdout(), list)
		},
	}
	addJSONFlag(cmd, &asJSON)
	cmd.AddCommand(&cobra.Command{
		Use:     "retry ID...",
		Short:   "Send parked pushes again (back to pending, and a push job enqueued)",
		Example: "  halosync pushes retry 31",
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
			var failed []string
			for _, id := range ids {
				ok, err := a.store.RetryPush(ctx, id)
				if err != nil {
					return err
				}
				if !ok {
					failed = append(failed, fmt.Sprint(id))
					fmt.Fprintf(cmd.ErrOrStderr(), "push %d: not found or not parked\n", id)
					continue
				}
				res, err := rc.Insert(ctx, jobs.PushArgs{OutboxID: id}, nil)
				if err != nil {
					return fmt.Errorf("push %d is pending again, but enqueueing its job failed (the workers' sweep will pick it up): %w", id, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "push %d: pending again, enqueued as job %d\n", id, res.Job.ID)
			}
			if len(failed) > 0 {
				return fmt.Errorf("could not retry push(es) %s", strings.Join(failed, ", "))
			}
			return nil
		},
	})
	return cmd
}

type pushView struct {
	ID        int64          `json:"id"`
	Entity    string         `json:"entity"`
	RecordKey string         `json:"record_key"`
	Op        string         `json:"op"`
	State     string         `json:"state"`
	Attempts  int            `json:"attempts"`
	Fields    map[string]any `json:"fields"`
	ChangedAt time.Time      `json:"changed_at"`
	LastError *string        `json:"last_error"`
	// NextAttemptAt: no attempt before this (backoff after a failure, or the breaker's next probe).
	NextAttemptAt *time.Time `json:"next_attempt_at"`
}

func viewPush(o *store.OutboxRow) pushView {
	return pushView{ID: o.ID, Entity: o.Entity, RecordKey: o.RecordKey, Op: o.Op, State: o.State, Attempts: o.Attempts,
		Fields: o.Fields, ChangedAt: o.ChangedAt, LastError: o.LastError, NextAttemptAt: o.NextAttemptAt}
}

func printPushes(w io.Writer, list []*store.OutboxRow) error {
	if len(list) == 0 {
		fmt.Fprintln(w, "no pending or parked pushes")
		return nil
	}
	tw := newTable(w)
	row(tw, "ID", "ENTITY", "KEY", "OP", "STATE", "ATTEMPTS", "CHANGED", "NEXT ATTEMPT", "FIELDS", "LAST ERROR")
	for _, o := range list {
		row(tw, o.ID, o.Entity, o.RecordKey, o.Op, o.State, o.Attempts, ts(&o.ChangedAt), ts(o.NextAttemptAt),
			short(jsonText(o.Fields), 40), short(strOr(o.LastError, ""), 60))
	}
	return tw.Flush()
}
