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
}

// Open reports whether the row still waits for a push (pending, sending or parked).
func (o *OutboxRow) Open() bool { return o.State != OutboxDone }

const outboxCols = `id, entity, record_key, op, fields, base, changed_at, state, attempts, last_error, correlation,
	halo_id, sent_at, created_at, updated_at, pushed_at`

func scanOutbox(row pgx.Row) (*OutboxRow, error) {
	var o OutboxRow
	var fields, base []byte
	err := row.Scan(&o.ID, &o.Entity, &o.RecordKey, &o.Op, &fields, &base, &o.ChangedAt, &o.State, &o.Attempts,
		&o.LastError, &o.Correlation, &o.HaloID, &o.SentAt, &o.CreatedAt, &o.UpdatedAt, &o.PushedAt)
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

// PendingPushIDs returns the ids of outbox rows a push should work on: pending ones and creates left in
// sending by an interrupted attempt. Parked rows wait for a new edit or RetryPush.
func (s *Store) PendingPushIDs(ctx context.Context, q Querier) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM halosync.outbox WHERE state IN ('pending', 'sending') ORDER BY id`)
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

// MarkSending commits a create's intent before its POST: state sending, the correlation value that finds
// the record in Halo after a crash, and the send time.
func (s *Store) MarkSending(ctx context.Context, q Querier, id int64, correlation string) error {
	_, err := q.Exec(ctx, `UPDATE halosync.outbox SET state = 'sending', correlation = $2, sent_at = now(),
		attempts = attempts + 1, updated_at = now() WHERE id = $1`, id, correlation)
	if err != nil {
		return fmt.Errorf("error marking outbox %d sending: %w", id, err)
	}
	return nil
}

// FinishOutbox marks a push done (in the transaction that stored Halo's reply). note, when set, is kept in
// last_error (e.g. "deleted in Halo").
func (s *Store) FinishOutbox(ctx context.Context, q Querier, id int64, haloID *int64, note string) error {
	_, err := q.Exec(ctx, `UPDATE halosync.outbox SET state = 'done', halo_id = coalesce($2, halo_id),
		last_error = NULLIF($3, ''), pushed_at = now(), updated_at = now() WHERE id = $1`, id, haloID, note)
	if err != nil {
		return fmt.Errorf("error finishing outbox %d: %w", id, err)
	}
	return nil
}

// ParkOutbox parks a push Halo rejected, with Halo's message. It stays parked until the row is edited again
// (the trigger puts it back to pending) or RetryPush.
func (s *Store) ParkOutbox(ctx context.Context, q Querier, id int64, msg string) error {
	_, err := q.Exec(ctx, `UPDATE halosync.outbox SET state = 'parked', last_error = $2,
		attempts = attempts + CASE WHEN state = 'sending' THEN 0 ELSE 1 END, updated_at = now() WHERE id = $1`, id, sanitizeText(msg))
	if err != nil {
		return fmt.Errorf("error parking outbox %d: %w", id, err)
	}
	return nil
}

// FailOutbox notes a failed attempt that will be retried (the state is kept).
func (s *Store) FailOutbox(ctx context.Context, q Querier, id int64, msg string) error {
	_, err := q.Exec(ctx, `UPDATE halosync.outbox SET last_error = $2,
		attempts = attempts + CASE WHEN state = 'sending' THEN 0 ELSE 1 END, updated_at = now()
		WHERE id = $1 AND state <> 'done'`, id, sanitizeText(msg))
	if err != nil {
		return fmt.Errorf("error noting outbox %d failure: %w", id, err)
	}
	return nil
}

// RetryPush puts a parked push back to pending and notifies the workers (operators' retry). It returns false
// when the row is not parked.
func (s *Store) RetryPush(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE halosync.outbox SET state = 'pending', attempts = 0, updated_at = now()
			WHERE id = $1 AND state = 'parked'`, id)
		if err != nil {
			return err
		}
		ok = tag.RowsAffected() == 1
		if ok {
			_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, PushChannel, strconv.FormatInt(id, 10))
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("error retrying outbox %d: %w", id, err)
	}
	return ok, nil
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

