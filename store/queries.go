package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// LiveCount returns the number of rows of t that are not tombstoned.
func (s *Store) LiveCount(ctx context.Context, q Querier, t *Table) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM `+t.Name+` WHERE deleted_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("error counting live %s: %w", t.Entity, err)
	}
	return n, nil
}

// TicketVersion is what the mirror last stored about a record's freshness.
type TicketVersion struct {
	Deleted        bool       // the row is tombstoned
	HaloUpdatedAt  *time.Time // Halo's last-modified time as stored
	LastActionDate *time.Time // tickets only; nil for other tables or when unset
}

// ExistingVersions returns the stored versions of the rows of t with the given ids; ids not in the mirror
// are absent from the map. Sync compares them with a fresh ticket list to decide whose actions to re-read.
// t must have a single bigint key.
func (s *Store) ExistingVersions(ctx context.Context, q Querier, t *Table, ids []int64) (map[int64]TicketVersion, error) {
	if len(t.Keys) != 1 || t.Keys[0].Type != TypeBigint {
		return nil, fmt.Errorf("store: ExistingVersions needs a single bigint key; %s has %v", t.Entity, t.Keys)
	}
	lastAction := "NULL::timestamptz"
	if t.HasColumn("lastactiondate") {
		lastAction = "lastactiondate"
	}
	sql := fmt.Sprintf(`SELECT id, deleted_at IS NOT NULL, halo_updated_at, %s FROM %s WHERE id = ANY($1::bigint[])`,
		lastAction, t.Name)
	rows, err := q.Query(ctx, sql, nonNilInt64s(ids))
	if err != nil {
		return nil, fmt.Errorf("error reading %s versions: %w", t.Entity, err)
	}
	out := make(map[int64]TicketVersion, len(ids))
	var (
		id int64
		v  TicketVersion
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &v.Deleted, &v.HaloUpdatedAt, &v.LastActionDate}, func() error {
		out[id] = v
		v = TicketVersion{} // fresh pointers for the next row
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error reading %s versions: %w", t.Entity, err)
	}
	return out, nil
}
