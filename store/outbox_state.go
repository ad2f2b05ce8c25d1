package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// The state transitions of a push (halosync.outbox.state), each one statement:
//
//	pending ──MarkSending──▶ sending ──FinishOutbox──▶ done
//	   ▲                      │  │
//	   └──RequeueOutbox───────┘  └──ParkOutbox──▶ parked ──RetryPush / new edit──▶ pending
//	   └──Unsend (nothing reached Halo)             FailOutbox: backoff, or parked after too many attempts

// MarkSending records, before anything goes to Halo, what a push is about to send: state sending, the
// fields (payload) decided at version sentEdits — fields becomes the payload too, since whatever the merge
// left out is settled (sent, or lost a conflict recorded in halosync.conflicts) — the send time, and for a create the correlation value
// that finds the record in Halo after a crash (nil keeps the current one).
func (s *Store) MarkSending(ctx context.Context, q Querier, id int64, correlation *string, payload Values, sentEdits int64) error {
	p, err := payload.JSON()
	if err != nil {
		return fmt.Errorf("error encoding outbox %d payload: %w", id, err)
	}
	_, err = q.Exec(ctx, `UPDATE halosync.outbox SET state = 'sending', correlation = coalesce($2, correlation),
		fields = $3, payload = $3, sent_edits = $4, sent_at = now(), attempts = attempts + 1, updated_at = now() WHERE id = $1`,
		id, correlation, p, sentEdits)
	if err != nil {
		return fmt.Errorf("error marking outbox %d sending: %w", id, err)
	}
	return nil
}

// FinishOutbox marks a push done (in the transaction that stored Halo's reply). note, when set, is kept in
// last_error (e.g. "deleted in Halo").
func (s *Store) FinishOutbox(ctx context.Context, q Querier, id int64, haloID *int64, note string) error {
	_, err := q.Exec(ctx, `UPDATE halosync.outbox SET state = 'done', halo_id = coalesce($2, halo_id),
		last_error = NULLIF($3, ''), next_attempt_at = NULL, pushed_at = now(), updated_at = now() WHERE id = $1`,
		id, haloID, sanitizeText(note))
	if err != nil {
		return fmt.Errorf("error finishing outbox %d: %w", id, err)
	}
	return nil
}

// RequeueOutbox turns a push whose send is over, but which an edit overtook meanwhile, back into a pending
// one: op (a create becomes an update once the record is in Halo), the fields still to send, and base
// merged with what Halo now has. The next push sends them.
func (s *Store) RequeueOutbox(ctx context.Context, q Querier, id int64, op string, fields, baseAdd Values, haloID *int64) error {
	f, err := fields.JSON()
	if err != nil {
		return fmt.Errorf("error encoding outbox %d fields: %w", id, err)
	}
	b, err := baseAdd.JSON()
	if err != nil {
		return fmt.Errorf("error encoding outbox %d base: %w", id, err)
	}
	_, err = q.Exec(ctx, `UPDATE halosync.outbox SET op = $2, state = 'pending', fields = $3,
		base = coalesce(base, '{}'::jsonb) || $4, halo_id = coalesce($5, halo_id), payload = NULL, sent_edits = NULL,
		next_attempt_at = NULL, updated_at = now() WHERE id = $1`, id, op, f, b, haloID)
	if err != nil {
		return fmt.Errorf("error requeueing outbox %d: %w", id, err)
	}
	return nil
}

// ParkOutbox parks a push with a message an operator must act on (Halo's rejection, a create that may
// already be in Halo, too many failed attempts). It stays parked until the row is edited again (the
// trigger puts it back to pending) or RetryPush.
func (s *Store) ParkOutbox(ctx context.Context, q Querier, id int64, msg string) error {
	_, err := q.Exec(ctx, `UPDATE halosync.outbox SET state = 'parked', last_error = $2, next_attempt_at = NULL,
		attempts = attempts + CASE WHEN state = 'sending' THEN 0 ELSE 1 END, updated_at = now() WHERE id = $1`, id, sanitizeText(msg))
	if err != nil {
		return fmt.Errorf("error parking outbox %d: %w", id, err)
	}
	return nil
}

// FailOutbox notes a failed attempt that will be retried: the error, one more attempt, and no next
// attempt before next. When the row has had maxAttempts attempts (0 = no limit) it is parked with the
// error instead; parked reports that.
func (s *Store) FailOutbox(ctx context.Context, q Querier, id int64, msg string, next time.Time, maxAttempts int) (parked bool, err error) {
	var state string
	err = q.QueryRow(ctx, `UPDATE halosync.outbox SET last_error = $2, attempts = attempts + 1,
		state = CASE WHEN $4::int > 0 AND attempts + 1 >= $4::int THEN 'parked' ELSE state END,
		next_attempt_at = CASE WHEN $4::int > 0 AND attempts + 1 >= $4::int THEN NULL ELSE $3::timestamptz END, updated_at = now()
		WHERE id = $1 AND state <> 'done' RETURNING state`, id, sanitizeText(msg), next, maxAttempts).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("error noting outbox %d failure: %w", id, err)
	}
	return state == OutboxParked, nil
}

// Unsend records that nothing of a send reached Halo (it was refused, or never left): a row left sending
// goes back to pending, and a create forgets its correlation value (its next attempt posts with a new one
// instead of looking for a record that cannot exist).
func (s *Store) Unsend(ctx context.Context, q Querier, id int64) error {
	_, err := q.Exec(ctx, `UPDATE halosync.outbox SET state = CASE WHEN state = 'sending' THEN 'pending' ELSE state END,
		correlation = CASE WHEN op = 'create' THEN NULL ELSE correlation END, updated_at = now()
		WHERE id = $1 AND state <> 'done'`, id)
	if err != nil {
		return fmt.Errorf("error noting outbox %d unsent: %w", id, err)
	}
	return nil
}

// RetryPush puts a parked push back to pending and notifies the workers (operators' retry). It returns false
// when the row is not parked. A ticket create that may have reached Halo goes back to sending, so the next
// attempt looks for it (by its correlation value) before posting again.
func (s *Store) RetryPush(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE halosync.outbox SET attempts = 0, next_attempt_at = NULL, updated_at = now(),
			state = CASE WHEN op = 'create' AND correlation IS NOT NULL AND sent_at IS NOT NULL THEN 'sending' ELSE 'pending' END
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

// BreakerProbeAt returns the latest time an open circuit breaker lets its next (probe) request out, or
// nil when none is open (halosync.endpoint_health.open_until).
func (s *Store) BreakerProbeAt(ctx context.Context, q Querier) (*time.Time, error) {
	var t *time.Time
	if err := q.QueryRow(ctx, `SELECT max(open_until) FROM halosync.endpoint_health WHERE open_until > now()`).Scan(&t); err != nil {
		return nil, fmt.Errorf("error reading breaker state: %w", err)
	}
	return t, nil
}
