package halo

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Class is what an error from this package means for whoever made the request. Classify is the one place
// that reads HTTP statuses and typed errors into outcomes; callers switch on its Verdict and never inspect
// the typed errors again (jobs turns a Class into River's snooze/cancel/retry, the pusher into a row's
// state, the guard into its breakers, hints and `halosync check` into an operator's fix from the Cause).
type Class int

const (
	// ClassNone: no error.
	ClassNone Class = iota
	// ClassWait: the request did not go out, or Halo asked us to slow down (*WaitError: breaker open or
	// rate budget spent; *RateLimitedError: a 429). Try again after the wait; nothing happened in Halo.
	ClassWait
	// ClassTransient: network failure, timeout or 5xx that outlived the client's own retries. A write may
	// or may not have reached Halo.
	ClassTransient
	// ClassAuth: Halo refused our credentials (token endpoint, or 401 after a refresh). Nothing happened;
	// retrying helps only once the configuration or Halo's side changes.
	ClassAuth
	// ClassForbidden: 403, the API agent may not do this. Nothing happened; as for ClassAuth.
	ClassForbidden
	// ClassNotFound: 404, the record (or its parent) is not in Halo.
	ClassNotFound
	// ClassRejected: 400 and other 4xx: Halo refused the request's content (e.g. a mandatory field).
	ClassRejected
	// ClassOther: not an error about Halo's answer (database, decoding, cancelled context, …).
	ClassOther
)

func (c Class) String() string {
	return [...]string{"none", "wait", "transient", "auth", "forbidden", "not-found", "rejected", "other"}[c]
}

// Reached reports whether a write that failed with this class may have been applied by Halo anyway: only a
// transient failure (the request may have arrived before the connection broke) or an unknown one.
func (c Class) Reached() bool { return c == ClassTransient || c == ClassOther }

// Cause refines a Class into what an operator acts on; hints and messages are written from it. Each Cause
// belongs to exactly one Class (see Classify).
type Cause int

const (
	CauseNone            Cause = iota
	CauseNotSent               // ClassWait: the Limiter held the request back (breaker open, budget spent)
	CauseRateLimited           // ClassWait: 429
	CauseTokenRefused          // ClassAuth: the token endpoint refused the credentials or scope (Code, Status)
	CauseNoTokenEndpoint       // ClassAuth: no OAuth server answered at the token URL (a 3xx/4xx without an OAuth error code)
	CauseUnauthorized          // ClassAuth: 401 from /api again after a fresh token
	CauseForbidden             // ClassForbidden: 403
	CauseNotFound              // ClassNotFound: 404
	CauseRejected              // ClassRejected: 400 and any other 4xx (Message is Halo's reason)
	CauseUnavailable           // ClassTransient: 503
	CauseGatewayTimeout        // ClassTransient: 504, a gateway in front of Halo gave up waiting
	CauseServerError           // ClassTransient: any other 5xx
	CauseTimeout               // ClassTransient: no answer in time (HALO_TIMEOUT or the caller's deadline)
	CauseUnreachable           // ClassTransient: any other network failure (DNS, refused, reset)
	CauseOther                 // ClassOther
	CauseUndecodable           // ClassOther: a 2xx answer that does not decode into the record (*DecodeError)
)

func (c Cause) String() string {
	return [...]string{"none", "not-sent", "rate-limited", "token-refused", "no-token-endpoint", "unauthorized", "forbidden",
		"not-found", "rejected", "unavailable", "gateway-timeout", "server-error", "timeout", "unreachable", "other", "undecodable"}[c]
}

// Verdict is what Classify reads from an error: the Class that decides what happens next, the Cause and
// the details an operator's hint needs.
type Verdict struct {
	Class Class
	Cause Cause
	// Status is the HTTP status Halo answered; 0 when no answer arrived (or the request never left).
	Status int
	// Code is the OAuth error code of a refused token request ("invalid_scope"); "" otherwise.
	Code string
	// Path is the path of the request Halo answered, where the error names it.
	Path string
	// Message is Halo's own text, "" when it sent none.
	Message string
	// RetryAfter is how long until a request may go: the Limiter's wait (CauseNotSent), or a 429's
	// Retry-After (0 when Halo sent none, as it usually does).
	RetryAfter time.Duration
}

// Timeout reports whether the request went unanswered in time, by our timeout or a gateway's.
func (v Verdict) Timeout() bool { return v.Cause == CauseTimeout || v.Cause == CauseGatewayTimeout }

// Classify reads an error returned by this package into its Verdict.
func Classify(err error) Verdict {
	if err == nil {
		return Verdict{}
	}
	v := Verdict{Class: ClassOther, Cause: CauseOther}
	var sc StatusCoder
	if errors.As(err, &sc) {
		v.Status = sc.StatusCode()
	}
	var (
		wait   *WaitError
		rl     *RateLimitedError
		auth   *AuthError
		forbid *ForbiddenError
		nf     *NotFoundError
		valid  *ValidationError
		se     *ServerError
		dec    *DecodeError
	)
	switch {
	case errors.As(err, &wait):
		v.Class, v.Cause, v.RetryAfter = ClassWait, CauseNotSent, time.Until(wait.Until)
	case errors.As(err, &rl):
		v.Class, v.Cause, v.RetryAfter, v.Path, v.Message = ClassWait, CauseRateLimited, rl.RetryAfter, rl.Path, rl.Message
	case errors.As(err, &auth):
		v.Class, v.Cause, v.Code, v.Path, v.Message = ClassAuth, CauseUnauthorized, auth.Code, auth.Path, auth.Message
		switch {
		case auth.TokenRequest && auth.Code == "" && auth.Status >= 300 && auth.Status < 500:
			v.Cause = CauseNoTokenEndpoint
		case auth.TokenRequest:
			v.Cause = CauseTokenRefused
		}
	case errors.As(err, &forbid):
		v.Class, v.Cause, v.Path, v.Message = ClassForbidden, CauseForbidden, forbid.Path, forbid.Message
	case errors.As(err, &nf):
		v.Class, v.Cause, v.Path, v.Message = ClassNotFound, CauseNotFound, nf.Path, nf.Message
	case errors.As(err, &valid):
		v.Class, v.Cause, v.Path, v.Message = ClassRejected, CauseRejected, valid.Path, valid.Message
	case errors.As(err, &dec):
		v.Cause, v.Path = CauseUndecodable, dec.Path
	case isTransient(err):
		v.Class = ClassTransient
		switch {
		case errors.As(err, &se):
			v.Path, v.Message = se.Path, se.Message
			v.Cause = CauseServerError
			switch se.Status {
			case http.StatusServiceUnavailable:
				v.Cause = CauseUnavailable
			case http.StatusGatewayTimeout:
				v.Cause = CauseGatewayTimeout
			}
		case errors.Is(err, context.DeadlineExceeded) || timedOut(err):
			v.Cause = CauseTimeout
		default:
			v.Cause = CauseUnreachable
		}
	}
	return v
}

func timedOut(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
