package entity

import (
	"cmp"
	"fmt"
	"slices"
)

// registry holds every declaration by name; each entity's file adds its own
// with declare, so adding an entity touches no list here.
var registry = map[string]*Entity{}

// declare checks a declaration and registers it. A declaration that cannot
// work (no key, a duplicate name or column, a key that may be NULL) panics at
// start, so it fails the first test that loads the package.
func declare(e *Entity) *Entity {
	if err := e.validate(); err != nil {
		panic(fmt.Sprintf("entity %q: %v", e.Name, err))
	}
	if _, dup := registry[e.Name]; dup {
		panic(fmt.Sprintf("entity %q declared twice", e.Name))
	}
	e.index()
	registry[e.Name] = e
	return e
}

func (e *Entity) validate() error {
	switch {
	case e.Name == "" || e.Path == "" || e.Comment == "":
		return fmt.Errorf("Name, Path and Comment are required")
	case len(e.Keys) == 0:
		return fmt.Errorf("no key columns")
	case e.Filter == 0 && e.Parent == "":
		return fmt.Errorf("no Filter (an entity pulled on its own needs one)")
	case (e.Paging == DateBounded || e.Filter == ByWindow) != (e.Bounds != nil):
		return fmt.Errorf("Bounds goes with Paging DateBounded or Filter ByWindow, and only with them")
	case e.Paging == DateBounded && e.Filter != ByWindow:
		return fmt.Errorf("a DateBounded entity is read by windows: Filter ByWindow")
	case e.Bounds != nil && e.Bounds.Column == "":
		return fmt.Errorf("Bounds.Column names the column the window bounds")
	case (e.Parent == "") != (e.ParentParam == "" && e.Nested == ""), e.ParentParam != "" && e.Nested != "":
		return fmt.Errorf("Parent goes with exactly one of ParentParam and Nested")
	case e.ReadOnly && e.Create != NoCreate:
		return fmt.Errorf("a ReadOnly entity is never created from the mirror")
	}
	seen := map[string]bool{}
	for i, c := range e.allColumns() {
		switch {
		case c.Name == "" || c.Comment == "" || c.Kind < Text || c.Kind > Date:
			return fmt.Errorf("column %d (%q): Name, Kind and Comment are required", i, c.Name)
		case seen[c.Name]:
			return fmt.Errorf("column %q declared twice", c.Name)
		case i < len(e.Keys) && !c.Kind.keyKind():
			return fmt.Errorf("key column %q: a key is Integer, Text, TextKeep, Timestamp or Date", c.Name)
		case c.Refers != "" && c.Kind != Ref:
			return fmt.Errorf("column %q: Refers goes with Kind Ref", c.Name)
		case c.Writable && e.ReadOnly:
			return fmt.Errorf("column %q is Writable but the entity is ReadOnly", c.Name)
		}
		seen[c.Name] = true
	}
	if b := e.Bounds; b != nil {
		c, ok := e.columnNamed(b.Column)
		if !ok || (c.Kind != Timestamp && c.Kind != Date) {
			return fmt.Errorf("Bounds.Column %q is not a Timestamp or Date column", b.Column)
		}
	}
	for _, g := range e.Generated {
		if seen[g] {
			return fmt.Errorf("generated column %q is also a typed column", g)
		}
	}
	return nil
}

// All returns every declared entity in pull order (Order, then Name), an
// entity read under a parent right after its parent.
func All() []*Entity {
	var out []*Entity
	for _, e := range Pulled() {
		out = append(out, e)
		out = append(out, Children(e.Name)...)
	}
	return out
}

// Pulled returns the entities a complete cycle pulls on their own, in pull
// order: every entity but those read under a parent.
func Pulled() []*Entity {
	var out []*Entity
	for _, e := range registry {
		if e.Parent == "" {
			out = append(out, e)
		}
	}
	sortByOrder(out)
	return out
}

// Children returns the entities read under parent (tickets: actions).
func Children(parent string) []*Entity {
	var out []*Entity
	for _, e := range registry {
		if e.Parent == parent {
			out = append(out, e)
		}
	}
	sortByOrder(out)
	return out
}

func sortByOrder(es []*Entity) {
	slices.SortFunc(es, func(a, b *Entity) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Name, b.Name))
	})
}

// PulledWith names the entity whose pull reads records of name: its Parent
// (actions: tickets), or name itself.
func PulledWith(name string) string {
	if e, ok := registry[name]; ok && e.Parent != "" {
		return e.Parent
	}
	return name
}

// Lookup returns the declaration named name.
func Lookup(name string) (*Entity, bool) {
	e, ok := registry[name]
	return e, ok
}

// Must returns the declaration named name and panics when there is none: for
// names the code itself spells, never for names from users.
func Must(name string) *Entity {
	e, ok := registry[name]
	if !ok {
		panic(fmt.Sprintf("entity: no declaration %q", name))
	}
	return e
}

// Names returns the names of entities, e.g. All() or Pulled().
func Names(es []*Entity) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

// Pushable reports whether local edits of e are pushed to Halo.
func (e *Entity) Pushable() bool {
	if e.ReadOnly {
		return false
	}
	for _, c := range e.Columns {
		if c.Writable {
			return true
		}
	}
	return false
}

// IsLookup reports whether e is a lookup (Order below 200): a small table a
// first sync pulls before the recent tickets, so analysts find tickets'
// statuses, types, teams and agents from the start.
func (e *Entity) IsLookup() bool { return e.Order < 200 }

// Writable returns the names of e's Writable columns, in table order.
func (e *Entity) Writable() []string {
	var out []string
	for _, c := range e.Columns {
		if c.Writable {
			out = append(out, c.Name)
		}
	}
	return out
}

// Column returns the key or typed column named name.
func (e *Entity) Column(name string) (Column, bool) {
	i, ok := e.byName[name]
	if !ok {
		return Column{}, false
	}
	return e.allColumns()[i], true
}

// allColumns is Keys followed by Columns.
func (e *Entity) allColumns() []Column {
	return append(append([]Column(nil), e.Keys...), e.Columns...)
}

func (e *Entity) index() {
	e.byName = map[string]int{}
	for i, c := range e.allColumns() {
		e.byName[c.Name] = i
	}
}

func (k Kind) keyKind() bool {
	switch k {
	case Integer, Text, TextKeep, Timestamp, Date:
		return true
	}
	return false
}

// columnNamed finds a key or typed column by name before declare indexes them.
func (e *Entity) columnNamed(name string) (Column, bool) {
	for _, c := range e.allColumns() {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}
