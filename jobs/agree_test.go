package jobs

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// TestEveryStatusAgrees: for every status Halo can answer with, and for an answer that never comes, the
// job (Steer) and the guard's two breakers react as one Class demands. Both read errors only through
// halo.Classify, whose table halo's TestClassify pins; were either to classify a status on its own again
// (a 404 counted as a load failure, a 429 cancelled, …) this fails for that status.
func TestEveryStatusAgrees(t *testing.T) {
	type reaction struct {
		Steer      string // snooze, cancel or retry
		Connection bool   // the connection breaker opens
		Endpoint   bool   // the endpoint's breaker opens
	}
	want := map[halo.Class]reaction{
		halo.ClassWait:      {"snooze", true, false}, // a 429: Halo's budget, shared by the connection
		halo.ClassTransient: {"retry", true, false},
		halo.ClassAuth:      {"cancel", true, false},
		halo.ClassForbidden: {"cancel", false, true},
		halo.ClassNotFound:  {"cancel", false, false},
		halo.ClassRejected:  {"cancel", false, false},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth/token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
			return
		}
		var status int
		_, _ = fmt.Sscanf(r.URL.Path, "/api/Tickets/%d", &status)
		if status == 0 { // no answer: the connection drops
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	statuses := []int{0} // 0: no answer
	for s := 300; s < 600; s++ {
		statuses = append(statuses, s)
	}
	seen := map[halo.Class]bool{}
	for _, status := range statuses {
		g := hsync.NewGuard(hsync.GuardConfig{TripAfter: 1, Log: log})
		c, err := halo.New(halo.Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret", Limiter: g})
		require.NoError(t, err)
		_, err = entity.Tickets.Get(t.Context(), c, []any{int64(status)})
		require.Error(t, err, "status %d", status)
		class := halo.Classify(err).Class
		seen[class] = true

		var got reaction
		steered := Steer(err)
		var snooze *river.JobSnoozeError
		var cancel *river.JobCancelError
		switch {
		case errors.As(steered, &snooze):
			got.Steer = "snooze"
		case errors.As(steered, &cancel):
			got.Steer = "cancel"
		default:
			got.Steer = "retry"
		}
		health := g.Health()
		got.Connection = health[store.ConnectionEndpoint] == "open"
		got.Endpoint = health["GET /api/tickets"] == "open"
		require.Equal(t, want[class], got, "status %d (%s): %v", status, class, err)
	}
	require.Len(t, seen, len(want), "every Class a request can end in was seen")
}
