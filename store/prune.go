package store

import (
	"context"
	"fmt"
	"time"
)

// Retention is how long the bookkeeping tables keep their rows; zero keeps them forever.
type Retention struct {
	Webhooks  time.Duration // halosync.webhook_deliveries, by received_at
	Runs      time.Duration // halosync.runs (the run ledger), by started_at
	Outbox    time.Duration // halosync.outbox rows in state done, by updated_at (when they were finished)
	Conflicts time.Duration // halosync.conflicts that were acknowledged, by acknowledged_at
}

// Pruned counts the rows one Prune deleted, per table.
type Pruned struct {
	Webhooks, Runs, Outbox, Conflicts int64
}

// pruneBatch is the most rows one DELETE removes: short transactions keep the row locks brief and let a
// large backlog (the first prune of a months-old install) go in steps.
const pruneBatch = 5000

// pruneTargets are the tables Prune keeps short: each condition selects rows older than $1 (an interval)
// and is served by an index (migrations 00005 and 00007), so a prune that finds nothing costs an index probe.
var pruneTargets = []struct {
	table, cond string
	keep        func(Retention) time.Duration
	count       func(*Pruned) *int64
}{
	{"halosync.webhook_deliveries", `received_at < now() - $1::interval`,
		func(r Retention) time.Duration { return r.Webhooks }, func(p *Pruned) *int64 { return &p.Webhooks }},
	{"halosync.runs", `started_at < now() - $1::interval`,
		func(r Retention) time.Duration { return r.Runs }, func(p *Pruned) *int64 { return &p.Runs }},
	{"halosync.outbox", `state = 'done' AND updated_at < now() - $1::interval`,
		func(r Retention) time.Duration { return r.Outbox }, func(p *Pruned) *int64 { return &p.Outbox }},
	{"halosync.conflicts", `acknowledged_at IS NOT NULL AND acknowledged_at < now() - $1::interval`,
		func(r Retention) time.Duration { return r.Conflicts }, func(p *Pruned) *int64 { return &p.Conflicts }},
}

// Prune deletes, by age, the webhook deliveries, run ledger rows, finished (done) outbox rows and
// acknowledged conflicts older than their retention. Open conflicts and pending, sending or parked outbox
// rows are never touched: they are work, not history. Ages are measured on the database's clock.
func (s *Store) Prune(ctx context.Context, r Retention) (Pruned, error) {
	var p Pruned
	for _, t := range pruneTargets {
		keep := t.keep(r)
		if keep <= 0 {
			continue
		}
		sql := fmt.Sprintf(`DELETE FROM %[1]s WHERE ctid IN (SELECT ctid FROM %[1]s WHERE %[2]s LIMIT %[3]d)`,
			t.table, t.cond, pruneBatch)
		for {
			tag, err := s.Pool.Exec(ctx, sql, keep)
			if err != nil {
				return p, fmt.Errorf("prune %s: %w", t.table, err)
			}
			*t.count(&p) += tag.RowsAffected()
			if tag.RowsAffected() < pruneBatch {
				break
			}
		}
	}
	return p, nil
}
