package jobs

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/halosync/halosync/halo"
	hsync "github.com/halosync/halosync/sync"
)

// Snooze durations. Halo's rate limit is a rolling five-minute window that
// sends no Retry-After (halo-api.md §8): a few seconds of waiting helps
// nothing, so a 429 that reaches a job waits a minute (the Guard has already
// blocked the shared budget until the window rolls, and the next attempt
// snoozes until then), and a busy entity a little.
const (
	snoozeBusy        = 15 * time.Second
	snoozeRateLimited = time.Minute
)

// JobMaxWait is how long a job's Halo request may wait in process for the
// breaker or the rate budget; a longer wait snoozes the job (JobSnooze, so no
// attempt is burned) instead of holding a worker slot.
const JobMaxWait = hsync.ShortWait

// Steer turns an error from sync into River's language. It reads Halo errors only through
// halo.Classify (the one classifier of that boundary) and adds sync's own two:
//
//   - a request may not go out yet (halo.ClassWait: breaker open, budget spent, a 429; the entity busy):
//     JobSnooze until it may — River does not count a snooze as an attempt;
//   - retrying cannot help (auth, forbidden, rejected, not found; the mass-delete guard): JobCancel, with
//     the error kept on the job (and by sync in the run ledger, halosync.runs.error, or for a push on its
//     outbox row, which says when it is tried again);
//   - anything else (5xx and timeouts that outlived the client's in-process retries, database errors):
//     the error itself, retried by RetryPolicy.
func Steer(err error) error {
	if err == nil {
		return nil
	}
	var mass *hsync.MassDeleteError
	if errors.Is(err, hsync.ErrBusy) {
		return river.JobSnooze(snoozeBusy)
	}
	if errors.As(err, &mass) {
		return river.JobCancel(err)
	}
	v := halo.Classify(err)
	switch v.Class {
	case halo.ClassWait:
		if v.Cause == halo.CauseRateLimited {
			return river.JobSnooze(max(snoozeRateLimited, v.RetryAfter))
		}
		return river.JobSnooze(max(v.RetryAfter, time.Second))
	case halo.ClassAuth, halo.ClassForbidden, halo.ClassRejected, halo.ClassNotFound:
		return river.JobCancel(err)
	}
	return err
}

// RetryPolicy retries transient failures exponentially with jitter, from
// 10 s up to 30 minutes: longer than River's default first steps, because a
// Halo outage rarely clears in a second (and the client has already retried
// in process).
type RetryPolicy struct{}

// NextRetry implements river.ClientRetryPolicy.
func (RetryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(retryDelay(len(job.Errors)))
}

// retryDelay is the wait after the given number of failed attempts:
// 10 s · 2^n, capped at 30 minutes, jittered to 7/8–9/8 of it.
func retryDelay(failures int) time.Duration {
	d := 10 * time.Second << min(max(failures, 0), 10)
	d = min(d, 30*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(d) / 4))
	return d - d/8 + jitter
}

// patience bounds the in-process waits of every job's Halo requests (see
// JobMaxWait), pushes and fetches included.
var patience = river.WorkerMiddlewareFunc(func(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
	return doInner(hsync.WithMaxWait(ctx, JobMaxWait))
})
