package telemetry

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"/api/Tickets":         "/api/Tickets",
		"/api/Tickets/42":      "/api/Tickets/{id}",
		"/api/Actions/3/x/7":   "/api/Actions/{id}/x/{id}",
		"/auth/token":          "/auth/token",
		"":                     "/",
		"/api/Tickets/42/7/99": "/api/Tickets/{id}/{id}/{id}",
	} {
		require.Equal(t, want, Endpoint(in), in)
	}
}

func TestBreakerValue(t *testing.T) {
	require.Equal(t, int64(0), BreakerValue("closed"))
	require.Equal(t, int64(1), BreakerValue("half-open"))
	require.Equal(t, int64(1), BreakerValue("half_open"))
	require.Equal(t, int64(2), BreakerValue("OPEN"))
}
