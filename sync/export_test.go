package sync

import (
	"context"
	"time"
)

// SetAfterPost installs the test hook that runs after a successful POST, before the local commit.
func SetAfterPost(p *Pusher, f func(ctx context.Context, outboxID int64) error) { p.afterPost = f }

// SetAfterGet installs the test hook that runs after an update read Halo's record, before it decides.
func SetAfterGet(p *Pusher, f func(ctx context.Context, outboxID int64)) { p.afterGet = f }

// SetClockOffset pins the Halo clock offset the pusher corrects Halo's last-modified times by (conflicts).
func SetClockOffset(p *Pusher, d time.Duration) { p.clockOffset = func() time.Duration { return d } }
