package sync_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/store"
)

// Issue 21: the report views, the report columns and the documented semantics, checked on a mirror filled by
// a real first sync from the fake Halo (so the decoder, the store and the migration are all in the loop).

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, pool.QueryRow(context.Background(), sql, args...).Scan(&n), sql)
	return n
}

func TestAnalystViews(t *testing.T) {
	t.Parallel()
	e := newEnv(t, halofake.Options{BulkActions: true}, tiny)
	e.cycle(t, false)
	p := e.pool

	t.Run("OpenTicketsOneRowPerOpenTicket", func(t *testing.T) {
		open := count(t, p, `SELECT count(*) FROM halo.tickets WHERE deleted_at IS NULL AND dateclosed IS NULL`)
		require.Positive(t, open)
		require.Equal(t, open, count(t, p, `SELECT count(*) FROM halo.open_tickets`))
		require.Equal(t, open, count(t, p, `SELECT count(DISTINCT id) FROM halo.open_tickets`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.open_tickets WHERE agent_id = 1 OR agent_name = 'Unassigned'`))
		require.Positive(t, count(t, p, `SELECT count(*) FROM halo.open_tickets WHERE agent_id IS NULL`), "the fake leaves 30 % unassigned")
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.open_tickets
			WHERE client_name IS NULL OR status_name IS NULL OR tickettype_name IS NULL OR team_name IS NULL OR priority_name IS NULL`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.open_tickets WHERE fix_overdue IS DISTINCT FROM (fixbydate < now())`))
	})

	t.Run("PriorityJoinDoesNotMultiply", func(t *testing.T) {
		// The trap the README used to suggest: priorityid alone repeats once per SLA.
		tickets := count(t, p, `SELECT count(*) FROM halo.tickets WHERE deleted_at IS NULL`)
		require.Greater(t, count(t, p, `SELECT count(*) FROM halo.tickets t JOIN halo.priorities pr ON pr.priorityid = t.priority_id
			WHERE t.deleted_at IS NULL`), tickets, "the fake has two SLAs with the same priority numbers")
		require.Equal(t, tickets, count(t, p, `SELECT count(*) FROM halo.tickets t
			JOIN halo.priorities pr ON (pr.slaid, pr.priorityid) = (t.sla_id, t.priority_id) AND pr.deleted_at IS NULL
			WHERE t.deleted_at IS NULL`))

		// A policy Halo re-created under a new GUID for the same (slaid, priorityid) replaces the old row (which
		// is tombstoned) instead of failing the pull on the unique key; the join still gives one row per ticket.
		st := store.New(p)
		prio := store.Tables["priorities"]
		var oldID string
		require.NoError(t, p.QueryRow(context.Background(),
			`SELECT id FROM halo.priorities WHERE slaid = 1 AND priorityid = 1 AND deleted_at IS NULL`).Scan(&oldID))
		row := prio.RowFrom(map[string]any{"id": "00000000-0000-0000-0000-00000000abcd", "priorityid": int64(1), "slaid": int64(1),
			"name": "Critical (new)", "ishidden": false, "colour": nil, "fixtime": nil, "fixunits": nil, "responsetime": nil,
			"responseunits": nil, "raw": []byte(`{"id":"00000000-0000-0000-0000-00000000abcd","priorityid":1,"slaid":1}`), "halo_updated_at": nil})
		require.NoError(t, pgx.BeginFunc(context.Background(), p, func(tx pgx.Tx) error {
			_, err := st.Upsert(context.Background(), tx, prio, []store.Row{row})
			return err
		}))
		require.Equal(t, int64(1), count(t, p, `SELECT count(*) FROM halo.priorities WHERE id = $1 AND deleted_at IS NOT NULL`, oldID))
		require.Equal(t, tickets, count(t, p, `SELECT count(*) FROM halo.tickets t
			JOIN halo.priorities pr ON (pr.slaid, pr.priorityid) = (t.sla_id, t.priority_id) AND pr.deleted_at IS NULL
			WHERE t.deleted_at IS NULL`))
		// Two live rows for one (slaid, priorityid) cannot exist, whoever writes them.
		_, err := p.Exec(context.Background(), `UPDATE halo.priorities SET deleted_at = NULL WHERE id = $1`, oldID)
		require.NoError(t, err)
		require.Equal(t, int64(1), count(t, p, `SELECT count(*) FROM halo.priorities WHERE slaid = 1 AND priorityid = 1 AND deleted_at IS NULL`))
		// Without the replacing trigger, the unique key itself refuses the second live row.
		err = pgx.BeginFunc(context.Background(), p, func(tx pgx.Tx) error {
			if _, err := tx.Exec(context.Background(), `DROP TRIGGER halosync_priorities_replace ON halo.priorities`); err != nil {
				return err
			}
			_, err := tx.Exec(context.Background(), `UPDATE halo.priorities SET deleted_at = NULL WHERE slaid = 1 AND priorityid = 1`)
			return err
		})
		var pgErr *pgconn.PgError
		require.True(t, errors.As(err, &pgErr), "duplicate live priority stored: %v", err)
		require.Equal(t, "23505", pgErr.Code)
	})

	t.Run("TimeEntriesLeaveSystemActionsOut", func(t *testing.T) {
		// The fake, like the live capture, puts time on system "Rule Applied" actions and flags them billable.
		require.Positive(t, count(t, p, `SELECT count(*) FROM halo.actions WHERE who_type = 0 AND timetaken > 0 AND actisbillable`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.time_entries WHERE outcome = 'Rule Applied'`))
		var hours, want, billable, wantBillable float64
		require.NoError(t, p.QueryRow(context.Background(),
			`SELECT coalesce(sum(hours), 0), coalesce(sum(billable_hours), 0) FROM halo.time_entries`).Scan(&hours, &billable))
		require.NoError(t, p.QueryRow(context.Background(), `SELECT coalesce(sum(a.timetaken), 0),
			coalesce(sum(a.timetaken) FILTER (WHERE a.actisbillable), 0)
			FROM halo.actions a JOIN halo.tickets t ON t.id = a.ticket_id AND t.deleted_at IS NULL
			WHERE a.deleted_at IS NULL AND a.who_type = 1`).Scan(&want, &wantBillable))
		require.Positive(t, hours)
		require.InDelta(t, want, hours, 1e-9)
		require.InDelta(t, wantBillable, billable, 1e-9)
		require.Less(t, billable, hours, "the fake marks a share of agent time non-billable")
		require.Equal(t, count(t, p, `SELECT count(*) FROM halo.time_entries`),
			count(t, p, `SELECT count(DISTINCT (ticket_id, action_id)) FROM halo.time_entries`))
	})

	t.Run("FirstResponseIsTheFirstAgentAction", func(t *testing.T) {
		require.Equal(t, count(t, p, `SELECT count(*) FROM halo.tickets WHERE deleted_at IS NULL`),
			count(t, p, `SELECT count(*) FROM halo.ticket_first_response`))
		// Recomputed independently with GROUP BY; no difference either way.
		require.Zero(t, count(t, p, `SELECT count(*) FROM (
			(SELECT ticket_id, responded_at FROM halo.ticket_first_response WHERE responded_at IS NOT NULL
			 EXCEPT
			 SELECT a.ticket_id, min(a.datetime) FROM halo.actions a JOIN halo.tickets t ON t.id = a.ticket_id
			 WHERE t.deleted_at IS NULL AND a.deleted_at IS NULL AND a.id > 1 AND a.who_agentid > 1 AND a.who_type <> 0
			   AND a.datetime >= t.dateoccurred GROUP BY a.ticket_id)
			UNION ALL
			(SELECT a.ticket_id, min(a.datetime) FROM halo.actions a JOIN halo.tickets t ON t.id = a.ticket_id
			 WHERE t.deleted_at IS NULL AND a.deleted_at IS NULL AND a.id > 1 AND a.who_agentid > 1 AND a.who_type <> 0
			   AND a.datetime >= t.dateoccurred GROUP BY a.ticket_id
			 EXCEPT
			 SELECT ticket_id, responded_at FROM halo.ticket_first_response)) d`))
		require.Positive(t, count(t, p, `SELECT count(*) FROM halo.ticket_first_response WHERE responded_in_time`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.ticket_first_response
			WHERE responded_at IS NOT NULL AND responded_in_time IS DISTINCT FROM (responded_at <= respondbydate)`))
	})

	t.Run("ReportColumnsMatchRaw", func(t *testing.T) {
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.actions WHERE
			old_status IS DISTINCT FROM nullif((raw->>'old_status')::bigint, 0)
			OR who_type IS DISTINCT FROM (raw->>'who_type')::bigint
			OR actisbillable IS DISTINCT FROM (raw->>'actisbillable')::boolean
			OR actionchargehours IS DISTINCT FROM (raw->>'actionchargehours')::numeric
			OR actionnonchargehours IS DISTINCT FROM (raw->>'actionnonchargehours')::numeric
			OR nonbilltime IS DISTINCT FROM (raw->>'nonbilltime')::numeric`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.actions WHERE old_status IS NULL OR who_type IS NULL OR actisbillable IS NULL`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.priorities WHERE fixtime IS DISTINCT FROM (raw->>'fixtime')::numeric
			OR responsetime IS DISTINCT FROM (raw->>'responsetime')::numeric OR (fixtime IS NULL AND deleted_at IS NULL)`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.assets WHERE status_name IS DISTINCT FROM raw->>'status_name' OR status_name IS NULL`))
	})

	t.Run("AgentTeamsAndAssetLookups", func(t *testing.T) {
		agents := count(t, p, `SELECT count(*) FROM halo.agents WHERE deleted_at IS NULL AND jsonb_array_length(raw->'teams') > 0`)
		require.Positive(t, agents)
		require.Equal(t, agents, count(t, p, `SELECT count(DISTINCT agent_id) FROM halo.agent_teams`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.agent_teams at JOIN halo.agents a ON a.id = at.agent_id
			WHERE at.team_id IS NULL OR at.team_name IS DISTINCT FROM a.team`), "the fake gives each agent its primary team")
		require.Equal(t, count(t, p, `SELECT count(DISTINCT assettype_id) FROM halo.assets WHERE deleted_at IS NULL`),
			count(t, p, `SELECT count(*) FROM halo.asset_types WHERE name IS NOT NULL`))
		require.Equal(t, count(t, p, `SELECT count(*) FROM halo.assets WHERE deleted_at IS NULL`),
			count(t, p, `SELECT sum(live_assets) FROM halo.asset_statuses WHERE name IS NOT NULL`))
	})

	t.Run("NoneIsNullNotZero", func(t *testing.T) {
		// The comments promise NULL where Halo sends 0 or -1 for "none".
		require.Positive(t, count(t, p, `SELECT count(*) FROM halo.tickets WHERE (raw->>'contract_id')::bigint = -1 AND contract_id IS NULL`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.tickets WHERE contract_id <= 0`))
		require.Positive(t, count(t, p, `SELECT count(*) FROM halo.users WHERE (raw->>'linked_agent_id')::bigint = 0 AND linked_agent_id IS NULL`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.users WHERE linked_agent_id <= 0`))
		require.Positive(t, count(t, p, `SELECT count(*) FROM halo.actions WHERE (raw->>'who_agentid')::bigint = 0 AND who_agentid IS NULL`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.actions WHERE who_agentid <= 0`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.contracts WHERE site_id <= 0`))
		// new_status holds the status after every action, changed or not.
		require.Positive(t, count(t, p, `SELECT count(*) FROM halo.actions WHERE new_status = old_status`))
		require.Zero(t, count(t, p, `SELECT count(*) FROM halo.actions WHERE new_status IS DISTINCT FROM (raw->>'new_status')::bigint`))
	})

	t.Run("FirstSyncAnalyzesWhatItLoaded", func(t *testing.T) {
		// The shared test server runs with autovacuum off, as in the issue: only halosync's own ANALYZE sets these.
		for _, tbl := range []string{"tickets", "actions", "users", "clients"} {
			require.Equal(t, int64(1), count(t, p, `SELECT count(*) FROM pg_stat_user_tables
				WHERE schemaname = 'halo' AND relname = $1 AND last_analyze IS NOT NULL`, tbl), tbl)
		}
	})

	t.Run("ReaderSeesViewsAndFreshness", func(t *testing.T) {
		require.NoError(t, store.New(p).Reject(context.Background(), p, "tickets", "999999", []byte(`{"id":999999}`), "test: unstorable"))
		tx, err := p.Begin(context.Background())
		require.NoError(t, err)
		defer func() { _ = tx.Rollback(context.Background()) }()
		_, err = tx.Exec(context.Background(), `SET LOCAL ROLE halosync_reader`)
		require.NoError(t, err)
		var tickets, rows int64
		var full *time.Time
		require.NoError(t, tx.QueryRow(context.Background(),
			`SELECT live_rows, last_full_at FROM halo.sync_status WHERE entity = 'tickets'`).Scan(&tickets, &full))
		require.Positive(t, tickets)
		require.NotNil(t, full, "a first sync is a full pull")
		require.NoError(t, tx.QueryRow(context.Background(), `SELECT count(*) FROM halo.sync_rejects
			WHERE entity = 'tickets' AND record_key = '999999' AND reason = 'test: unstorable'`).Scan(&rows))
		require.Equal(t, int64(1), rows)
		require.NoError(t, tx.QueryRow(context.Background(), `SELECT rejects FROM halo.sync_status WHERE entity = 'tickets'`).Scan(&rows))
		require.Equal(t, int64(1), rows)
		require.NoError(t, tx.QueryRow(context.Background(), `SELECT count(*) FROM halo.open_tickets`).Scan(&rows))
		require.Positive(t, rows)
	})
}

