package halo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// statusVerdict is the classifier's table for an /api answer: what every status becomes.
func statusVerdict(status int) (Class, Cause) {
	switch {
	case status == http.StatusUnauthorized: // twice: after the one token refresh
		return ClassAuth, CauseUnauthorized
	case status == http.StatusForbidden:
		return ClassForbidden, CauseForbidden
	case status == http.StatusNotFound:
		return ClassNotFound, CauseNotFound
	case status == http.StatusTooManyRequests:
		return ClassWait, CauseRateLimited
	case status == http.StatusServiceUnavailable:
		return ClassTransient, CauseUnavailable
	case status == http.StatusGatewayTimeout:
		return ClassTransient, CauseGatewayTimeout
	case status >= 500:
		return ClassTransient, CauseServerError
	}
	return ClassRejected, CauseRejected // 3xx without a Location, 400 and every other 4xx
}

// TestClassify is the classifier's table, tested here once: every status Halo can answer an /api request
// with, the token endpoint's refusals, and failures with no answer, each as the client really returns it.
// Everything else (jobs.Steer, the guard's breakers and hints, the pusher, `halosync check`) reads errors
// only through Classify and is tested against a Class or Cause, not against statuses again.
func TestClassify(t *testing.T) {
	t.Parallel()
	causeClass := map[Cause]Class{}
	check := func(name string, err error, class Class, cause Cause) Verdict {
		t.Helper()
		v := Classify(fmt.Errorf("wrapped: %w", err))
		require.Equal(t, class.String(), v.Class.String(), "%s: %v", name, err)
		require.Equal(t, cause.String(), v.Cause.String(), "%s: %v", name, err)
		if prev, ok := causeClass[v.Cause]; ok {
			require.Equal(t, prev, v.Class, "%s: a Cause belongs to one Class", name)
		}
		causeClass[v.Cause] = v.Class
		return v
	}

	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		var status int
		_, _ = fmt.Sscanf(r.URL.Path, "/api/Tickets/%d", &status)
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(status)
		if status != http.StatusNotModified {
			_, _ = w.Write([]byte(`{"ClassName":"HaloValidationException","Message":"said Halo"}`))
		}
	})
	c := newTestClient(t, s)
	for status := 300; status < 600; status++ {
		_, err := getTicket(t.Context(), c, int64(status))
		require.Error(t, err, "status %d", status)
		class, cause := statusVerdict(status)
		v := check(fmt.Sprint(status), err, class, cause)
		require.Equal(t, status, v.Status)
		require.Equal(t, fmt.Sprintf("/api/Tickets/%d", status), v.Path, "status %d", status)
		if status != http.StatusNotModified && status != http.StatusUnauthorized {
			require.Equal(t, "said Halo", v.Message, "status %d", status)
		}
		if status == http.StatusTooManyRequests {
			require.Equal(t, 7*time.Second, v.RetryAfter)
		}
	}

	token := func(status int, body string) error {
		ts := newTestServer(t, okTicket)
		ts.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
		_, err := getTicket(t.Context(), newTestClient(t, ts), 1)
		return err
	}
	v := check("token invalid_scope", token(400, `{"error":"invalid_scope"}`), ClassAuth, CauseTokenRefused)
	require.Equal(t, "invalid_scope", v.Code)
	require.Equal(t, 400, v.Status)
	v = check("no token endpoint", token(404, ``), ClassAuth, CauseNoTokenEndpoint)
	require.Equal(t, 404, v.Status)
	check("token refused without a code", token(401, `{"message":"nope"}`), ClassAuth, CauseNoTokenEndpoint)
	v = check("token endpoint refuses the client", token(401, `{"error":"invalid_client"}`), ClassAuth, CauseTokenRefused)
	require.Equal(t, "invalid_client", v.Code)
	check("token 429", token(429, ``), ClassWait, CauseRateLimited)
	check("token 500", token(500, ``), ClassTransient, CauseServerError)
	check("token 503", token(503, ``), ClassTransient, CauseUnavailable)

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err := getTicket(t.Context(), newTestClient(t, &testServer{Server: closed}), 1)
	check("connection refused", err, ClassTransient, CauseUnreachable)

	slow := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	_, err = getTicket(t.Context(), newTestClient(t, slow, func(cfg *Config) {
		cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
	}), 1)
	check("no answer within the timeout", err, ClassTransient, CauseTimeout)
	expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = getTicket(expired, c, 1)
	check("the caller's deadline", err, ClassTransient, CauseTimeout)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = getTicket(cancelled, c, 1)
	check("cancelled", err, ClassOther, CauseOther)

	until := time.Now().Add(time.Minute)
	held := newTestClient(t, s, func(cfg *Config) {
		cfg.Limiter = &recordingLimiter{deny: &WaitError{Until: until, Reason: "breaker open"}}
	})
	_, err = getTicket(t.Context(), held, 1)
	v = check("held by the limiter", err, ClassWait, CauseNotSent)
	require.InDelta(t, time.Minute, v.RetryAfter, float64(5*time.Second))
	require.Zero(t, v.Status)

	// Followed by no client (see RedirectError): a redirect is nothing Halo said about the request.
	moved := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/api/Tickets/1", http.StatusTemporaryRedirect)
	})
	_, err = getTicket(t.Context(), newTestClient(t, moved), 1)
	v = check("redirected", err, ClassOther, CauseOther)
	require.Equal(t, http.StatusTemporaryRedirect, v.Status)

	check("not Halo's", errors.New("database gone"), ClassOther, CauseOther)

	wrongType := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id": 1, "ticket_id": "not-a-number"}`))
	})
	_, err = getTicket(t.Context(), newTestClient(t, wrongType), 1)
	check("a record that does not decode", err, ClassOther, CauseUndecodable)

	require.Equal(t, Verdict{}, Classify(nil))
	require.Len(t, causeClass, int(CauseUndecodable), "every Cause but None seen")
}
