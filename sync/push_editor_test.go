package sync_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/store"
)

// editorConn logs in as a role whose only rights are halosync_editor's (created once per cluster; roles are
// shared by every test database).
func editorConn(t *testing.T, e *pushEnv) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	_, err := e.pool.Exec(ctx, `DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'halosync_test_editor') THEN
        CREATE ROLE halosync_test_editor LOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$`)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `GRANT halosync_editor TO halosync_test_editor`)
	require.NoError(t, err)
	cfg := e.pool.Config().ConnConfig.Copy()
	cfg.User, cfg.Password = "halosync_test_editor", ""
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestEditorRole: a role with halosync_editor's rights — DML on the writable mirror tables, nothing on
// halosync.* — edits through the mirror: its UPDATE, INSERT and DELETE are captured and pushed; setting the
// sync's marker (halosync.origin) changes nothing, since only the worker's own login is trusted with it;
// non-writable columns are refused; halosync's and River's tables are out of reach.
func TestEditorRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPushEnv(t)
	ed := editorConn(t, e)
	ticket, asset := e.firstID(t, "tickets"), e.firstID(t, "assets")

	_, err := ed.Exec(ctx, `UPDATE halo.tickets SET summary = 'edited by the editor role' WHERE id = $1`, ticket)
	require.NoError(t, err, "DML on halo.* is enough to edit")

	// Forging the sync's marker does not skip capture or the column guard.
	tx, err := ed.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `SET LOCAL halosync.origin = 'sync'`)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `UPDATE halo.tickets SET details = 'forged as sync' WHERE id = $1`, ticket)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `SAVEPOINT s`)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `UPDATE halo.tickets SET raw = '{}' WHERE id = $1`, ticket)
	require.Equal(t, "42501", pgCode(err), "raw is refused even with the marker: %v", err)
	_, err = tx.Exec(ctx, `ROLLBACK TO SAVEPOINT s`)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	ob := e.outbox(t)
	require.Len(t, ob, 1)
	require.Equal(t, "forged as sync", ob[0].Fields["details"], "the forged write was captured")

	_, err = ed.Exec(ctx, `UPDATE halo.tickets SET client_name = 'not writable' WHERE id = $1`, ticket)
	require.Equal(t, "42501", pgCode(err), "%v", err)

	var temp int64
	require.NoError(t, ed.QueryRow(ctx, `INSERT INTO halo.clients (name) VALUES ('Editor Client') RETURNING id`).Scan(&temp))
	require.Negative(t, temp, "an insert gets a temporary id without rights on halosync's sequence")
	_, err = ed.Exec(ctx, `DELETE FROM halo.assets WHERE id = $1`, asset)
	require.NoError(t, err)

	for _, sql := range []string{`SELECT * FROM halosync.outbox`, `SELECT * FROM river_job`,
		`UPDATE halo.statuses SET name = 'x'`, `SELECT halosync.is_sync()`} {
		_, err := ed.Exec(ctx, sql)
		require.Equal(t, "42501", pgCode(err), "%s: %v", sql, err)
	}
	_, err = ed.Exec(ctx, `SELECT count(*) FROM halo.statuses`)
	require.NoError(t, err, "read access to every mirror table")

	require.Equal(t, 3, e.pushAll(t))
	require.Equal(t, "edited by the editor role", e.record(t, "tickets", ticket)["summary"])
	require.Equal(t, "forged as sync", e.record(t, "tickets", ticket)["details"])
	require.Nil(t, e.record(t, "assets", asset), "deleted in Halo")
	for _, o := range e.outbox(t) {
		require.Equal(t, store.OutboxDone, o.State, "%s %s", o.Entity, o.RecordKey)
	}
}
