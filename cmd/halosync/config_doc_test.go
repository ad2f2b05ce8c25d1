package main

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/entity"
)

// TestIntervalDescriptions: each HALOSYNC_INTERVAL_* description (shown by `halosync config` and in the
// README) names exactly the entities that interval schedules, so adding an entity to the registry
// without saying which variable paces it fails here.
func TestIntervalDescriptions(t *testing.T) {
	desc := map[entity.Interval]string{}
	t.Run("tags", func(t *testing.T) {
		ct := reflect.TypeOf(Config{})
		for key, iv := range map[string]entity.Interval{
			"HALOSYNC_INTERVAL_TICKETS":   entity.IntervalTickets,
			"HALOSYNC_INTERVAL_CUSTOMERS": entity.IntervalCustomers,
			"HALOSYNC_INTERVAL_LOOKUPS":   entity.IntervalLookups,
		} {
			for i := range ct.NumField() {
				if ct.Field(i).Tag.Get("envconfig") == key {
					desc[iv] = ct.Field(i).Tag.Get("desc")
				}
			}
			require.NotEmpty(t, desc[iv], key)
		}
	})
	for _, e := range entity.All() {
		if e.Parent != "" {
			continue // read with its parent: "tickets (with their actions…)"
		}
		word := regexp.MustCompile(`\b` + regexp.QuoteMeta(e.Name) + `\b`)
		for iv, d := range desc {
			require.Equal(t, iv == e.Interval, word.MatchString(d), "entity %s (interval %d) in description %q", e.Name, e.Interval, d)
		}
	}
}

// TestREADMEListsEveryVariable: the README's configuration table has a row for every variable, with the
// default `halosync config` applies and the same description for the intervals.
func TestREADMEListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(b)
	ct := reflect.TypeOf(Config{})
	for i := range ct.NumField() {
		f := ct.Field(i)
		key := f.Tag.Get("envconfig")
		row := regexp.MustCompile("(?m)^\\| `" + regexp.QuoteMeta(key) + "` \\| ([^|]*) \\|.*\\| ([^|]*) \\|$").FindStringSubmatch(readme)
		require.NotNil(t, row, "README has no configuration row for %s", key)
		if def := f.Tag.Get("default"); def != "" {
			require.True(t, strings.HasPrefix(row[1], "`"+def+"`"), "README's default of %s is %s, Config's %q", key, row[1], def)
		}
		if strings.HasPrefix(key, "HALOSYNC_INTERVAL_") {
			require.Equal(t, f.Tag.Get("desc")+".", strings.TrimSpace(row[2]), key)
		}
	}
}