func TestTombstonedTicketSemantics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, halofake.Options{}, tiny)
	e.cycle(t, false)
	ctx := context.Background()
	var id int64
	var before time.Time
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT id, halo_updated_at FROM halo.tickets
		WHERE deleted_at IS NULL AND NOT deleted ORDER BY id LIMIT 1`).Scan(&id, &before))
	e.fake.Delete("tickets", id)
	e.cycle(t, false)

	// What halo.tickets.deleted's comment says: the row is tombstoned with deleted_at, and keeps deleted = false
	// and its old halo_updated_at (the deletion is learnt from the deleted-tickets list, not a new copy).
	var deletedAt *time.Time
	var deleted bool
	var after time.Time
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT deleted_at, deleted, halo_updated_at FROM halo.tickets WHERE id = $1`, id).
		Scan(&deletedAt, &deleted, &after))
	require.NotNil(t, deletedAt)
	require.False(t, deleted)
	require.True(t, before.Equal(after))
	require.Zero(t, count(t, e.pool, `SELECT count(*) FROM halo.open_tickets WHERE id = $1`, id))
	require.Zero(t, count(t, e.pool, `SELECT count(*) FROM halo.ticket_first_response WHERE ticket_id = $1`, id))
	require.Equal(t, int64(1), count(t, e.pool, `SELECT count(*) FROM halo.changes
		WHERE entity = 'tickets' AND record_key = $1 AND deleted_at IS NOT NULL AND synced_at > now() - interval '1 hour'`, strconv.FormatInt(id, 10)))
}

