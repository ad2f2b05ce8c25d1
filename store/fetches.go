package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// WaitingFetch returns the id of a job of kind (the webhook's ticket fetch) for ticketID that has not
// started yet, so a webhook delivery about a ticket whose fetch is still waiting adds no second one:
// the waiting fetch reads the ticket as it is when it runs. A running fetch does not count (it may have
// read the ticket before this change). Call it in the transaction that would insert the fetch: it
// takes a transaction lock per ticket, so two deliveries about one ticket cannot both miss each other.
func (s *Store) WaitingFetch(ctx context.Context, tx pgx.Tx, kind string, ticketID int64) (int64, bool, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || ($2::bigint)::text, 0))`, kind, ticketID); err != nil {
		return 0, false, fmt.Errorf("error locking fetches of ticket %d: %w", ticketID, err)
	}
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM river_job
WHERE kind = $1 AND state IN ('available', 'scheduled', 'retryable', 'pending')
  AND args @> jsonb_build_object('ticket_id', $2::bigint)
ORDER BY id LIMIT 1`, kind, ticketID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("error looking for a waiting fetch of ticket %d: %w", ticketID, err)
	}
	return id, true, nil
}
