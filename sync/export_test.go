package sync

import "context"

// SetAfterPost installs the test hook that runs after a successful POST, before the local commit.
func SetAfterPost(p *Pusher, f func(ctx context.Context, outboxID int64) error) { p.afterPost = f }
