package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

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
