package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
)

// entityLockKey is LockEntity's advisory lock key for entity.
func entityLockKey(entity string) int64 {
	h := fnv.New64a()
	h.Write([]byte("halosync.pull." + entity))
	return int64(h.Sum64())
}

// RescueOrphanedPulls makes River pull jobs (kind) that are stuck in state running, but whose entity
// advisory lock nobody holds, available again. A pull takes the entity's session lock before its first
// Halo request and keeps it to the end, and a killed process's session (and lock) dies with it; so a
// running pull without its lock belongs to a dead process (SIGKILL, OOM, lost node), and River would
// otherwise leave it running — blocking the entity's unique periodic pulls — until RescueStuckJobsAfter.
// A job caught in the milliseconds between River marking it running and its lock being taken would run
// twice; the second run meets the lock and snoozes, so that is harmless. Returns the ids made available.
func (s *Store) RescueOrphanedPulls(ctx context.Context, kind string) ([]int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, coalesce(args->>'entity', '') FROM river_job WHERE kind = $1 AND state = 'running'`, kind)
	if err != nil {
		return nil, fmt.Errorf("error listing running %s jobs: %w", kind, err)
	}
	type job struct {
		id     int64
		entity string
	}
	var jobs []job
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.id, &j.entity); err != nil {
			rows.Close()
			return nil, fmt.Errorf("error listing running %s jobs: %w", kind, err)
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("error listing running %s jobs: %w", kind, err)
	}
	var rescued []int64
	for _, j := range jobs {
		if j.entity == "" {
			continue
		}
		var id *int64
		// One statement: try the lock, and if it was free, release it and make the job available.
		err := s.Pool.QueryRow(ctx, `WITH l AS (SELECT pg_try_advisory_xact_lock($2) AS free)
UPDATE river_job SET state = 'available', scheduled_at = now()
FROM l WHERE l.free AND id = $1 AND state = 'running' RETURNING id`, j.id, entityLockKey(j.entity)).Scan(&id)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return rescued, fmt.Errorf("error rescuing job %d: %w", j.id, err)
		}
		if id != nil {
			rescued = append(rescued, *id)
		}
	}
	return rescued, nil
}

// pushLockKey is the advisory lock key of the push of one outbox row (LockPush).
func pushLockKey(outboxID int64) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "halosync.push.%d", outboxID)
	return int64(h.Sum64())
}

// LockPush takes the session advisory lock of the push of outbox row outboxID on a connection of its own
// (waiting while another push of the row holds it) and returns its release. A push job holds it for its
// whole run, so RescueOrphanedPushes can tell a push of a live process from one a killed process left.
func (s *Store) LockPush(ctx context.Context, outboxID int64) (func(), error) {
	release, err := s.sessionLock(ctx, pushLockKey(outboxID))
	if err != nil {
		return nil, fmt.Errorf("lock push of outbox %d: %w", outboxID, err)
	}
	return release, nil
}

// ticketCreateKey is the advisory lock key that serialises ticket creates across replicas.
const ticketCreateKey int64 = 0x68616c6f00000010 // "halo"…0x10

// LockTicketCreates takes the session advisory lock that serialises ticket creates across replicas
// (Halo's ticket numbering races on parallel creates, halo-api.md §7.1, §10.16) on a connection of its
// own, and returns its release. It is not a row lock: nothing an analyst or a pull does waits on it.
func (s *Store) LockTicketCreates(ctx context.Context) (func(), error) {
	release, err := s.sessionLock(ctx, ticketCreateKey)
	if err != nil {
		return nil, fmt.Errorf("ticket create lock: %w", err)
	}
	return release, nil
}

// sessionLock takes a session advisory lock on a pooled connection kept out of the pool until release.
func (s *Store) sessionLock(ctx context.Context, key int64) (func(), error) {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire connection: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		conn.Release()
		return nil, err
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// A connection in an unknown state must not go back to the pool still holding the lock.
			_ = conn.Conn().Close(uctx)
		}
		conn.Release()
	}, nil
}

// RescueOrphanedPushes makes River push jobs (kind) that are stuck in state running, but whose push lock
// (LockPush) nobody holds, available again: they belong to a dead process, and River would otherwise leave
// them running — blocking the outbox row's unique push jobs, so the local change waits — until
// RescueStuckJobsAfter. A job caught between River marking it running and its lock being taken runs
// twice; the pushes of one outbox row serialise on that lock and on the row locks, and the second finds
// the row done, so that is harmless. Returns the ids made available.
func (s *Store) RescueOrphanedPushes(ctx context.Context, kind string) ([]int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, (args->>'outbox_id')::bigint FROM river_job
		WHERE kind = $1 AND state = 'running' AND args ? 'outbox_id'`, kind)
	if err != nil {
		return nil, fmt.Errorf("error listing running %s jobs: %w", kind, err)
	}
	type job struct{ id, outbox int64 }
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (job, error) {
		var j job
		return j, r.Scan(&j.id, &j.outbox)
	})
	if err != nil {
		return nil, fmt.Errorf("error listing running %s jobs: %w", kind, err)
	}
	var rescued []int64
	for _, j := range jobs {
		var id *int64
		err := s.Pool.QueryRow(ctx, `WITH l AS (SELECT pg_try_advisory_xact_lock($2) AS free)
UPDATE river_job SET state = 'available', scheduled_at = now()
FROM l WHERE l.free AND id = $1 AND state = 'running' RETURNING id`, j.id, pushLockKey(j.outbox)).Scan(&id)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return rescued, fmt.Errorf("error rescuing job %d: %w", j.id, err)
		}
		if id != nil {
			rescued = append(rescued, *id)
		}
	}
	return rescued, nil
}

