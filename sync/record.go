package sync

import (
	"encoding/json"
	"fmt"

	"github.com/halosync/halosync/store"
)

// RecordRow maps one Halo record (its JSON, as GET by id or a list returns it) to the mirror row a pull
// stores for it, through the same decoders and row mappers. Checkers that compare Halo with the mirror
// (internal/converge) use it so that "equal" means what the pull means by it. Lookups are not mapped.
func RecordRow(entity string, raw []byte) (store.Row, error) {
	t, ok := store.Tables[entity]
	if !ok {
		return store.Row{}, fmt.Errorf("record row: unknown entity %q", entity)
	}
	var m map[string]any
	var err error
	switch entity {
	case Clients:
		m, err = mapped(raw, clientRow)
	case Sites:
		m, err = mapped(raw, siteRow)
	case Users:
		m, err = mapped(raw, userRow)
	case Agents:
		m, err = mapped(raw, agentRow)
	case Tickets:
		m, err = mapped(raw, ticketRow)
	case Actions:
		m, err = mapped(raw, actionRow)
	case Assets:
		m, err = mapped(raw, assetRow)
	case Contracts:
		m, err = mapped(raw, contractRow)
	default:
		return store.Row{}, fmt.Errorf("record row: entity %q is not mapped here", entity)
	}
	if err != nil {
		return store.Row{}, fmt.Errorf("record row: decoding %s: %w", entity, err)
	}
	return t.RowFrom(m), nil
}

func mapped[T any](raw []byte, toRow func(T) map[string]any) (map[string]any, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return toRow(v), nil
}
