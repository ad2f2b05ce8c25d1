package halo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func okTicket(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte(`{"id":42,"summary":"hello","last_update":"2025-01-01T00:00:00Z"}`))
}

func TestNew_Validation(t *testing.T) {
	t.Parallel()
	_, err := New(Config{BaseURL: "http://acme.halopsa.com", ClientID: "a", ClientSecret: testSecret})
	require.ErrorContains(t, err, "plain http")
	_, err = New(Config{BaseURL: "acme.halopsa.com", ClientID: "a"})
	require.ErrorContains(t, err, "client secret")
	c, err := New(Config{BaseURL: "acme.halopsa.com/api/", ClientID: "a", ClientSecret: testSecret})
	require.NoError(t, err)
	require.Equal(t, "https://acme.halopsa.com", c.base)
	require.Equal(t, defaultTimeout, c.hc.Timeout)
}

func TestAuth_TokenRequest(t *testing.T) {
	t.Parallel()

	t.Run("FormAndUserAgent", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, okTicket)
		c := newTestClient(t, s, func(cfg *Config) { cfg.Tenant = "acme" })
		_, err := getTicket(t.Context(), c, 42)
		require.NoError(t, err)

		form := s.lastTokenForm()
		require.Equal(t, []string{"client_credentials"}, form["grant_type"])
		require.Equal(t, []string{testClientID}, form["client_id"])
		require.Equal(t, []string{testSecret}, form["client_secret"], "credentials in the form (AuthStyleInParams)")
		require.Equal(t, []string{"all"}, form["scope"])
		require.Equal(t, []string{"acme"}, form["tenant"])
		s.mu.Lock()
		defer s.mu.Unlock()
		require.Equal(t, []string{testUA}, s.tokenUA, "User-Agent on the token request")
		require.Equal(t, []string{testUA}, s.apiUA, "User-Agent on API requests")
	})

	t.Run("OnPremiseNoTenantCustomScope", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, okTicket)
		c := newTestClient(t, s, func(cfg *Config) {
			cfg.Tenant, cfg.OnPremise, cfg.Scope, cfg.UserAgent = "acme", true, "read:tickets edit:customers", ""
		})
		_, err := getTicket(t.Context(), c, 42)
		require.NoError(t, err)
		form := s.lastTokenForm()
		require.NotContains(t, form, "tenant")
		require.Equal(t, []string{"read:tickets edit:customers"}, form["scope"])
		s.mu.Lock()
		defer s.mu.Unlock()
		require.Equal(t, defaultUserAgent, s.tokenUA[0])
		require.Equal(t, defaultUserAgent, s.apiUA[0])
	})

	t.Run("CustomAuthURL", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, okTicket)
		c := newTestClient(t, s, func(cfg *Config) { cfg.AuthURL = s.URL + "/auth/" })
		_, err := getTicket(t.Context(), c, 42)
		require.NoError(t, err)
		require.Equal(t, int64(1), s.tokenRequests.Load())
	})
}

func TestAuth_TokenCachedAndShared(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, okTicket)
	// Slow token endpoint so concurrent callers overlap the fetch.
	release := make(chan struct{})
	s.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"tok-shared","token_type":"Bearer","expires_in":3600}`))
	}
	c := newTestClient(t, s)

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := getTicket(context.Background(), c, 42)
			errs <- err
		})
	}
	// Let the first fetch complete; any duplicate fetch would also need a
	// release. The releaser ends with the test (goleak checks).
	done := make(chan struct{})
	var releaser sync.WaitGroup
	releaser.Go(func() {
		for {
			select {
			case release <- struct{}{}:
			case <-done:
				return
			}
		}
	})
	wg.Wait()
	close(done)
	releaser.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(1), s.tokenRequests.Load(), "one token for all concurrent callers")
	require.Equal(t, int64(20), c.Requests())
}

func TestAuth_ShortLivedTokenRefreshedEarly(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, okTicket)
	var n atomic.Int64
	s.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
		// 30 s lifetime is inside the 60 s early-refresh window: never reused.
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":30}`, n.Add(1))
	}
	c := newTestClient(t, s)
	for range 3 {
		_, err := getTicket(t.Context(), c, 42)
		require.NoError(t, err)
	}
	require.Equal(t, int64(3), s.tokenRequests.Load())
}

