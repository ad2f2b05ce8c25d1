package store_test

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/store"
)

// TestAnalyzeAfterWrites: a bulk write is analysed; where autovacuum is off (here: for the table) it is also
// vacuumed, and where autovacuum runs only analysed (autovacuum vacuums it in the background). A write below
// autovacuum's threshold into an analysed table is left alone.
func TestAnalyzeAfterWrites(t *testing.T) {
	b := setup(t)
	var serverAutovacuum bool
	require.NoError(t, b.store.Pool.QueryRow(b.ctx,
		`SELECT current_setting('autovacuum')::boolean AND current_setting('track_counts')::boolean`).Scan(&serverAutovacuum))

	rows := make([]store.Row, 60)
	for i := range rows {
		rows[i] = ticketRow(int64(i+1), fmt.Sprintf("t%d", i))
	}
	b.upsert(t, "tickets", rows...)
	stats := func(table string) (vacuumed, analysed bool) {
		t.Helper()
		require.NoError(t, b.store.Pool.QueryRow(b.ctx, `SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL
			FROM pg_stat_user_tables WHERE schemaname = 'halo' AND relname = $1`, table).Scan(&vacuumed, &analysed))
		return vacuumed, analysed
	}

	// Autovacuum off for the table: vacuumed and analysed.
	_, err := b.store.Pool.Exec(b.ctx, `ALTER TABLE halo.tickets SET (autovacuum_enabled = false)`)
	require.NoError(t, err)
	ran, err := b.store.AnalyzeAfterWrites(b.ctx, &store.Run{Entity: "tickets", Inserted: 60})
	require.NoError(t, err)
	require.Equal(t, "VACUUM (ANALYZE)", ran)
	v, a := stats("tickets")
	require.True(t, v && a, "vacuumed %v, analysed %v", v, a)

	// A few rows more into the analysed table: under the threshold, nothing runs.
	ran, err = b.store.AnalyzeAfterWrites(b.ctx, &store.Run{Entity: "tickets", Updated: 10})
	require.NoError(t, err)
	require.Empty(t, ran)

	// The table's autovacuum on again: the server's setting decides.
	_, err = b.store.Pool.Exec(b.ctx, `ALTER TABLE halo.clients SET (autovacuum_enabled = true)`)
	require.NoError(t, err)
	clients := make([]store.Row, 60)
	for i := range clients {
		clients[i] = zeroRow(store.Tables["clients"], []any{int64(i + 1)}, fmt.Sprintf(`{"id":%d}`, i+1))
	}
	b.upsert(t, "clients", clients...)
	ran, err = b.store.AnalyzeAfterWrites(b.ctx, &store.Run{Entity: "clients", Inserted: 60})
	require.NoError(t, err)
	v, a = stats("clients")
	require.True(t, a, "analysed")
	if serverAutovacuum {
		require.Equal(t, "ANALYZE", ran)
		require.False(t, v, "left to autovacuum")
	} else {
		require.Equal(t, "VACUUM (ANALYZE)", ran)
		require.True(t, v, "vacuumed")
	}
}

// halosync's pool: JIT off and room for its pulls, unless DATABASE_URL says otherwise.
func TestConfigurePool(t *testing.T) {
	cfg, err := pgxpool.ParseConfig("postgres://u@127.0.0.1:5432/db")
	require.NoError(t, err)
	store.ConfigurePool(cfg, 4)
	require.Equal(t, "off", cfg.ConnConfig.RuntimeParams["jit"])
	require.EqualValues(t, 20, cfg.MaxConns)

	cfg, err = pgxpool.ParseConfig("postgres://u@127.0.0.1:5432/db?jit=on&pool_max_conns=6")
	require.NoError(t, err)
	store.ConfigurePool(cfg, 8)
	require.Equal(t, "on", cfg.ConnConfig.RuntimeParams["jit"])
	require.EqualValues(t, 6, cfg.MaxConns)
}