// TouchRunningJob moves the attempted_at of River job id forward to now while it is still running: the
// heartbeat of a long job. River's rescuer treats a job as stuck once attempted_at is older than
// RescueStuckJobsAfter, so a live job that beats more often than that is never rescued, while a killed
// one stops beating and is rescued that long after its death. Reports whether the job was still running.
func (s *Store) TouchRunningJob(ctx context.Context, id int64) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE river_job SET attempted_at = now() WHERE id = $1 AND state = 'running'`, id)
	if err != nil {
		return false, fmt.Errorf("error touching job %d: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// HasOrphanedJobs reports whether a pull (pullKind) or push (pushKind) job is running without its advisory
// lock held by anyone, i.e. whether RescueOrphanedPulls or RescueOrphanedPushes would rescue something. It
// only reads (pg_locks): the periodic rescue asks it first so an idle deployment completes no rescue job
// every minute. A session advisory lock on a bigint key shows in pg_locks as classid = its high 32 bits,
// objid = its low 32 bits, objsubid = 1.
func (s *Store) HasOrphanedJobs(ctx context.Context, pullKind, pushKind string) (bool, error) {
	rows, err := s.Pool.Query(ctx, `SELECT kind, coalesce(args->>'entity', ''), coalesce(args->>'outbox_id', '')
		FROM river_job WHERE kind = ANY($1) AND state = 'running'`, []string{pullKind, pushKind})
	if err != nil {
		return false, fmt.Errorf("error listing running jobs: %w", err)
	}
	var keys []int64
	for rows.Next() {
		var kind, entity, outbox string
		if err := rows.Scan(&kind, &entity, &outbox); err != nil {
			rows.Close()
			return false, fmt.Errorf("error listing running jobs: %w", err)
		}
		switch {
		case kind == pullKind && entity != "":
			keys = append(keys, entityLockKey(entity))
		case kind == pushKind && outbox != "":
			var id int64
			if _, err := fmt.Sscan(outbox, &id); err == nil {
				keys = append(keys, pushLockKey(id))
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("error listing running jobs: %w", err)
	}
	if len(keys) == 0 {
		return false, nil
	}
	var orphaned bool
	err = s.Pool.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM unnest($1::bigint[]) AS k(key)
		WHERE NOT EXISTS (SELECT 1 FROM pg_locks l
			WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			  AND l.classid = ((k.key >> 32) & 4294967295)::oid
			  AND l.objid = (k.key & 4294967295)::oid))`, keys).Scan(&orphaned)
	if err != nil {
		return false, fmt.Errorf("error looking for orphaned jobs: %w", err)
	}
	return orphaned, nil
}