// TestChangeFollowingMissesNothing plays the documented rule for following changes: each read also takes
// pg_snapshot_xmin(pg_current_snapshot()), the next reads change_xid >= it. A row written by a transaction
// that commits after a read began (the case synced_at cannot cover: its value is the writer's start time) is
// still found by the next read.
func TestChangeFollowingMissesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, halofake.Options{}, tiny)
	e.cycle(t, false)
	ctx := context.Background()
	p := e.pool
	require.Zero(t, count(t, p, `SELECT count(*) FROM halo.tickets WHERE change_xid IS NULL`))

	read := func(from string) (ids map[int64]bool, next string) {
		rows, err := p.Query(ctx, `SELECT id, pg_snapshot_xmin(pg_current_snapshot())::text FROM halo.tickets
			WHERE change_xid >= $1::xid8 UNION ALL SELECT NULL, pg_snapshot_xmin(pg_current_snapshot())::text`, from)
		require.NoError(t, err)
		ids = map[int64]bool{}
		for rows.Next() {
			var id *int64
			require.NoError(t, rows.Scan(&id, &next))
			if id != nil {
				ids[*id] = true
			}
		}
		require.NoError(t, rows.Err())
		return ids, next
	}
	_, horizon := read("0")

	// A writer (the pull's own path: store.Upsert in its transaction) starts, writes ticket 1 and stays open.
	st := store.New(p)
	tickets := store.Tables["tickets"]
	var raw []byte
	require.NoError(t, p.QueryRow(ctx, `SELECT raw FROM halo.tickets WHERE id = 1`).Scan(&raw))
	var m map[string]any
	require.NoError(t, pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT to_jsonb(t) - 'raw' - 'synced_at' - 'deleted_at' - 'change_xid' FROM halo.tickets t WHERE id = 1`).Scan(&m)
	}))
	slow, err := p.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = slow.Rollback(ctx) }()
	row := ticketRowFromMap(t, tickets, m, `{"id":1,"summary":"changed while a reader read"}`)
	_, err = st.Upsert(ctx, slow, tickets, []store.Row{row})
	require.NoError(t, err)

	// A reader reads now: the uncommitted change is invisible to it, and so is ticket 1.
	seen, next := read(horizon)
	require.False(t, seen[1])
	require.NoError(t, slow.Commit(ctx))

	// By synced_at the change is older than the read, so "synced_at > last read" would skip it; by change_xid
	// the next read finds it.
	seen, _ = read(next)
	require.True(t, seen[1], "a change committed after a read began must be in the next read")
}

// ticketRowFromMap rebuilds a store row of tickets from to_jsonb column values with a new raw.
func ticketRowFromMap(t *testing.T, tbl *store.Table, m map[string]any, raw string) store.Row {
	t.Helper()
	now := time.Now() // newer than the stored copy, so no rule against older copies applies
	cols := map[string]any{"raw": []byte(raw), "halo_updated_at": &now}
	for _, c := range append(append([]store.Column(nil), tbl.Keys...), tbl.Columns...) {
		v := m[c.Name]
		switch c.Type {
		case store.TypeBigint:
			if f, ok := v.(float64); ok {
				v = int64(f)
			}
		case store.TypeTimestamptz:
			if s, ok := v.(string); ok {
				ts, err := time.Parse(time.RFC3339Nano, s)
				require.NoError(t, err)
				v = &ts
			} else {
				v = (*time.Time)(nil)
			}
		}
		cols[c.Name] = v
	}
	for _, g := range tbl.Generated {
		delete(cols, g)
	}
	return tbl.RowFrom(cols)
}
