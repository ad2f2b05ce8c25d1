package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Outbox states (halosync.outbox.state).
const (
	OutboxPending = "pending"
	OutboxSending = "sending"
	OutboxParked  = "parked"
	OutboxDone    = "done"
)

// Outbox operations (halosync.outbox.op).
const (
	OpCreate = "create"
	OpUpdate = "update"
	OpDelete = "delete"
)

// PushChannel is the NOTIFY channel the outbox triggers signal; the payload is the outbox id.
const PushChannel = "halosync_push"

// OutboxRow is one row of halosync.outbox: a local change waiting for (or done with) its push.
type OutboxRow struct {
	ID          int64
	Entity      string
	RecordKey   string
	Op          string
	Fields      map[string]any // column → new local value (numbers as json.Number)
	Base        map[string]any // writable columns as last synced; nil for creates
	ChangedAt   time.Time
	State       string
	Attempts    int
	LastError   *string
	Correlation *string
	HaloID      *int64
	SentAt      *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PushedAt    *time.Time

	Edits         int64          // edits merged so far (the row's version)
	Payload       map[string]any // state sending: the fields being sent
	SentEdits     *int64         // Edits when Payload was decided
	NextAttemptAt *time.Time     // no attempt before this (backoff, breaker probe); nil = now
}

// Open reports whether the row still waits for a push (pending, sending or parked).
func (o *OutboxRow) Open() bool { return o.State != OutboxDone }

const outboxCols = `id, entity, record_key, op, fields, base, changed_at, state, attempts, last_error, correlation,
	halo_id, sent_at, created_at, updated_at, pushed_at, edits, payload, sent_edits, next_attempt_at`

func scanOutbox(row pgx.Row) (*OutboxRow, error) {
	var o OutboxRow
	var fields, base, payload []byte
	err := row.Scan(&o.ID, &o.Entity, &o.RecordKey, &o.Op, &fields, &base, &o.ChangedAt, &o.State, &o.Attempts,
		&o.LastError, &o.Correlation, &o.HaloID, &o.SentAt, &o.CreatedAt, &o.UpdatedAt, &o.PushedAt,
		&o.Edits, &payload, &o.SentEdits, &o.NextAttemptAt)
	if err != nil {
		return nil, err
	}
	if o.Fields, err = decodeObject(fields); err != nil {
		return nil, fmt.Errorf("outbox %d fields: %w", o.ID, err)
	}
	if base != nil {
		if o.Base, err = decodeObject(base); err != nil {
			return nil, fmt.Errorf("outbox %d base: %w", o.ID, err)
		}
	}
	if payload != nil {
		if o.Payload, err = decodeObject(payload); err != nil {
			return nil, fmt.Errorf("outbox %d payload: %w", o.ID, err)
		}
	}
	return &o, nil
}

