package jobs

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	hsync "github.com/halosync/halosync/sync"
)

func TestSteer(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("pull tickets: %w", err) }
	snooze := func(err error) time.Duration {
		var s *river.JobSnoozeError
		require.ErrorAs(t, Steer(wrap(err)), &s, "%v", err)
		return s.Duration
	}
	d := snooze(&halo.WaitError{Until: time.Now().Add(3 * time.Minute), Reason: "breaker open"})
	require.InDelta(t, 3*time.Minute, d, float64(5*time.Second), "snoozed until the request may go")
	require.Equal(t, time.Second, snooze(&halo.WaitError{Until: time.Now().Add(-time.Minute)}))
	require.Equal(t, time.Minute, snooze(&halo.RateLimitedError{}))
	require.Equal(t, snoozeBusy, snooze(hsync.ErrBusy))

	for _, err := range []error{&halo.AuthError{Status: 401}, &halo.ForbiddenError{Method: "GET", Path: "/api/Tickets"},
		&halo.ValidationError{Message: "bad"}, &halo.NotFoundError{}, &hsync.MassDeleteError{Entity: "sites"}} {
		var c *river.JobCancelError
		require.ErrorAs(t, Steer(wrap(err)), &c, "%T", err)
		require.ErrorIs(t, c, err, "the reason stays on the job")
	}
	for _, err := range []error{&halo.ServerError{Status: 503}, errors.New("db gone")} {
		require.Equal(t, wrap(err).Error(), Steer(wrap(err)).Error(), "transient: retried by RetryPolicy")
	}
	require.NoError(t, Steer(nil))
}

func TestRetryDelay(t *testing.T) {
	prev := time.Duration(0)
	for n := range 15 {
		d := retryDelay(n)
		want := min(10*time.Second<<n, 30*time.Minute)
		require.GreaterOrEqual(t, d, want-want/8, "failures %d", n)
		require.Less(t, d, want+want/8, "failures %d", n)
		if n < 8 {
			require.Greater(t, d, prev)
		}
		prev = d
	}
}
