package halo

import "errors"

// Class is what an error from this package means for whoever made the request. It is the one place that
// reads HTTP statuses into outcomes; callers switch on Classify and never inspect the typed errors for
// that purpose again (jobs turns a Class into River's snooze/cancel/retry, the pusher into a row's state).
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

// Classify maps an error returned by this package to its Class.
func Classify(err error) Class {
	if err == nil {
		return ClassNone
	}
	var (
		wait   *WaitError
		rl     *RateLimitedError
		auth   *AuthError
		forbid *ForbiddenError
		nf     *NotFoundError
		valid  *ValidationError
	)
	switch {
	case errors.As(err, &wait), errors.As(err, &rl):
		return ClassWait
	case errors.As(err, &auth):
		return ClassAuth
	case errors.As(err, &forbid):
		return ClassForbidden
	case errors.As(err, &nf):
		return ClassNotFound
	case errors.As(err, &valid):
		return ClassRejected
	case IsTransient(err):
		return ClassTransient
	}
	return ClassOther
}
