package entity

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite README.md's generated tables from the declarations")

// The README's tables about entities are generated from the declarations, between marker comments:
// <!-- entity:NAME begin ... --> and <!-- entity:NAME end -->. TestREADME fails when they differ and
// prints the expected text; `go test ./internal/entity -run TestREADME -update` rewrites them.
var readmeTables = map[string]func() string{
	"tables":   schemaTable,
	"writable": writableTable,
}

// schemaTable is "The schema, for analysts": one row per table, its key, its COMMENT and its typed
// columns.
func schemaTable() string {
	var b strings.Builder
	b.WriteString("| Table | Key | What it holds | Typed columns besides the key |\n| --- | --- | --- | --- |\n")
	for _, e := range All() {
		keys := make([]string, len(e.Keys))
		for i, k := range e.Keys {
			keys[i] = k.Name
		}
		key := "`" + strings.Join(keys, ", ") + "`"
		if len(keys) > 1 {
			key = "`(" + strings.Join(keys, ", ") + ")`"
		}
		cols := make([]string, 0, len(e.Columns)+len(e.Generated))
		for _, c := range e.Columns {
			cols = append(cols, "`"+c.Name+"`")
		}
		for _, g := range e.Generated {
			cols = append(cols, "`"+g+"`")
		}
		fmt.Fprintf(&b, "| `halo.%s` | %s | %s | %s |\n", e.Name, key, cell(e.Comment), strings.Join(cols, ", "))
	}
	return b.String()
}

// writableTable is "Which columns are writable": the Writable columns of every pushable entity, and the
// parent key columns an INSERT also sets.
func writableTable() string {
	var b strings.Builder
	b.WriteString("| table | writable columns |\n|---|---|\n")
	for _, e := range All() {
		if !e.Pushable() {
			continue
		}
		cols := strings.Join(e.Writable(), ", ")
		if len(e.Keys) > 1 {
			var parents []string
			for _, k := range e.Keys[:len(e.Keys)-1] {
				parents = append(parents, k.Name)
			}
			cols += " (plus " + strings.Join(parents, ", ") + " on INSERT)"
		}
		fmt.Fprintf(&b, "| `halo.%s` | %s |\n", e.Name, cell(cols))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func TestREADME(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	readme := string(b)
	for name, render := range readmeTables {
		begin, end := "<!-- entity:"+name+" begin", "<!-- entity:"+name+" end -->"
		i := strings.Index(readme, begin)
		require.GreaterOrEqual(t, i, 0, "README.md lacks the marker %q", begin)
		i += strings.Index(readme[i:], "-->\n") + len("-->\n")
		j := strings.Index(readme, end)
		require.GreaterOrEqual(t, j, i, "README.md lacks the marker %q after %q", end, begin)
		want := render()
		if *update {
			readme = readme[:i] + want + readme[j:]
			continue
		}
		require.Equal(t, want, readme[i:j], "README.md's %s table differs from the declarations; "+
			"run `go test ./internal/entity -run TestREADME -update`, or paste:\n%s", name, want)
	}
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(readme), 0o644))
	}
}
