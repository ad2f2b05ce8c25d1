package sync

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/halosync/halosync/halo"
)

// breaker is one gobreaker state machine plus the backoff gobreaker lacks:
// gobreaker decides when to trip (ReadyToTrip on its Counts), which outcomes
// count (IsSuccessful, IsExcluded) and lets one probe through when half-open;
// its own open timeout is a millisecond, and openUntil, which grows
// exponentially with every trip in a row, holds requests back instead.
type breaker struct {
	g       *Guard
	key     string // endpoint_health.endpoint
	display string // for messages: "GET /api/Tickets"
	conn    bool   // the connection-wide breaker
	cb      *gobreaker.TwoStepCircuitBreaker[struct{}]

	mu        gosync.Mutex
	level     int       // trips in a row
	openUntil time.Time // no request before this
	cause     error     // the failure that opened it
	config    bool      // opened by a configuration error (401 after refresh, 403)
	pending   error     // latest counted failure, read when gobreaker trips
	dirty     bool      // state or error not yet followed by a recorded success
	seen      bool      // a success has been recorded once
	stateChg  bool      // the state changed since last recorded
}

func (g *Guard) newBreaker(key, display string, conn bool) *breaker {
	b := &breaker{g: g, key: key, display: display, conn: conn}
	st := gobreaker.Settings{
		Name:          key,
		MaxRequests:   1,
		Timeout:       time.Millisecond, // openUntil does the waiting
		OnStateChange: b.onStateChange,
	}
	if conn {
		st.ReadyToTrip = func(c gobreaker.Counts) bool {
			b.mu.Lock()
			auth := isAuth(b.pending)
			b.mu.Unlock()
			return auth || c.ConsecutiveFailures >= uint32(g.cfg.TripAfter)
		}
		st.IsSuccessful = func(err error) bool { return !connFailure(err) }
		st.IsExcluded = excluded
	} else {
		// Only a 403 opens an endpoint's breaker; 400 and 404 are answers
		// that prove access works; load errors belong to the connection.
		st.ReadyToTrip = func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 }
		st.IsSuccessful = func(err error) bool { return !isForbidden(err) }
		st.IsExcluded = func(err error) bool {
			if err == nil || isForbidden(err) {
				return false
			}
			c := halo.Classify(err).Class
			return c != halo.ClassNotFound && c != halo.ClassRejected
		}
	}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](st)
	return b
}

func excluded(err error) bool {
	return errors.Is(err, errNotSent) || errors.Is(err, errRefreshing) || errors.Is(err, context.Canceled)
}

// observe remembers a failure before it is reported to gobreaker, so
// ReadyToTrip and onStateChange know its kind.
func (b *breaker) observe(err error) {
	if err == nil || excluded(err) {
		return
	}
	if b.conn && !connFailure(err) || !b.conn && !isForbidden(err) {
		if !b.conn {
			b.mu.Lock()
			b.dirty = true // record the error on the endpoint's row
			b.mu.Unlock()
		}
		return
	}
	b.mu.Lock()
	b.pending = err
	b.dirty = true
	b.mu.Unlock()
}

// onStateChange runs inside gobreaker's lock: no I/O here.
func (b *breaker) onStateChange(_ string, from, to gobreaker.State) {
	b.mu.Lock()
	now := time.Now()
	b.stateChg = true
	switch to {
	case gobreaker.StateOpen:
		cfg := b.g.cfg
		base, ceil := cfg.OpenBase, cfg.OpenMax
		b.config = false
		switch {
		case isForbidden(b.pending):
			base, ceil, b.config = cfg.ForbiddenBase, cfg.ForbiddenMax, true
		case isAuth(b.pending):
			base, ceil, b.config = cfg.AuthBase, cfg.AuthMax, true
		}
		d := min(base<<min(b.level, 30), ceil)
		b.level++
		b.openUntil = now.Add(d)
		b.cause = b.pending
	case gobreaker.StateClosed:
		b.level = 0
		b.openUntil = time.Time{}
		b.config = false
	}
	cause, until, level := b.cause, b.openUntil, b.level
	b.mu.Unlock()

	log := b.g.log.With("breaker", b.display, "from", from.String(), "to", to.String())
	switch to {
	case gobreaker.StateOpen:
		log.Warn("circuit breaker opened: no request leaves before open_until", "open_until", until, "trips_in_a_row", level,
			"cause", fmt.Sprint(cause), "fix", hintFor(b.display, cause))
	case gobreaker.StateClosed:
		log.Info("circuit breaker closed: requests flow again")
	}
}

// gate returns why no request may go now, or nil.
func (b *breaker) gate() *gate {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !time.Now().Before(b.openUntil) {
		return nil
	}
	reason := b.display + ": circuit breaker open"
	if b.cause != nil {
		reason += " after: " + b.cause.Error()
	}
	if h := hintFor(b.display, b.cause); h != "" {
		reason += " — " + h
	}
	return &gate{until: b.openUntil, reason: reason, config: b.config, breaker: true}
}

// state is the breaker's state as endpoint_health shows it.
func (b *breaker) state() (string, *time.Time) {
	b.mu.Lock()
	until := b.openUntil
	b.mu.Unlock()
	if time.Now().Before(until) {
		return "open", &until
	}
	switch b.cb.State() {
	case gobreaker.StateClosed:
		return "closed", nil
	case gobreaker.StateOpen:
		// gobreaker's own millisecond timeout: half-open at the next request.
		return "half-open", nil
	}
	return "half-open", nil
}

// recovered reports (once) that a success follows an error or a state
// change, or is the first success seen, so it is worth a row update.
func (b *breaker) recovered() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dirty || b.stateChg || !b.seen {
		b.dirty, b.stateChg, b.seen = false, false, true
		return true
	}
	return false
}

// changed reports (once) a state change not yet recorded.
func (b *breaker) changed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.stateChg
	b.stateChg = false
	return c
}
