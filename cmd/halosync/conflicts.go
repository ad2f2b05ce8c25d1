package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/halosync/halosync/store"
)

func newConflictsCmd() *cobra.Command {
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "conflicts",
		Short: "List fields changed both locally and in Halo (open ones; --all for acknowledged too)",
		Long: "List halosync.conflicts: fields a push found changed both in the mirror and in Halo since the last\n" +
			"sync. The later change won and is now in both; the losing value is kept here. Acknowledge them\n" +
			"with `halosync conflicts ack ID...` once handled.",
		Example: "  halosync conflicts\n  halosync conflicts --all --json\n  halosync conflicts ack 7 8",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := openOps(ctx)
			if err != nil {
				return err
			}
			defer a.close()
			list, err := a.store.ListConflicts(ctx, a.pool, !all)
			if err != nil {
				return err
			}
			if asJSON {
				if list == nil {
					list = []store.Conflict{}
				}
				return printJSON(cmd.OutOrStdout(), list)
			}
			return printConflicts(cmd.OutOrStdout(), list, all)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include acknowledged conflicts")
	addJSONFlag(cmd, &asJSON)
	cmd.AddCommand(&cobra.Command{
		Use:     "ack ID...",
		Short:   "Acknowledge conflicts (they stay in the table, no longer listed as open)",
		Example: "  halosync conflicts ack 7 8",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			a, err := openOps(ctx)
			if err != nil {
				return err
			}
			defer a.close()
			var missing []string
			for _, id := range ids {
				ok, err := a.store.AcknowledgeConflict(ctx, a.pool, id)
				if err != nil {
					return err
				}
				if !ok {
					missing = append(missing, fmt.Sprint(id))
					fmt.Fprintf(cmd.ErrOrStderr(), "conflict %d: not found or already acknowledged\n", id)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "conflict %d acknowledged\n", id)
			}
			if len(missing) > 0 {
				return fmt.Errorf("could not acknowledge conflict(s) %s", strings.Join(missing, ", "))
			}
			return nil
		},
	})
	return cmd
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func printConflicts(w io.Writer, list []store.Conflict, all bool) error {
	if len(list) == 0 {
		if all {
			fmt.Fprintln(w, "no conflicts")
		} else {
			fmt.Fprintln(w, "no open conflicts")
		}
		return nil
	}
	tw := newTable(w)
	cols := []any{"ID", "ENTITY", "KEY", "FIELD", "LOCAL", "HALO", "WINNER", "DETECTED"}
	if all {
		cols = append(cols, "ACKNOWLEDGED")
	}
	row(tw, cols...)
	for _, c := range list {
		cells := []any{c.ID, c.Entity, c.RecordKey, c.Field, short(jsonText(c.LocalValue), 30), short(jsonText(c.RemoteValue), 30),
			c.Winner, ts(&c.DetectedAt)}
		if all {
			cells = append(cells, ts(c.AcknowledgedAt))
		}
		row(tw, cells...)
	}
	return tw.Flush()
}
