package entity

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRegistry(t *testing.T) {
	t.Parallel()
	all := Names(All())
	at := -1
	for _, name := range []string{"statuses", "ticket_types", "teams", "priorities", "agents", "clients", "sites",
		"users", "contracts", "assets", "tickets", "actions"} {
		i := slices.Index(all, name)
		require.Greater(t, i, at, "%s in pull order (lookups first, actions right after tickets): %v", name, all)
		at = i
	}
	require.Equal(t, slices.Index(all, "tickets")+1, slices.Index(all, "actions"))
	require.NotContains(t, Names(Pulled()), "actions", "actions are pulled by the tickets pull")
	require.Equal(t, "tickets", PulledWith("actions"))
	require.Equal(t, "clients", PulledWith("clients"))

	for _, e := range All() {
		got, ok := Lookup(e.Name)
		require.True(t, ok)
		require.Same(t, e, got)
		require.NoError(t, e.validate())
		if e.Parent != "" {
			_, ok := Lookup(e.Parent)
			require.True(t, ok, "%s: Parent %q is declared", e.Name, e.Parent)
		}
		for _, c := range e.Columns {
			if c.Refers != "" {
				_, ok := Lookup(c.Refers)
				require.True(t, ok, "%s.%s: Refers %q is declared", e.Name, c.Name, c.Refers)
			}
		}
		if e.Pushable() {
			require.NotEqual(t, NoCreate, e.Create, "%s is pushable: how is a create correlated?", e.Name)
		}
	}
	require.True(t, Statuses.IsLookup())
	require.True(t, Agents.IsLookup())
	require.False(t, Clients.IsLookup())
}

func TestValidate(t *testing.T) {
	t.Parallel()
	base := func() *Entity {
		return &Entity{Name: "x", Comment: "c", Path: "/api/X", Filter: FullOnly,
			Keys: []Column{{Name: "id", Kind: Integer, Comment: "c"}}}
	}
	require.NoError(t, base().validate())
	for name, broken := range map[string]func(e *Entity){
		"no key":           func(e *Entity) { e.Keys = nil },
		"ref key":          func(e *Entity) { e.Keys[0].Kind = Ref },
		"no filter":        func(e *Entity) { e.Filter = 0 },
		"no comment":       func(e *Entity) { e.Columns = []Column{{Name: "a", Kind: Text}} },
		"duplicate column": func(e *Entity) { e.Columns = []Column{{Name: "id", Kind: Text, Comment: "c"}} },
		"parent alone":     func(e *Entity) { e.Parent = "tickets" },
		"both parent ways": func(e *Entity) { e.Parent, e.ParentParam, e.Nested = "t", "t_id", "lines" },
		"bounds unpaged":   func(e *Entity) { e.Bounds = &Bounds{From: "a", To: "b"} },
		"read-only writable": func(e *Entity) {
			e.ReadOnly, e.Columns = true, []Column{{Name: "a", Kind: Text, Comment: "c", Writable: true}}
		},
		"refers a non-ref": func(e *Entity) { e.Columns = []Column{{Name: "a", Kind: Text, Comment: "c", Refers: "clients"}} },
	} {
		e := base()
		broken(e)
		require.Error(t, e.validate(), name)
	}
}
