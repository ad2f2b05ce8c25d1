// Package store writes the HaloPSA mirror (schema halo) and the sync state (schema halosync) with pgx.
//
// Every mirror write goes through one bulk path: COPY into a temporary staging table, then a single
// INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE changed. Unchanged records are not rewritten, so
// synced_at tells analysts when a row really changed. store knows no HTTP and no Halo types: callers hand
// it Rows whose values follow the column order in Tables.
package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what store needs from a connection; *pgxpool.Pool, *pgxpool.Conn, *pgx.Conn and pgx.Tx all
// satisfy it, so callers choose whether a call joins their transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error)
}

var (
	_ Querier = (*pgxpool.Pool)(nil)
	_ Querier = (pgx.Tx)(nil)
)

// Store is the database side of halosync. It holds no state besides the pool.
type Store struct {
	Pool *pgxpool.Pool
}

// New returns a Store using pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{Pool: pool}
}

// ConfigurePool sets what halosync's own connections need on a pool configuration parsed from
// DATABASE_URL, for a process that runs up to pulls pulls at once.
//
// Each running pull holds one connection for its entity lock and uses others for its pages and for the
// ANALYZE after it, and River needs some of its own: pgx's default (4 on a 2-core machine) would starve
// them. pool_max_conns in DATABASE_URL still wins.
//
// JIT compilation is off unless the URL sets jit: Postgres compiles any statement whose estimated cost
// passes jit_above_cost, and the sync's statements over a table a first sync is filling (estimated from
// stale statistics) run in tens of milliseconds after half a second of compiling (issue 19: the attachment
// listing of a first sync spent 470 ms in JIT for 30 ms of work).
func ConfigurePool(cfg *pgxpool.Config, pulls int) {
	if !strings.Contains(cfg.ConnString(), "pool_max_conns") {
		cfg.MaxConns = int32(max(20, 3*pulls+8))
	}
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
}

// markSyncOrigin tags the transaction as the sync's own write so push triggers ignore it. SET LOCAL lasts
// until the end of the transaction. The triggers honour the marker only in sessions of the worker's own
// login (a member of the owner of schema halosync, halosync.is_sync): any other role may set it to no
// effect.
func markSyncOrigin(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('halosync.origin', 'sync', true)`); err != nil {
		return fmt.Errorf("error setting halosync.origin: %w", err)
	}
	return nil
}
