package entity

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/halosync/halosync/halo"
)

// NestedRecords decodes the rows of child entity e (declared with Nested)
// that sit in one parent record's JSON, the parent's keys filling the
// child's leading key columns a row lacks. carried is false when the parent
// record has no such field (or null): a row without its lines says nothing
// about them, so its stored lines must be left alone. A child row that
// cannot be decoded is returned in bad, named by its key where readable.
func (e *Entity) NestedRecords(parentRaw json.RawMessage, parentKeys []any) (recs []Record, bad []halo.BadRow, carried bool, err error) {
	obj, err := object(parentRaw)
	if err != nil {
		return nil, nil, false, err
	}
	v, ok := obj.get(e.Nested)
	if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return nil, nil, false, nil
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(v, &rows); err != nil {
		return nil, nil, false, fmt.Errorf("%s: %s is not an array: %w", e.Name, e.Nested, err)
	}
	dec := e.decoder(parentKeys)
	for _, raw := range rows {
		rec, key, err := dec(raw)
		if err != nil {
			bad = append(bad, halo.BadRow{Raw: raw, Err: err, Key: key})
			continue
		}
		if err := sameParent(rec.Keys, parentKeys); err != nil {
			bad = append(bad, halo.BadRow{Raw: raw, Err: err, Key: key})
			continue
		}
		recs = append(recs, rec)
	}
	return recs, bad, true, nil
}

// sameParent refuses a nested row whose own parent key names another parent
// than the record it sits in: which of the two to believe is not known.
func sameParent(keys, parentKeys []any) error {
	for i, k := range parentKeys {
		if i < len(keys) && keys[i] != k {
			return fmt.Errorf("row names parent %v but sits in record %v", keys[i], k)
		}
	}
	return nil
}
