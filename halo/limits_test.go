package halo

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResponseBodyCapped: a Halo (or something in its place) that answers with an endless body ends the
// read at the cap with an error naming the endpoint, instead of exhausting memory.
func TestResponseBodyCapped(t *testing.T) {
	const limit = 1 << 20
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":7,"summary":"`))
		chunk := []byte(strings.Repeat("a", 64<<10))
		for range 4 * limit / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`"}`))
	})
	c := newTestClient(t, s, func(cfg *Config) { cfg.MaxResponseBody = limit; cfg.Retry = DefaultRetry })
	_, err := getTicket(context.Background(), c, 7)
	var tooLarge *ResponseTooLargeError
	require.True(t, errors.As(err, &tooLarge), "%v", err)
	require.Contains(t, err.Error(), "/api/Tickets/7")
	require.Contains(t, err.Error(), "larger than 1 MiB")
	require.False(t, isTransient(err))
	require.Equal(t, int64(1), s.apiRequests.Load(), "not retried: the next answer would be as large")

	small := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(t, w, http.StatusOK, map[string]any{"id": 7, "summary": "fits"})
	})
	tk, err := getTicket(context.Background(), newTestClient(t, small), 7)
	require.NoError(t, err)
	require.EqualValues(t, 7, tk.ID)
	require.Equal(t, int64(DefaultMaxResponseBody), newTestClient(t, small).maxBody)
}