// decodeObject decodes a JSON object keeping numbers exact (json.Number).
func decodeObject(b []byte) (map[string]any, error) {
	m := map[string]any{}
	if len(b) == 0 {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// ErrNoOutbox is returned when an outbox id does not exist.
var ErrNoOutbox = errors.New("store: no such outbox row")

// GetOutbox reads one outbox row.
func (s *Store) GetOutbox(ctx context.Context, q Querier, id int64) (*OutboxRow, error) {
	o, err := scanOutbox(q.QueryRow(ctx, `SELECT `+outboxCols+` FROM halosync.outbox WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoOutbox
	}
	if err != nil {
		return nil, fmt.Errorf("error reading outbox %d: %w", id, err)
	}
	return o, nil
}

// LockOutbox reads one outbox row FOR UPDATE inside tx. Lock the mirror row first (LockMirrorRow): the
// triggers lock the mirror row before the outbox row, and so must everyone else.
func (s *Store) LockOutbox(ctx context.Context, tx pgx.Tx, id int64) (*OutboxRow, error) {
	o, err := scanOutbox(tx.QueryRow(ctx, `SELECT `+outboxCols+` FROM halosync.outbox WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoOutbox
	}
	if err != nil {
		return nil, fmt.Errorf("error locking outbox %d: %w", id, err)
	}
	return o, nil
}

// ListOutbox lists outbox rows in the given states (all states when none), oldest first, at most limit
// (0 = no limit).
func (s *Store) ListOutbox(ctx context.Context, q Querier, limit int, states ...string) ([]*OutboxRow, error) {
	sql := `SELECT ` + outboxCols + ` FROM halosync.outbox`
	args := []any{}
	if len(states) > 0 {
		sql += ` WHERE state = ANY($1::text[])`
		args = append(args, states)
	}
	sql += ` ORDER BY id`
	if limit > 0 {
		sql += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("error listing outbox: %w", err)
	}
	defer rows.Close()
	var out []*OutboxRow
	for rows.Next() {
		o, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("error listing outbox: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// PendingPushIDs returns the ids of outbox rows a push should work on now: pending ones and sends left
// unfinished by an interrupted attempt, whose backoff (next_attempt_at) has passed. Parked rows wait for a
// new edit or RetryPush.
func (s *Store) PendingPushIDs(ctx context.Context, q Querier) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM halosync.outbox WHERE state IN ('pending', 'sending')
		AND (next_attempt_at IS NULL OR next_attempt_at <= now()) ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("error listing pending pushes: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("error listing pending pushes: %w", err)
	}
	return ids, nil
}

// OpenOutboxFor returns the id of the open outbox row of a record, or 0.
func (s *Store) OpenOutboxFor(ctx context.Context, q Querier, entity, key string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM halosync.outbox WHERE entity = $1 AND record_key = $2
		AND state IN ('pending', 'sending', 'parked')`, entity, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("error finding outbox of %s %s: %w", entity, key, err)
	}
	return id, nil
}

// Conflict is one row of halosync.conflicts.
type Conflict struct {
	ID              int64
	Entity          string
	RecordKey       string
	Field           string
	LocalValue      any
	RemoteValue     any
	LocalChangedAt  *time.Time
	RemoteChangedAt *time.Time
	Winner          string // "local" or "halo"
	DetectedAt      time.Time
	AcknowledgedAt  *time.Time
}

// RecordConflict writes a conflict. Text a jsonb value cannot hold (a NUL byte, invalid UTF-8: Halo may
// serve either) is stored with U+FFFD in its place, as in halosync.rejects, so the conflict is recorded.
func (s *Store) RecordConflict(ctx context.Context, q Querier, c Conflict) error {
	lv, err := json.Marshal(sanitizeValue(c.LocalValue))
	if err != nil {
		return fmt.Errorf("error encoding conflict: %w", err)
	}
	rv, err := json.Marshal(sanitizeValue(c.RemoteValue))
	if err != nil {
		return fmt.Errorf("error encoding conflict: %w", err)
	}
	_, err = q.Exec(ctx, `INSERT INTO halosync.conflicts (entity, record_key, field, local_value, remote_value,
		local_changed_at, remote_changed_at, winner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.Entity, c.RecordKey, c.Field, lv, rv, c.LocalChangedAt, c.RemoteChangedAt, c.Winner)
	if err != nil {
		return fmt.Errorf("error recording conflict on %s %s: %w", c.Entity, c.RecordKey, err)
	}
	return nil
}

// ListConflicts lists conflicts, newest first; only unacknowledged ones when open.
func (s *Store) ListConflicts(ctx context.Context, q Querier, open bool) ([]Conflict, error) {
	sql := `SELECT id, entity, record_key, field, local_value, remote_value, local_changed_at, remote_changed_at,
		winner, detected_at, acknowledged_at FROM halosync.conflicts`
	if open {
		sql += ` WHERE acknowledged_at IS NULL`
	}
	rows, err := q.Query(ctx, sql+` ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("error listing conflicts: %w", err)
	}
	defer rows.Close()
	var out []Conflict
	for rows.Next() {
		var c Conflict
		var lv, rv []byte
		if err := rows.Scan(&c.ID, &c.Entity, &c.RecordKey, &c.Field, &lv, &rv, &c.LocalChangedAt,
			&c.RemoteChangedAt, &c.Winner, &c.DetectedAt, &c.AcknowledgedAt); err != nil {
			return nil, fmt.Errorf("error listing conflicts: %w", err)
		}
		c.LocalValue, c.RemoteValue = decodeAny(lv), decodeAny(rv)
		out = append(out, c)
	}
	return out, rows.Err()
}

func decodeAny(b []byte) any {
	if b == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v)
	return v
}

// AcknowledgeConflict marks a conflict seen; it returns false when it was already acknowledged or absent.
func (s *Store) AcknowledgeConflict(ctx context.Context, q Querier, id int64) (bool, error) {
	tag, err := q.Exec(ctx, `UPDATE halosync.conflicts SET acknowledged_at = now() WHERE id = $1 AND acknowledged_at IS NULL`, id)
	if err != nil {
		return false, fmt.Errorf("error acknowledging conflict %d: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ParseRecordKey splits a record key ("42" or "42/3" for actions) into t's key values.
func (t *Table) ParseRecordKey(key string) ([]int64, error) {
	parts := strings.Split(key, "/")
	if len(parts) != len(t.Keys) {
		return nil, fmt.Errorf("store: record key %q does not fit %s", key, t.Entity)
	}
	out := make([]int64, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: record key %q of %s: %w", key, t.Entity, err)
		}
		out[i] = n
	}
	return out, nil
}

// sanitizeValue returns v with every string in it (at any depth of maps and slices) through sanitizeText.
func sanitizeValue(v any) any {
	switch x := v.(type) {
	case string:
		return sanitizeText(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[sanitizeText(k)] = sanitizeValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sanitizeValue(e)
		}
		return out
	}
	return v
}

// RecordOwnTicketWrite notes, with the stored reply of a ticket push, Halo's last_update of the ticket
// before our POST and the one our POST produced (halosync.own_ticket_writes). When the push's read found
// our own previous write (before equals the recorded after), the earlier before is kept: several pushes of
// ours in a row still date back to the last write that was not ours.
func (s *Store) RecordOwnTicketWrite(ctx context.Context, q Querier, ticketID int64, before, after time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO halosync.own_ticket_writes AS w (ticket_id, halo_before, halo_after)
		VALUES ($1, $2, $3)
		ON CONFLICT (ticket_id) DO UPDATE SET
			halo_before = CASE WHEN w.halo_after = EXCLUDED.halo_before THEN w.halo_before ELSE EXCLUDED.halo_before END,
			halo_after = EXCLUDED.halo_after, recorded_at = now()`, ticketID, before, after)
	if err != nil {
		return fmt.Errorf("error recording our own write of ticket %d: %w", ticketID, err)
	}
	return nil
}

// TicketTimeBeforeOwnWrite returns the ticket's last_update before our own write when lastUpdate (Halo's
// current last_update of the ticket) is the time our latest push of it produced; nil when it is not (an
// agent wrote the ticket or one of its actions since, or we never recorded a write).
func (s *Store) TicketTimeBeforeOwnWrite(ctx context.Context, q Querier, ticketID int64, lastUpdate time.Time) (*time.Time, error) {
	var before time.Time
	err := q.QueryRow(ctx, `SELECT halo_before FROM halosync.own_ticket_writes WHERE ticket_id = $1 AND halo_after = $2`,
		ticketID, lastUpdate).Scan(&before)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error reading our own write of ticket %d: %w", ticketID, err)
	}
	return &before, nil
}
