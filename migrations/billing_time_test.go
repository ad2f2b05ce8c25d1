package migrations_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/internal/testdb"
)

// TestReadOnlyTablesRefuseEdits: invoices, their lines, quote lines, timesheets and time entries refuse every
// local INSERT, UPDATE and DELETE, with an error naming the table as read-only (not a bare "permission
// denied", and never a pushed delete), while halosync's own writes pass.
func TestReadOnlyTablesRefuseEdits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)

	seed := `SET LOCAL halosync.origin = 'sync';
INSERT INTO halo.invoices (id, invoicenumber, raw) VALUES (7, 'INV-7', '{"id": 7}');
INSERT INTO halo.invoice_lines (ihid, id, qty_order, raw) VALUES (7, 1, 2, '{"id": 1}');
INSERT INTO halo.quote_lines (qhid, id, raw) VALUES (3, 1, '{"id": 1}');
INSERT INTO halo.timesheets (agent_id, date, raw) VALUES (2, '2026-12-01', '{}');
INSERT INTO halo.timesheet_events (entry_key, agent_id, raw) VALUES ('ticket/1/2', 2, '{}');`
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, seed)
	require.NoError(t, err, "halosync's own writes pass")
	require.NoError(t, tx.Commit(ctx))

	for _, c := range []struct{ table, sql string }{
		{"invoices", `UPDATE halo.invoices SET invoicenumber = 'X' WHERE id = 7`},
		{"invoices", `DELETE FROM halo.invoices WHERE id = 7`},
		{"invoices", `INSERT INTO halo.invoices (id, raw) VALUES (8, '{}')`},
		{"invoice_lines", `UPDATE halo.invoice_lines SET qty_order = 3`},
		{"quote_lines", `DELETE FROM halo.quote_lines`},
		{"timesheets", `DELETE FROM halo.timesheets`},
		{"timesheet_events", `UPDATE halo.timesheet_events SET note = 'x'`},
	} {
		for _, role := range []string{"halosync_editor", ""} {
			t.Run(c.table+"/"+role, func(t *testing.T) {
				tx, err := pool.Begin(ctx)
				require.NoError(t, err)
				defer func() { _ = tx.Rollback(ctx) }()
				if role != "" {
					_, err = tx.Exec(ctx, `SET LOCAL ROLE `+role)
					require.NoError(t, err)
				}
				_, err = tx.Exec(ctx, c.sql)
				var pgErr *pgconn.PgError
				require.True(t, errors.As(err, &pgErr), "%s: %v", c.sql, err)
				require.Equal(t, "42501", pgErr.Code)
				require.Contains(t, pgErr.Message, "halo."+c.table+" is read-only")
			})
		}
	}

	var outbox, live int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM halosync.outbox`).Scan(&outbox))
	require.Zero(t, outbox, "nothing queued for Halo")
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM halo.invoices WHERE deleted_at IS NULL AND invoicenumber = 'INV-7'`).Scan(&live))
	require.Equal(t, 1, live)
}

// TestPushableBillingTablesCapture: an editor's change of a writable column of the new pushable tables lands
// in the outbox; a change of any other column is refused.
func TestPushableBillingTablesCapture(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	_, err := pool.Exec(ctx, `BEGIN; SET LOCAL halosync.origin = 'sync';
INSERT INTO halo.appointments (id, subject, raw) VALUES (5, 'Visit', '{}');
INSERT INTO halo.items (id, name, raw) VALUES (5, 'Widget', '{}');
INSERT INTO halo.quotes (id, title, raw) VALUES (5, 'Quote', '{}');
INSERT INTO halo.suppliers (id, name, raw) VALUES (5, 'Acme', '{}');
COMMIT`)
	require.NoError(t, err)

	for _, c := range []struct{ table, writable, readonly string }{
		{"appointments", "subject", "agent_name = 'x'"},
		{"items", "name", "datecreated = now()"},
		{"quotes", "title", "client_name = 'x'"},
		{"suppliers", "name", "toplevel_name = 'x'"},
	} {
		t.Run(c.table, func(t *testing.T) {
			tx, err := pool.Begin(ctx)
			require.NoError(t, err)
			defer func() { _ = tx.Rollback(ctx) }()
			_, err = tx.Exec(ctx, `SET LOCAL ROLE halosync_editor`)
			require.NoError(t, err)
			_, err = tx.Exec(ctx, `UPDATE halo.`+c.table+` SET `+c.writable+` = 'changed' WHERE id = 5`)
			require.NoError(t, err)
			_, err = tx.Exec(ctx, `SAVEPOINT s`)
			require.NoError(t, err)
			_, err = tx.Exec(ctx, `UPDATE halo.`+c.table+` SET `+c.readonly+` WHERE id = 5`)
			var pgErr *pgconn.PgError
			require.True(t, errors.As(err, &pgErr), "%v", err)
			require.Equal(t, "42501", pgErr.Code)
			_, err = tx.Exec(ctx, `ROLLBACK TO SAVEPOINT s; RESET ROLE`)
			require.NoError(t, err)
			var fields string
			require.NoError(t, tx.QueryRow(ctx, `SELECT fields::text FROM halosync.outbox WHERE entity = $1 AND record_key = '5'`,
				c.table).Scan(&fields))
			require.JSONEq(t, `{"`+c.writable+`": "changed"}`, fields)
		})
	}
}

// TestBillingQueriesInREADME runs the README's billing, time and appointment queries as halosync_reader on a
// migrated database: they parse, name real columns and need no more than the reader's rights.
func TestBillingQueriesInREADME(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(readme), "**Billing, time and appointments.**")
	require.True(t, ok, "README section missing")
	_, rest, ok = strings.Cut(rest, "```sql\n")
	require.True(t, ok)
	block, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	var n int
	for _, q := range strings.Split(block, ";") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		n++
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `SET LOCAL ROLE halosync_reader`)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, q)
		require.NoError(t, tx.Rollback(ctx))
		require.NoError(t, err, q)
	}
	require.Equal(t, 4, n)
}
