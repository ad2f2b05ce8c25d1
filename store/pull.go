package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/internal/entity"
)

// RowOf builds the Row that stores rec, a record decoded by t's declaration.
func (t *Table) RowOf(rec entity.Record) Row {
	if rec.Entity() != t.Decl {
		panic(fmt.Sprintf("store: a %s record stored as %s", rec.Entity().Name, t.Entity))
	}
	r := Row{Keys: rec.Keys, Values: rec.Values, Raw: rec.Raw, UpdatedAt: rec.UpdatedAt}
	// Check raw now, on the caller's goroutine: a pull builds rows on the
	// goroutine that reads Halo, ahead of the one that stores them, so the
	// check (a full pass over the JSON) leaves the storing path (issue 11).
	r.rawCheck = &rawCheck{raw: r.Raw, err: CheckRaw(r.Raw)}
	return r
}

// RowFrom builds a Row from column values by name, for rows made by hand
// (tests, tools; a pull's rows come from RowOf): the table's keys and
// columns, plus "raw" ([]byte) and "halo_updated_at" (*time.Time or nil).
// A missing or unknown column is a programming error and panics.
func (t *Table) RowFrom(m map[string]any) Row {
	r := Row{Keys: make([]any, len(t.Keys)), Values: make([]any, len(t.Columns))}
	used := 0
	for i, c := range t.Keys {
		v, ok := m[c.Name]
		if !ok {
			panic(fmt.Sprintf("store: %s row lacks key column %s", t.Entity, c.Name))
		}
		r.Keys[i] = v
		used++
	}
	for i, c := range t.Columns {
		v, ok := m[c.Name]
		if !ok {
			panic(fmt.Sprintf("store: %s row lacks column %s", t.Entity, c.Name))
		}
		r.Values[i] = v
		used++
	}
	if raw, ok := m["raw"].([]byte); ok {
		r.Raw = raw
		used++
	}
	if v, ok := m["halo_updated_at"]; ok {
		if ts, ok := v.(*time.Time); ok {
			r.UpdatedAt = ts
		}
		used++
	}
	for _, g := range t.Generated {
		if _, ok := m[g]; ok {
			used++
		}
	}
	if used != len(m) {
		panic(fmt.Sprintf("store: %s row has %d values the table does not know", t.Entity, len(m)-used))
	}
	r.rawCheck = &rawCheck{raw: r.Raw, err: CheckRaw(r.Raw)} // as RowOf does
	return r
}

// ErrLocked is returned by LockEntity when another session holds the lock.
var ErrLocked = errors.New("store: entity is locked by another session")

// LockEntity takes a session advisory lock for pulling entity, on a
// connection of its own, so one entity is pulled by one process at a time
// across replicas and `sync --once`. The lock dies with the connection, so a
// killed process never leaves it behind. With wait false it returns
// ErrLocked instead of waiting.
func (s *Store) LockEntity(ctx context.Context, entity string, wait bool) (func(), error) {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire connection for lock: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("halosync.pull." + entity))
	key := int64(h.Sum64())
	if wait {
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
			conn.Release()
			return nil, fmt.Errorf("lock %s: %w", entity, err)
		}
	} else {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
			conn.Release()
			return nil, fmt.Errorf("lock %s: %w", entity, err)
		}
		if !ok {
			conn.Release()
			return nil, ErrLocked
		}
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// A connection in an unknown state must not go back to the
			// pool still holding the lock.
			_ = conn.Conn().Close(uctx)
		}
		conn.Release()
	}, nil
}

// CountMissing counts live rows of t (single bigint key) whose id is not in seen.
//
// "Not in seen" is written as an anti join over unnest($1), never NOT (id = ANY($1)): Postgres compares
// each row with the whole array for the latter (10 s for 50k rows here, quadratic: over a minute for a
// 137k-ticket tenant and hours at 1M), while the anti join hashes the array (0.2 s for 200k), with a
// custom or a generic plan alike (a long-running worker's cached statements get generic plans).
func (s *Store) CountMissing(ctx context.Context, q Querier, t *Table, seen []int64) (int, error) {
	var n int
	err := q.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %[1]s WHERE deleted_at IS NULL AND id > 0
AND NOT EXISTS (SELECT 1 FROM unnest($1::bigint[]) AS seen(id) WHERE seen.id = %[1]s.id)`, t.Name), nonNilInt64s(seen)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count missing %s: %w", t.Entity, err)
	}
	return n, nil
}

// CountMissingText is CountMissing for a text key (priorities).
func (s *Store) CountMissingText(ctx context.Context, q Querier, t *Table, seen []string) (int, error) {
	if seen == nil {
		seen = []string{}
	}
	var n int
	err := q.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %[1]s WHERE deleted_at IS NULL
AND NOT EXISTS (SELECT 1 FROM unnest($1::text[]) AS seen(id) WHERE seen.id = %[1]s.id)`, t.Name), seen).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count missing %s: %w", t.Entity, err)
	}
	return n, nil
}

