package jobs

import (
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
// nothing, so a 429 waits a minute, and a busy entity a little.
const (
	snoozeBusy        = 15 * time.Second
	snoozeRateLimited = time.Minute
)

// Steer turns an error from sync into River's language: snooze when a
// request may not go out yet (attempts are not burned), cancel when retrying
// cannot help (the reason stays on the job and in the run ledger), and plain
// errors for transient failures, retried by RetryPolicy.
func Steer(err error) error {
	if err == nil {
		return nil
	}
	var (
		wait   *halo.WaitError
		rl     *halo.RateLimitedError
		auth   *halo.AuthError
		forbid *halo.ForbiddenError
		valid  *halo.ValidationError
		mass   *hsync.MassDeleteError
	)
	switch {
	case errors.Is(err, hsync.ErrBusy):
		return river.JobSnooze(snoozeBusy)
	case errors.As(err, &wait):
		return river.JobSnooze(max(wait.Until.Sub(time.Now()), time.Second))
	case errors.As(err, &rl):
		return river.JobSnooze(snoozeRateLimited)
	case errors.As(err, &auth), errors.As(err, &forbid), errors.As(err, &valid), errors.As(err, &mass):
		return river.JobCancel(err)
	}
	return err
}

// RetryPolicy retries transient failures exponentially with jitter, from
// 10 s up to 30 minutes: longer than River's default first steps, because a
// Halo outage rarely clears in a second.
type RetryPolicy struct{}

// NextRetry implements river.ClientRetryPolicy.
func (RetryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	attempt := max(len(job.Errors), 0)
	d := 10 * time.Second << min(attempt, 10)
	d = min(d, 30*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(d) / 4))
	return time.Now().Add(d - d/8 + jitter)
}
