package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/store"
)

func TestLagSeries(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	ok := []time.Time{now.Add(-90 * time.Minute), now.Add(-25 * time.Minute)}
	got := lagSeries(ok, now, 2*time.Hour, 30*time.Minute)
	require.Len(t, got, 5) // -120, -90, -60, -30, 0 minutes
	require.Nil(t, got[0], "before the first success: unknown, not zero")
	want := []time.Duration{0, 30 * time.Minute, 60 * time.Minute, 25 * time.Minute}
	for i, w := range want {
		require.NotNil(t, got[i+1])
		require.Equal(t, w, *got[i+1], "point %d", i+1)
	}

	s := drawSparkline(got, 10*time.Minute)
	require.Equal(t, "M60.0 39.0 L120.0 20.0 L180.0 1.0 L240.0 23.2", s.Path, "scaled to the worst lag (1h)")
	require.Equal(t, 20.0, s.Limit, "threshold at three intervals (30m)")
	require.Empty(t, drawSparkline(make([]*time.Duration, 3), time.Minute).Path, "never pulled: no line")
}

func TestDrawBudget(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 30, 0, time.UTC)
	c := drawBudget([]store.BudgetMinute{
		{Minute: now.Add(-2 * time.Hour).Truncate(time.Minute), Granted: 99}, // outside the hour
		{Minute: now.Add(-59 * time.Minute).Truncate(time.Minute), Granted: 30},
		{Minute: now.Truncate(time.Minute), Granted: 60, Refused: 5, RateLimited: 2},
	}, 300, 5*time.Minute, now)
	require.Len(t, c.Bars, 2)
	require.Equal(t, 1.0, c.Bars[0].X, "the oldest minute of the hour is the first slot")
	require.Equal(t, 591.0, c.Bars[1].X, "this minute is the last slot")
	require.True(t, c.Bars[1].Limited)
	require.Equal(t, int64(90), c.Granted)
	require.Equal(t, int64(2), c.RateLimited)
	require.Equal(t, "60/min allowed", c.LimitLabel)
	require.InDelta(t, 160-60.0/75*158, c.LimitY, 0.05, "allowance line at 60 of a 75 axis (1.25 × the allowance; the minute outside the hour does not count)")
}
