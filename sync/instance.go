package sync

import (
	"context"
	gosync "sync"
	"time"

	"github.com/halosync/halosync/store"
)

// instanceEvery is how often the pulls re-read Halo's version (GET
// /api/InstanceInfo): Halo upgrades a tenant a few times a month, so an hour
// costs one request an hour (shared by every replica through
// halosync.instance_versions) and dates an upgrade to within the hour.
const instanceEvery = time.Hour

// instanceCheck remembers, per process, when the version was last asked for,
// so a tenant that refuses /InstanceInfo (403, 404) costs one request an
// hour too, not one per pull.
type instanceCheck struct {
	mu     gosync.Mutex
	tried  time.Time
	failed bool
}

// refreshInstance re-reads Halo's version when the newest recorded sighting
// is older than instanceEvery. A pull calls it once it has read its entity,
// with its request counter (the run that asks pays for the request), before
// its ledger row is finished: FinishRun records the version seen last.
// Failing to read it never fails the pull: the failure is logged and the run
// records the version seen before.
func (p *Puller) refreshInstance(ctx context.Context) {
	ic := &p.instance
	ic.mu.Lock()
	defer ic.mu.Unlock()
	if ic.failed && time.Since(ic.tried) < instanceEvery {
		return
	}
	_, seen, ok, err := p.Store.LatestInstanceVersion(ctx)
	if err != nil {
		p.logger().Warn("reading the latest Halo version failed", "err", err)
		return
	}
	if ok && time.Since(seen) < instanceEvery {
		return
	}
	ic.tried = time.Now()
	info, err := p.Halo.InstanceInfo(ctx)
	if err == nil {
		err = p.Store.SaveInstanceVersion(ctx, store.InstanceVersion{AppVersion: info.AppVersion, AppName: info.AppName,
			DatabaseVersion: info.DatabaseVersion, HostedGroup: info.HostedGroup, Raw: info.Raw})
	}
	ic.failed = err != nil
	if err != nil && ctx.Err() == nil {
		p.logger().Warn("reading Halo's version (GET /api/InstanceInfo) failed; runs record the version seen last", "err", err)
	}
}