// TicketVersions returns the stored freshness of the given tickets.
func (s *Store) TicketVersions(ctx context.Context, q Querier, ids []int64) (map[int64]TicketVersion, error) {
	return s.ExistingVersions(ctx, q, Tables["tickets"], ids)
}

// QueueActions queues tickets whose actions must be read at the next pull (a sweep entry of the same
// ticket becomes an ordinary one).
func (s *Store) QueueActions(ctx context.Context, q Querier, ticketIDs []int64) error {
	if len(ticketIDs) == 0 {
		return nil
	}
	_, err := q.Exec(ctx, `INSERT INTO halosync.action_queue (ticket_id)
		SELECT unnest($1::bigint[])
		ON CONFLICT (ticket_id) DO UPDATE SET seq = nextval(pg_get_serial_sequence('halosync.action_queue', 'seq')), queued_at = now(), sweep = false`, ticketIDs)
	if err != nil {
		return fmt.Errorf("queue actions: %w", err)
	}
	return nil
}

// ActionQueueHead returns the highest queued sequence and the queue length.
func (s *Store) ActionQueueHead(ctx context.Context, q Querier) (seq int64, n int, err error) {
	err = q.QueryRow(ctx, `SELECT coalesce(max(seq), 0), count(*) FROM halosync.action_queue`).Scan(&seq, &n)
	if err != nil {
		return 0, 0, fmt.Errorf("action queue head: %w", err)
	}
	return seq, n, nil
}

// DequeueActions takes tickets off the queue.
func (s *Store) DequeueActions(ctx context.Context, q Querier, ticketIDs []int64) error {
	_, err := q.Exec(ctx, `DELETE FROM halosync.action_queue WHERE ticket_id = ANY($1::bigint[])`, ticketIDs)
	if err != nil {
		return fmt.Errorf("dequeue actions: %w", err)
	}
	return nil
}

// DequeueActionsUpTo drains the queue up to seq (a bulk walk covered them) and returns how many entries it
// removed.
func (s *Store) DequeueActionsUpTo(ctx context.Context, q Querier, seq int64) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM halosync.action_queue WHERE seq <= $1`, seq)
	if err != nil {
		return 0, fmt.Errorf("dequeue actions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DequeueActionsBefore takes off the queue the tickets (not sweep entries) whose stored last action is
// older than before (a bulk walk that started then listed their actions) and returns how many.
func (s *Store) DequeueActionsBefore(ctx context.Context, q Querier, before time.Time) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM halosync.action_queue a USING halo.tickets t
WHERE t.id = a.ticket_id AND NOT a.sweep AND t.lastactiondate < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("dequeue actions listed by a bulk walk: %w", err)
	}
	return tag.RowsAffected(), nil
}

// TidyActionQueue vacuums the action queue after a bulk walk drained many entries. A first sync queues
// every ticket, and the drained queue's dead rows and index entries cost every later pull's look at the
// queue several milliseconds (the planner, going by the full queue's statistics, walks all of them) until
// autovacuum comes round; vacuumed while it is empty, the table shrinks to nothing. VACUUM cannot run in a
// transaction: a plain Exec on the pool is its own statement. A login that does not own the table gets a
// warning from Postgres, not an error.
func (s *Store) TidyActionQueue(ctx context.Context) error {
	if _, err := s.Pool.Exec(ctx, `VACUUM (ANALYZE) halosync.action_queue`); err != nil {
		return fmt.Errorf("vacuum the action queue: %w", err)
	}
	return nil
}

// TombstoneActionsOfDeletedTickets tombstones the live actions of tombstoned
// tickets: an action is gone with its ticket.
func (s *Store) TombstoneActionsOfDeletedTickets(ctx context.Context, tx pgx.Tx) error {
	_, err := s.tombstoneExec(ctx, tx, Tables["actions"], Tables["actions"].tombstoneSQL(`UPDATE halo.actions a SET deleted_at = now(), synced_at = now()
		FROM halo.tickets t WHERE t.id = a.ticket_id AND t.deleted_at IS NOT NULL AND a.deleted_at IS NULL`, "a"))
	return err
}
