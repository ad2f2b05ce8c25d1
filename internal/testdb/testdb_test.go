package testdb

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	got, err := withDatabase("postgres://u:p@127.0.0.1:5433/postgres?sslmode=disable", "x_1")
	require.NoError(t, err)
	require.Equal(t, "postgres://u:p@127.0.0.1:5433/x_1?sslmode=disable", got)

	got, err = withDatabase("host=/tmp port=5433 user=postgres dbname=postgres", "x_1")
	require.NoError(t, err)
	require.Equal(t, "host=/tmp port=5433 user=postgres dbname=postgres dbname=x_1", got)
}

// TestNewIsolatedAndDropped creates several databases at once, checks each is migrated and its own, and
// that they are gone once their tests end.
func TestNewIsolatedAndDropped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	names := make(chan string, 4)

	t.Run("group", func(t *testing.T) {
		for range 4 {
			t.Run("db", func(t *testing.T) {
				t.Parallel()
				url, pool := NewURL(t)
				require.Equal(t, url, URL(t))

				var name string
				require.NoError(t, pool.QueryRow(ctx, "SELECT current_database()").Scan(&name))
				require.True(t, strings.HasPrefix(name, "halosync_test_"), name)
				require.True(t, strings.HasSuffix(strings.SplitN(url, "?", 2)[0], "/"+name), url)

				var n int
				require.NoError(t, pool.QueryRow(ctx,
					"SELECT count(*) FROM pg_namespace WHERE nspname IN ('halo', 'halosync')").Scan(&n))
				require.Equal(t, 2, n, "migrated")
				names <- name
			})
		}
	})
	close(names)

	admin := Admin(t)
	for name := range names {
		var exists bool
		require.NoError(t, admin.QueryRow(ctx,
			"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists))
		require.False(t, exists, "database %s dropped at cleanup", name)
	}
}
