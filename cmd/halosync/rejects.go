package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/jobs"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

func newRejectsCmd() *cobra.Command {
	var (
		only   string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "rejects",
		Short: "List records Halo returned that halosync could not decode or store",
		Long: "List halosync.rejects: records Halo returned that could not be decoded or stored, with the reason.\n" +
			"A reject leaves the record out of the mirror; the rest of the pull goes on. After fixing the cause\n" +
			"(usually a halosync upgrade), `halosync rejects retry` clears them and enqueues a full pull.",
		Example: "  halosync rejects\n  halosync rejects --entity tickets --json\n  halosync rejects retry",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A misspelt entity would list "no rejects" and hide the ones there are.
			if _, ok := entity.Lookup(only); only != "" && !ok {
				return fmt.Errorf("--entity %q: expected one of %s", only, strings.Join(entity.Names(entity.All()), ", "))
			}
			ctx := cmd.Context()
			a, err := openOps(ctx)
			if err != nil {
				return err
			}
			defer a.close()
			list, err := a.store.ListRejects(ctx, a.pool, only)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rejectViews(list))
			}
			return printRejects(cmd.OutOrStdout(), list)
		},
	}
	cmd.Flags().StringVar(&only, "entity", "", "only this entity")
	addJSONFlag(cmd, &asJSON)
	cmd.AddCommand(newRejectsRetryCmd())
	return cmd
}

type rejectView struct {
	Entity    string    `json:"entity"`
	Key       string    `json:"key"`
	Reason    string    `json:"reason"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	SeenCount int       `json:"seen_count"`
	Raw       string    `json:"raw"`
}

func rejectViews(list []store.RejectRecord) []rejectView {
	out := make([]rejectView, 0, len(list))
	for _, r := range list {
		out = append(out, rejectView{Entity: r.Entity, Key: r.Key, Reason: r.Reason, FirstSeen: r.FirstSeen,
			LastSeen: r.LastSeen, SeenCount: r.SeenCount, Raw: string(r.Raw)})
	}
	return out
}

func printRejects(w io.Writer, list []store.RejectRecord) error {
	if len(list) == 0 {
		fmt.Fprintln(w, "no rejects")
		return nil
	}
	tw := newTable(w)
	row(tw, "ENTITY", "KEY", "SEEN", "FIRST SEEN", "LAST SEEN", "REASON")
	for _, r := range list {
		row(tw, r.Entity, r.Key, r.SeenCount, ts(&r.FirstSeen), ts(&r.LastSeen), short(r.Reason, 90))
	}
	return tw.Flush()
}

func newRejectsRetryCmd() *cobra.Command {
	var entities []string
	return withEntities(&cobra.Command{
		Use:   "retry",
		Short: "Clear the rejects and enqueue a full pull of their entities",
		Long: "Delete the rejects (of --entity, or all) and enqueue a full pull of each entity that had any, in one\n" +
			"transaction. The running workers re-read those records; any still failing are rejected again.",
		Example: "  halosync rejects retry\n  halosync rejects retry --entity tickets",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, e := range entities {
				if _, ok := entity.Lookup(e); !ok {
					return fmt.Errorf("--entity %q: expected one of %s", e, strings.Join(entity.Names(entity.All()), ", "))
				}
			}
			ctx := cmd.Context()
			a, rc, err := riverClient(ctx)
			if err != nil {
				return err
			}
			defer a.close()
			var cleared, pulls []string
			var jobIDs []int64
			err = pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
				cleared, err = a.store.ClearRejects(ctx, tx, entities)
				if err != nil {
					return err
				}
				for _, e := range cleared {
					p := entity.PulledWith(e)
					if slices.Contains(pulls, p) || !hsync.IsEntity(p) {
						continue
					}
					res, err := rc.InsertTx(ctx, tx, jobs.PullArgs{Entity: p, Full: true}, nil)
					if err != nil {
						return fmt.Errorf("enqueue full pull of %s: %w", p, err)
					}
					pulls = append(pulls, p)
					jobIDs = append(jobIDs, res.Job.ID)
				}
				return nil
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(cleared) == 0 {
				fmt.Fprintln(out, "no rejects to retry")
				return nil
			}
			fmt.Fprintf(out, "cleared the rejects of %s\n", strings.Join(cleared, ", "))
			for i, p := range pulls {
				fmt.Fprintf(out, "enqueued a full pull of %s as job %d\n", p, jobIDs[i])
			}
			return nil
		},
	}, &entities)
}

func withEntities(cmd *cobra.Command, entities *[]string) *cobra.Command {
	cmd.Flags().StringSliceVar(entities, "entity", nil, "only this entity (repeatable; default all)")
	return cmd
}
