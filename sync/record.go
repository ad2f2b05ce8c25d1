package sync

import (
	"fmt"

	"github.com/halosync/halosync/store"
)

// RecordRow maps one Halo record (its JSON, as GET by id or a list returns it) to the mirror row a pull
// stores for it, through the same declaration. Checkers that compare Halo with the mirror
// (internal/converge) use it so that "equal" means what the pull means by it.
func RecordRow(name string, raw []byte) (store.Row, error) {
	t, ok := store.Tables[name]
	if !ok {
		return store.Row{}, fmt.Errorf("record row: unknown entity %q", name)
	}
	rec, err := t.Decl.Decode(raw)
	if err != nil {
		return store.Row{}, fmt.Errorf("record row: decoding %s: %w", name, err)
	}
	return t.RowOf(rec), nil
}
