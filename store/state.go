package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// EntityState is one row of halosync.entity_state: the cursor and health of one entity's pulls. Nil
// pointers are NULL (never set / not yet known).
type EntityState struct {
	Entity              string
	Cursor              *time.Time // Halo's high-water last-update time; nil before the first pull
	LastPullAt          *time.Time
	LastSuccessAt       *time.Time
	LastFullAt          *time.Time
	Rows                int64
	LastError           *string
	IncrementalHonoured *bool
	BulkActions         *bool
	UpdatedAt           time.Time // set by SaveState
	// The resumable full walk in progress (see Store.SaveWalk), read-only
	// here: SaveState leaves these columns alone.
	WalkPage      *int       // next page to read; nil: no walk in progress
	WalkListed    int64      // rows its earlier part listed
	WalkStartedAt *time.Time // when its first part started, on Halo's clock
	RecentDoneAt  *time.Time // tickets: when the first sync's recent window was stored
}

// GetState returns the state of entity. A never-synced entity gives a zero state (only Entity set), not an
// error.
func (s *Store) GetState(ctx context.Context, q Querier, entity string) (*EntityState, error) {
	st := &EntityState{Entity: entity}
	err := q.QueryRow(ctx, `SELECT cursor, last_pull_at, last_success_at, last_full_at, rows, last_error,
       incremental_honoured, bulk_actions, updated_at, walk_page, coalesce(walk_listed, 0), walk_started_at, recent_done_at
FROM halosync.entity_state WHERE entity = $1`, entity).Scan(&st.Cursor, &st.LastPullAt, &st.LastSuccessAt,
		&st.LastFullAt, &st.Rows, &st.LastError, &st.IncrementalHonoured, &st.BulkActions, &st.UpdatedAt,
		&st.WalkPage, &st.WalkListed, &st.WalkStartedAt, &st.RecentDoneAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error reading state of %s: %w", entity, err)
	}
	return st, nil
}

// SaveState writes every field of st (insert or replace) and sets st.UpdatedAt. Call it with the
// transaction that stored the rows, so the cursor never runs ahead of the data.
func (s *Store) SaveState(ctx context.Context, q Querier, st *EntityState) error {
	err := q.QueryRow(ctx, `INSERT INTO halosync.entity_state AS e (entity, cursor, last_pull_at, last_success_at,
    last_full_at, rows, last_error, incremental_honoured, bulk_actions, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
ON CONFLICT (entity) DO UPDATE SET cursor = EXCLUDED.cursor, last_pull_at = EXCLUDED.last_pull_at,
    last_success_at = EXCLUDED.last_success_at, last_full_at = EXCLUDED.last_full_at, rows = EXCLUDED.rows,
    last_error = EXCLUDED.last_error, incremental_honoured = EXCLUDED.incremental_honoured,
    bulk_actions = EXCLUDED.bulk_actions, updated_at = now()
RETURNING updated_at`, st.Entity, st.Cursor, st.LastPullAt, st.LastSuccessAt, st.LastFullAt, st.Rows,
		st.LastError, st.IncrementalHonoured, st.BulkActions).Scan(&st.UpdatedAt)
	if err != nil {
		return fmt.Errorf("error saving state of %s: %w", st.Entity, err)
	}
	return nil
}
