package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/testdb"
	"github.com/halosync/halosync/store"
)

// TestPullTimeoutLetsRiverRescue: River's rescuer leaves a running job alone
// until the job's Timeout has passed since attempted_at. A pull gets six
// hours when it starts, but a pull whose heartbeat stopped (a killed
// process) must not keep River's rescue away for six hours: past
// heartbeatLost, Timeout answers what the job has already outlived, so the
// rescue applies after RescueStuckJobsAfter like for any other job.
func TestPullTimeoutLetsRiverRescue(t *testing.T) {
	w := &PullWorker{}
	now := time.Now()
	require.Equal(t, pullTimeout, w.Timeout(&river.Job[PullArgs]{JobRow: &rivertype.JobRow{AttemptedAt: &now}}),
		"a starting pull may run for hours")
	dead := now.Add(-rescueAfter - time.Second)
	got := w.Timeout(&river.Job[PullArgs]{JobRow: &rivertype.JobRow{AttemptedAt: &dead}})
	require.Less(t, got, now.Sub(dead), "the rescuer must not ignore a pull whose heartbeat stopped")
	require.Less(t, heartbeatEvery, heartbeatLost)
	require.Less(t, heartbeatLost, rescueAfter, "a live pull beats well within RescueStuckJobsAfter")
}

// TestHeartbeatKeepsRunningPullFresh: the heartbeat moves a running job's
// attempted_at forward (so River's stuck-job query never selects a live
// pull) and stops when the pull ends.
func TestHeartbeatKeepsRunningPullFresh(t *testing.T) {
	pool := testdb.New(t)
	st := store.New(pool)
	ctx := context.Background()
	var id int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, attempt, attempted_at)
VALUES ('{"entity":"tickets"}', 'halosync_pull', 25, 'pull', 'running', 1, now() - interval '1 hour') RETURNING id`).Scan(&id))
	age := func() time.Duration {
		var secs float64
		require.NoError(t, pool.QueryRow(ctx, `SELECT extract(epoch FROM now() - attempted_at) FROM river_job WHERE id = $1`, id).Scan(&secs))
		return time.Duration(secs * float64(time.Second))
	}
	stop := heartbeat(ctx, st, id, 10*time.Millisecond)
	deadline := time.Now().Add(30 * time.Second)
	for age() > time.Minute {
		require.True(t, time.Now().Before(deadline), "the heartbeat did not move attempted_at")
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	_, err := pool.Exec(ctx, `UPDATE river_job SET attempted_at = now() - interval '1 hour' WHERE id = $1`, id)
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	require.Greater(t, age(), 59*time.Minute, "a stopped heartbeat beats no more")
}

// TestActionSweepPerPull: the sweep's per-pull allowance is its share of the
// budget over one tickets interval, never zero.
func TestActionSweepPerPull(t *testing.T) {
	require.Equal(t, 6, ActionSweepPerPull(300, 5*time.Minute, time.Minute))
	require.Equal(t, 1, ActionSweepPerPull(10, time.Hour, time.Minute))
	require.Equal(t, 30, ActionSweepPerPull(300, 5*time.Minute, 5*time.Minute))
}