// RecordConflict writes a conflict.
func (s *Store) RecordConflict(ctx context.Context, q Querier, c Conflict) error {
	lv, err := json.Marshal(c.LocalValue)
	if err != nil {
		return fmt.Errorf("error encoding conflict: %w", err)
	}
	rv, err := json.Marshal(c.RemoteValue)
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

func (t *Table) keyWhere(first int) string {
	var w []string
	for i, c := range t.Keys {
		w = append(w, fmt.Sprintf("%s = $%d", pgx.Identifier{c.Name}.Sanitize(), first+i))
	}
	return strings.Join(w, " AND ")
}

// LockMirrorRow locks one mirror row FOR UPDATE and returns its columns as a JSON object (Postgres's own
// rendering, so values compare with the outbox's fields and base), or nil when the row does not exist.
func (s *Store) LockMirrorRow(ctx context.Context, tx pgx.Tx, t *Table, keys []int64) (map[string]any, error) {
	return s.mirrorRow(ctx, tx, t, keys, " FOR UPDATE")
}

// MirrorRow reads one mirror row as LockMirrorRow does, without locking.
func (s *Store) MirrorRow(ctx context.Context, q Querier, t *Table, keys []int64) (map[string]any, error) {
	return s.mirrorRow(ctx, q, t, keys, "")
}

func (s *Store) mirrorRow(ctx context.Context, q Querier, t *Table, keys []int64, lock string) (map[string]any, error) {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	var b []byte
	err := q.QueryRow(ctx, `SELECT to_jsonb(x) - 'raw' FROM `+t.Name+` x WHERE `+t.keyWhere(1)+lock, args...).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error reading %s %v: %w", t.Entity, keys, err)
	}
	return decodeObject(b)
}

// MaxID returns the highest positive id of t's mirror rows (for actions: of one ticket's actions).
func (s *Store) MaxID(ctx context.Context, q Querier, t *Table, ticketID int64) (int64, error) {
	var n int64
	var err error
	if t.Entity == "actions" {
		err = q.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM halo.actions WHERE ticket_id = $1`, ticketID).Scan(&n)
	} else {
		err = q.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM `+t.Name).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("error reading max id of %s: %w", t.Entity, err)
	}
	return n, nil
}

// RemapID moves a locally created row from its temporary id to its Halo id, with every reference to it in
// the mirror and in open outbox rows (halosync.remap_id). It runs as a sync write (no echo).
func (s *Store) RemapID(ctx context.Context, tx pgx.Tx, entity string, oldID, newID, ticketID int64) error {
	if err := markSyncOrigin(ctx, tx); err != nil {
		return err
	}
	var tid *int64
	if entity == "actions" {
		tid = &ticketID
	}
	// A pull may have stored the record under its Halo id before its create was confirmed here (a create
	// adopted after a crash): that copy gives way to the local row, which Halo's record then overwrites.
	t, ok := Tables[entity]
	if !ok {
		return fmt.Errorf("store: no mirror table %q", entity)
	}
	var err error
	if entity == "actions" {
		_, err = tx.Exec(ctx, `DELETE FROM halo.actions WHERE ticket_id = $1 AND id = $2`, ticketID, newID)
	} else {
		_, err = tx.Exec(ctx, `DELETE FROM `+t.Name+` WHERE id = $1`, newID)
	}
	if err != nil {
		return fmt.Errorf("error clearing the pulled copy of %s %d: %w", entity, newID, err)
	}
	if _, err := tx.Exec(ctx, `SELECT halosync.remap_id($1, $2, $3, $4)`, entity, oldID, newID, tid); err != nil {
		return fmt.Errorf("error moving %s %d to Halo id %d: %w", entity, oldID, newID, err)
	}
	return nil
}

// MarkSyncOrigin tags tx as halosync's own write (SET LOCAL halosync.origin = 'sync'), so the push triggers
// ignore it.
func MarkSyncOrigin(ctx context.Context, tx pgx.Tx) error { return markSyncOrigin(ctx, tx) }
