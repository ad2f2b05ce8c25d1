package migrations_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/testdb"
)

// Issue 21, the parts that need no data: comments say what is stored, the report indexes serve their
// filters, every report view is readable by halosync_reader, and Windows zones map to IANA names.

// TestCommentsAreHonest fails on the phrases that were untrue: the mirror stores NULL, not Halo's 0 or -1,
// for "none"; the mirror is not read-only; tickets join priorities on (sla_id, priority_id).
func TestCommentsAreHonest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)

	rows, err := pool.Query(ctx, `
SELECT 'halo.' || c.relname || coalesce('.' || a.attname, ''), coalesce(col_description(c.oid, a.attnum), obj_description(c.oid, 'pg_class'))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'halo' AND c.relkind IN ('r', 'v')
UNION ALL SELECT 'schema halo', obj_description('halo'::regnamespace, 'pg_namespace')`)
	require.NoError(t, err)
	comments := map[string]string{}
	for rows.Next() {
		var obj, text string
		require.NoError(t, rows.Scan(&obj, &text))
		comments[obj] = text
	}
	require.NoError(t, rows.Err())
	for obj, text := range comments {
		for _, bad := range []string{"0 when none", "-1 when none", "0 when not an agent", "-1 or 0 when", "0 or -1 when",
			"0 when the status did not change", "empty when", "Read-only mirror"} {
			require.NotContains(t, text, bad, obj)
		}
	}
	require.Contains(t, comments["halo.tickets.priority_id"], "(slaid, priorityid) = (sla_id, priority_id)")
	require.Contains(t, comments["halo.tickets.deleted"], "deleted_at")
	require.Contains(t, comments["schema halo"], "halosync.writable_columns")
	require.Contains(t, comments["halo.actions.new_status"], "old_status")
}

// TestReportIndexes checks each report filter can use its index (sequential scans off, so the answer does
// not depend on table sizes).
func TestReportIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	for _, c := range []struct{ index, query string }{
		{"tickets_open_client_status_idx", `SELECT status_id, count(*) FROM halo.tickets WHERE deleted_at IS NULL AND dateclosed IS NULL AND client_id = 42 GROUP BY status_id`},
		{"tickets_open_client_status_idx", `SELECT count(*) FROM halo.open_tickets WHERE client_id = 42`},
		{"tickets_dateclosed_idx", `SELECT count(*) FROM halo.tickets WHERE dateclosed >= now() - interval '1 month' AND dateclosed < now()`},
		{"tickets_synced_at_idx", `SELECT id FROM halo.tickets WHERE synced_at > now() - interval '1 hour'`},
		{"actions_synced_at_idx", `SELECT id FROM halo.actions WHERE synced_at > now() - interval '1 hour'`},
		{"actions_change_xid_idx", `SELECT id FROM halo.actions WHERE change_xid >= '1000'::xid8`},
		{"tickets_change_xid_idx", `SELECT record_key FROM halo.changes WHERE change_xid >= '1000'::xid8`},
		{"users_synced_at_idx", `SELECT entity, count(*) FILTER (WHERE deleted_at IS NULL) FROM halo.changes WHERE synced_at > now() - interval '1 hour' GROUP BY entity`},
		{"tickets_deleted_at_idx", `SELECT id FROM halo.tickets WHERE deleted_at > now() - interval '1 hour'`},
		{"actions_deleted_at_idx", `SELECT id FROM halo.actions WHERE deleted_at > now() - interval '1 hour'`},
		{"contracts_end_date_idx", `SELECT id FROM halo.contracts WHERE end_date < now() + interval '60 days'`},
		{"priorities_slaid_priorityid_key", `SELECT name FROM halo.priorities WHERE slaid = 1 AND priorityid = 2 AND deleted_at IS NULL`},
	} {
		t.Run(c.index, func(t *testing.T) {
			var plan string
			require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
					return err
				}
				rows, err := tx.Query(ctx, `EXPLAIN `+c.query)
				if err != nil {
					return err
				}
				lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
				plan = strings.Join(lines, "\n")
				return err
			}))
			require.Contains(t, plan, c.index, c.query)
		})
	}
}

// TestReaderReadsReportViews: every view in halo is readable by halosync_reader and halosync_editor, including
// the freshness and rejects views over halosync tables the roles themselves cannot read.
func TestReaderReadsReportViews(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	rows, err := pool.Query(ctx, `SELECT viewname FROM pg_views WHERE schemaname = 'halo' ORDER BY 1`)
	require.NoError(t, err)
	views, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Subset(t, views, []string{"open_tickets", "ticket_first_response", "time_entries", "agent_teams", "asset_types",
		"asset_statuses", "changes", "sync_status", "sync_rejects", "windows_timezones"})
	for _, role := range []string{"halosync_reader", "halosync_editor"} {
		for _, v := range views {
			t.Run(role+"/"+v, func(t *testing.T) {
				tx, err := pool.Begin(ctx)
				require.NoError(t, err)
				defer func() { _ = tx.Rollback(ctx) }()
				_, err = tx.Exec(ctx, `SET LOCAL ROLE `+role)
				require.NoError(t, err)
				_, err = tx.Exec(ctx, `SELECT * FROM halo.`+v+` LIMIT 1`)
				require.NoError(t, err)
			})
		}
	}
	t.Run("SyncStateItselfStaysClosed", func(t *testing.T) {
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback(ctx) }()
		_, err = tx.Exec(ctx, `SET LOCAL ROLE halosync_reader`)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `SELECT * FROM halosync.rejects`)
		require.Error(t, err)
	})
}

// TestWindowsTimezones: every mapped name is a zone Postgres knows, and the function maps the names Halo sends.
func TestWindowsTimezones(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	var unknown []string
	rows, err := pool.Query(ctx, `SELECT iana_name FROM halo.windows_timezones
		WHERE iana_name NOT IN (SELECT name FROM pg_timezone_names) ORDER BY 1`)
	require.NoError(t, err)
	unknown, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Empty(t, unknown, "IANA names Postgres does not know")

	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT windows_name) FROM halo.windows_timezones`).Scan(&n, new(int)))
	require.Greater(t, n, 130)

	for windows, iana := range map[string]string{
		"GMT Standard Time": "Europe/London", "W. Europe Standard Time": "Europe/Berlin",
		"Eastern Standard Time": "America/New_York", "Tokyo Standard Time": "Asia/Tokyo", "UTC": "Etc/UTC",
		"AUS Eastern Standard Time": "Australia/Sydney", "Europe/London": "Europe/London",
	} {
		var got *string
		require.NoError(t, pool.QueryRow(ctx, `SELECT halo.iana_timezone($1)`, windows).Scan(&got))
		require.NotNil(t, got, windows)
		require.Equal(t, iana, *got, windows)
	}
	var got *string
	require.NoError(t, pool.QueryRow(ctx, `SELECT halo.iana_timezone('Not A Zone')`).Scan(&got))
	require.Nil(t, got)

	// The point of it: a UTC instant shown in a site's local time.
	var local string
	require.NoError(t, pool.QueryRow(ctx, `SELECT to_char(timestamptz '2026-07-01 12:00:00+00' AT TIME ZONE halo.iana_timezone('GMT Standard Time'), 'HH24:MI')`).Scan(&local))
	require.Equal(t, "13:00", local)
}
