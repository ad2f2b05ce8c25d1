package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotFound is returned (wrapped) when a requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// Reject records a record that could not be decoded or stored. The row is keyed by (entity, key): a
// repeat bumps last_seen and seen_count and refreshes raw and reason, keeping first_seen. raw is stored as
// jsonb when Postgres accepts it, otherwise as bytes in raw_bytes, so a reject itself never fails on the
// content that caused it: CheckRaw catches most of what jsonb refuses, and what only the database can
// tell (a number out of numeric's range) fails a savepoint and is written again as bytes.
func (s *Store) Reject(ctx context.Context, q Querier, entity, key string, raw []byte, reason string) error {
	var asJSON, asBytes []byte
	if CheckRaw(raw) == nil {
		asJSON = raw
	} else if raw != nil {
		asBytes = raw
	}
	err := insertReject(ctx, q, entity, key, asJSON, asBytes, reason)
	var pgErr *pgconn.PgError
	if err != nil && asJSON != nil && errors.As(err, &pgErr) && rowDataError(pgErr) {
		err = insertReject(ctx, q, entity, key, nil, asJSON, reason)
	}
	if err != nil {
		return fmt.Errorf("error recording %s reject %q: %w", entity, key, err)
	}
	return nil
}

// insertReject writes one reject, under a savepoint when q can open one (a transaction, or the pool,
// where it is a transaction of its own), so a refused jsonb leaves q usable for the retry.
func insertReject(ctx context.Context, q Querier, entity, key string, asJSON, asBytes []byte, reason string) error {
	const sql = `INSERT INTO halosync.rejects (entity, record_key, raw, raw_bytes, reason)
VALUES ($1, $2, $3::jsonb, $4, $5)
ON CONFLICT (entity, record_key) DO UPDATE SET raw = EXCLUDED.raw, raw_bytes = EXCLUDED.raw_bytes,
    reason = EXCLUDED.reason, last_seen = now(), seen_count = halosync.rejects.seen_count + 1`
	args := []any{sanitizeText(entity), sanitizeText(key), nullableBytes(asJSON), nullableBytes(asBytes), sanitizeText(reason)}
	b, ok := q.(interface {
		Begin(context.Context) (pgx.Tx, error)
	})
	if !ok || asJSON == nil {
		_, err := q.Exec(ctx, sql, args...)
		return err
	}
	return pgx.BeginFunc(ctx, b, func(sp pgx.Tx) error {
		_, err := sp.Exec(ctx, sql, args...)
		return err
	})
}

// ClearReject removes the reject of (entity, key), if any: the record has since been stored fine.
func (s *Store) ClearReject(ctx context.Context, q Querier, entity, key string) error {
	if _, err := q.Exec(ctx, `DELETE FROM halosync.rejects WHERE entity = $1 AND record_key = $2`,
		sanitizeText(entity), sanitizeText(key)); err != nil {
		return fmt.Errorf("error clearing %s reject %q: %w", entity, key, err)
	}
	return nil
}

// RejectRecord is one row of halosync.rejects. Raw holds the stored bytes (from raw, or raw_bytes when the record
// was not storable as jsonb).
type RejectRecord struct {
	Entity    string
	Key       string
	Raw       []byte
	Reason    string
	FirstSeen time.Time
	LastSeen  time.Time
	SeenCount int
}

// ListRejects returns the rejects of entity ("" = all), oldest first.
func (s *Store) ListRejects(ctx context.Context, q Querier, entity string) ([]RejectRecord, error) {
	rows, err := q.Query(ctx, `SELECT entity, record_key, coalesce(convert_to(raw::text, 'UTF8'), raw_bytes), reason,
    first_seen, last_seen, seen_count
FROM halosync.rejects WHERE $1 = '' OR entity = $1 ORDER BY first_seen, entity, record_key`, entity)
	if err != nil {
		return nil, fmt.Errorf("error listing rejects: %w", err)
	}
	defer rows.Close()
	var out []RejectRecord
	for rows.Next() {
		var r RejectRecord
		if err := rows.Scan(&r.Entity, &r.Key, &r.Raw, &r.Reason, &r.FirstSeen, &r.LastSeen, &r.SeenCount); err != nil {
			return nil, fmt.Errorf("error scanning reject: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("error listing rejects: %w", err)
	}
	return out, nil
}

// sanitizeText makes s storable as Postgres text: NUL bytes and invalid UTF-8 become U+FFFD.
func sanitizeText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func nullableBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}
