package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/halosync/halosync/migrations"
)

// Helpers shared by the operator commands: every tabular command prints an aligned table, or JSON with
// --json.

func addJSONFlag(cmd *cobra.Command, v *bool) {
	cmd.Flags().BoolVar(v, "json", false, "print JSON instead of a table")
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// row writes tab-separated cells and a newline.
func row(w io.Writer, cells ...any) {
	s := make([]string, len(cells))
	for i, c := range cells {
		s[i] = fmt.Sprint(c)
	}
	fmt.Fprintln(w, strings.Join(s, "\t"))
}

// ts formats a time for tables: local time to the second, "-" when unset.
func ts(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// ago formats a duration for tables: "45s", "12m", "3h5m", "2d4h"; "-" when nil.
func ago(d *time.Duration) string {
	if d == nil {
		return "-"
	}
	return human(*d)
}

func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// short cuts s to n runes for a table cell, on one line.
func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func strOr(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}

// openOps opens the database for an operator command and makes sure its schema is current, so a
// forgotten `halosync migrate` is named instead of surfacing as a missing table.
func openOps(ctx context.Context) (*app, error) {
	a, err := newApp(ctx, false)
	if err != nil {
		return nil, err
	}
	ok, err := migrations.Current(ctx, a.pool)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("check migrations: %w", err)
	}
	if !ok {
		a.close()
		return nil, errors.New("the database schema is not current: run `halosync migrate` first")
	}
	return a, nil
}