func TestAuth_401RefreshRetryOnce(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		// The first token is revoked early on Halo's side.
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			calls.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		okTicket(w, r)
	})
	c := newTestClient(t, s)
	tk, err := getTicket(t.Context(), c, 42)
	require.NoError(t, err)
	require.Equal(t, Int(42), tk.ID)
	require.Equal(t, int64(2), s.tokenRequests.Load(), "one fresh token after the 401")
	require.Equal(t, int64(2), c.Requests())
	require.Equal(t, int64(1), calls.Load())

	// The fresh token is cached for later calls.
	_, err = getTicket(t.Context(), c, 42)
	require.NoError(t, err)
	require.Equal(t, int64(2), s.tokenRequests.Load())
}

func TestAuth_401TwiceIsAuthError(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_token"}`))
	})
	c := newTestClient(t, s)
	_, err := getTicket(t.Context(), c, 42)
	var ae *AuthError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusUnauthorized, ae.StatusCode())
	require.Equal(t, "/api/Tickets/42", ae.Path)
	require.Equal(t, int64(2), c.Requests(), "exactly one retry")
	require.Equal(t, int64(2), s.tokenRequests.Load())
	require.False(t, isTransient(err))
	requireNoSecret(t, err)
}

func TestAuth_TokenEndpointErrors(t *testing.T) {
	t.Parallel()

	t.Run("InvalidClient", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, okTicket)
		c := newTestClient(t, s, func(cfg *Config) { cfg.ClientSecret = "wrong-" + testSecret })
		_, err := getTicket(t.Context(), c, 42)
		var ae *AuthError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, "invalid_client", ae.Code)
		require.Equal(t, http.StatusUnauthorized, ae.StatusCode())
		require.True(t, ae.TokenRequest)
		require.Equal(t, int64(0), c.Requests(), "no /api request without a token")
		require.Equal(t, int64(0), s.apiRequests.Load())
		requireNoSecret(t, err)
	})

	t.Run("InvalidScope", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, okTicket)
		s.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_scope","error_description":"The specified 'scope' is invalid: read:actions"}`))
		}
		c := newTestClient(t, s, func(cfg *Config) { cfg.Scope = "read:actions" })
		var gotErr error
		for _, err := range testList(t.Context(), c, ticketsEP, nil) {
			gotErr = err
		}
		var ae *AuthError
		require.ErrorAs(t, gotErr, &ae)
		require.Equal(t, "invalid_scope", ae.Code)
		require.Contains(t, ae.Error(), "read:actions")
		requireNoSecret(t, gotErr)
	})

	t.Run("EchoedSecretIsRedacted", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, okTicket)
		s.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"bad secret %s in %s"}`,
				r.PostForm.Get("client_secret"), url.QueryEscape(string(body)+r.PostForm.Encode()))
		}
		c := newTestClient(t, s)
		_, err := getTicket(t.Context(), c, 42)
		requireNoSecret(t, err)
		require.Contains(t, err.Error(), "[REDACTED]")
	})

	t.Run("ServerErrorAtTokenEndpoint", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, okTicket)
		s.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("upstream " + testSecret))
		}
		c := newTestClient(t, s)
		_, err := getTicket(t.Context(), c, 42)
		var se *ServerError
		require.ErrorAs(t, err, &se)
		require.True(t, isTransient(err))
		requireNoSecret(t, err)
	})
}

func TestErrors_StatusMapping(t *testing.T) {
	t.Parallel()

	t.Run("Forbidden", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
		})
		c := newTestClient(t, s)
		var gotErr error
		for _, err := range testList(t.Context(), c, ticketsEP, nil) {
			gotErr = err
		}
		var fe *ForbiddenError
		require.ErrorAs(t, gotErr, &fe)
		require.Equal(t, "GET", fe.Method)
		require.Equal(t, "/api/Tickets", fe.Path)
		require.Contains(t, fe.Error(), "GET /api/Tickets")
		require.Equal(t, 403, fe.StatusCode())
		require.Equal(t, int64(1), c.Requests(), "no retry")
		require.Equal(t, int64(1), s.tokenRequests.Load())
		require.False(t, isTransient(gotErr))
	})

	t.Run("RateLimited", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`"Rate Limit Reached - 300 Requests per rolling 5 minute window"`))
		})
		c := newTestClient(t, s)
		_, err := getTicket(t.Context(), c, 1)
		var rl *RateLimitedError
		require.ErrorAs(t, err, &rl)
		require.Contains(t, rl.Message, "300 Requests")
		require.Equal(t, 429, rl.StatusCode())
		require.Equal(t, int64(1), c.Requests(), "no retry")
		require.Equal(t, int64(1), s.apiRequests.Load())
		require.True(t, isTransient(err))
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })
		c := newTestClient(t, s)
		_, err := Get(t.Context(), c, "/api/Site/9", nil, func(raw json.RawMessage) (testRow, error) {
			r, _, err := decodeTestRow(raw)
			return r, err
		})
		var nf *NotFoundError
		require.ErrorAs(t, err, &nf)
		require.Equal(t, "/api/Site/9", nf.Path)
	})

	t.Run("ValidationBodies", func(t *testing.T) {
		t.Parallel()
		cases := []struct{ body, want string }{
			{`"CODE:APP03/2 Please select the CAB members to approve"`, "CODE:APP03/2 Please select the CAB members to approve"},
			{`{"error":"Ticket type is required"}`, "Ticket type is required"},
			{`{"error":{"error_description":"Summary too long"}}`, "Summary too long"},
			{`{"ClassName":"System.Exception","Message":"Object reference not set"}`, "Object reference not set"},
			{`{"[0].id":"The value 'abc' is not valid for id."}`, "[0].id: The value 'abc' is not valid for id."},
			{`<html>Bad   Request</html>`, "<html>Bad Request</html>"},
			{``, "Bad Request"},
		}
		for _, tc := range cases {
			s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(tc.body))
			})
			c := newTestClient(t, s)
			_, err := c.Post(t.Context(), "/api/Tickets", map[string]any{"summary": "x"})
			var ve *ValidationError
			require.ErrorAs(t, err, &ve, tc.body)
			require.Equal(t, tc.want, ve.Message, tc.body)
			require.Equal(t, 400, ve.StatusCode())
			require.Equal(t, "POST", ve.Method)
			require.Equal(t, int64(1), c.Requests())
		}
	})

	t.Run("ServerError", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
		c := newTestClient(t, s)
		err := c.Delete(t.Context(), "/api/Client", 3, nil)
		var se *ServerError
		require.ErrorAs(t, err, &se)
		require.Equal(t, 503, se.StatusCode())
		require.Equal(t, int64(1), c.Requests())
	})
}

func TestErrors_Transport(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		hj, ok := w.(http.Hijacker)
		require.True(t, ok)
		conn, _, err := hj.Hijack()
		require.NoError(t, err)
		conn.Close() // drop the connection mid-request
	})
	c := newTestClient(t, s)
	_, err := getTicket(t.Context(), c, 1)
	require.Error(t, err)
	require.True(t, isTransient(err), err.Error())
	requireNoSecret(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = getTicket(ctx, c, 1)
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, isTransient(err))
}

type recordingLimiter struct {
	mu    sync.Mutex
	waits []RequestInfo
	dones []int
	deny  error
}

func (l *recordingLimiter) Wait(_ context.Context, r *RequestInfo) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, *r)
	return l.deny
}

func (l *recordingLimiter) Done(_ *RequestInfo, status int, _ error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dones = append(l.dones, status)
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	first := atomic.Bool{}
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if first.CompareAndSwap(false, true) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		okTicket(w, r)
	})
	l := &recordingLimiter{}
	c := newTestClient(t, s, func(cfg *Config) { cfg.Limiter = l })
	_, err := getTicket(WithPriority(t.Context(), 5), c, 42)
	require.NoError(t, err)
	require.Equal(t, []RequestInfo{
		{Method: "GET", Path: "/api/Tickets/42", Priority: 5},
		{Method: "GET", Path: "/api/Tickets/42", Priority: 5, Refreshed: true},
	}, l.waits, "around every HTTP attempt, the retry (with a refreshed token) included")
	require.Equal(t, []int{401, 200}, l.dones)

	deny := &RateLimitedError{Message: "budget spent"}
	l2 := &recordingLimiter{deny: deny}
	c2 := newTestClient(t, s, func(cfg *Config) { cfg.Limiter = l2 })
	_, err = getTicket(t.Context(), c2, 42)
	require.ErrorIs(t, err, deny)
	require.Equal(t, int64(0), c2.Requests(), "denied before touching the network")
}

func TestClockOffset(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(10*time.Minute).UTC().Format(http.TimeFormat))
		okTicket(w, r)
	})
	c := newTestClient(t, s)
	require.Zero(t, c.ClockOffset())
	_, err := getTicket(t.Context(), c, 42)
	require.NoError(t, err)
	off := c.ClockOffset()
	require.Greater(t, off, 9*time.Minute)
	require.Less(t, off, 11*time.Minute)
}

func TestPost(t *testing.T) {
	t.Parallel()

	t.Run("OneElementArrayAndObjectReply", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, "POST", r.Method)
			require.Equal(t, "/api/Tickets", r.URL.Path)
			require.Equal(t, "application/json", r.Header.Get("Content-Type"))
			body, _ := io.ReadAll(r.Body)
			require.JSONEq(t, `[{"id":42,"status_id":9}]`, string(body))
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":42,"status_id":9,"flastupdate":"2025-01-01T00:00:00.1234567Z"}`))
		})
		c := newTestClient(t, s)
		raw, err := c.Post(t.Context(), "/api/Tickets", map[string]any{"id": 42, "status_id": 9})
		require.NoError(t, err)
		require.JSONEq(t, `{"id":42,"status_id":9,"flastupdate":"2025-01-01T00:00:00.1234567Z"}`, string(raw))
	})

	t.Run("ArrayReplyAnd200", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`[{"ticket_id":7,"id":4}]`))
		})
		c := newTestClient(t, s)
		raw, err := c.Post(t.Context(), "Actions", map[string]any{"ticket_id": 7, "note": "hi"})
		require.NoError(t, err)
		require.JSONEq(t, `{"ticket_id":7,"id":4}`, string(raw))
	})

	t.Run("401RetriesWithSameBody", func(t *testing.T) {
		t.Parallel()
		var bodies []string
		var mu sync.Mutex
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			mu.Unlock()
			if r.Header.Get("Authorization") == "Bearer tok-1" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":1}`))
		})
		c := newTestClient(t, s)
		_, err := c.Post(t.Context(), "/api/Client", map[string]any{"name": "Acme"})
		require.NoError(t, err)
		require.Equal(t, []string{`[{"name":"Acme"}]`, `[{"name":"Acme"}]`}, bodies)
	})
}

func TestDelete(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "DELETE", r.Method)
		require.Equal(t, "/api/Actions/3", r.URL.Path)
		require.Equal(t, url.Values{"ticket_id": {"9499"}}, r.URL.Query())
		w.WriteHeader(http.StatusOK)
	})
	c := newTestClient(t, s)
	require.NoError(t, c.Delete(t.Context(), "/api/Actions", 3, url.Values{"ticket_id": {"9499"}}))
}

func TestRateLimited_RetryAfterWhenPresent(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := newTestClient(t, s)
	_, err := getTicket(t.Context(), c, 1)
	var rl *RateLimitedError
	require.ErrorAs(t, err, &rl)
	require.Equal(t, 30*time.Second, rl.RetryAfter)
}

func TestPost_UnreadableReplyIsNotAFailure(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `[]`, `true`} {
		s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(body))
		})
		c := newTestClient(t, s)
		raw, err := c.Post(t.Context(), "/api/Tickets", map[string]any{"summary": "x"})
		require.NoError(t, err, body)
		require.Nil(t, raw, body)
	}
}

func TestNew_AuthURLMustBeSecure(t *testing.T) {
	t.Parallel()
	_, err := New(Config{BaseURL: "acme.halopsa.com", AuthURL: "http://auth.example.com/auth", ClientID: "a", ClientSecret: testSecret})
	require.ErrorContains(t, err, "plain http")
	_, err = New(Config{BaseURL: "acme.halopsa.com", AuthURL: "https://auth.example.com/auth", ClientID: "a", ClientSecret: testSecret})
	require.NoError(t, err)
}
