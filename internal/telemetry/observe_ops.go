package telemetry

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/halosync/halosync/store"
)

// OpsOptions configure ObserveOps.
type OpsOptions struct {
	// Entities are reported even before their first pull (their interval at least).
	Entities []string
	// Interval is how often an entity is pulled (jobs.Schedule.Interval); alerts compare lag with it.
	Interval func(entity string) time.Duration
	// Budget is the halosync.rate_budget row ("halo").
	Budget string
}

// ObserveOps registers the gauges alerts and dashboards need beyond ObserveStore's, all read from the
// database at each collection (so every replica reports the whole deployment):
//
//	halosync_entity_last_success_timestamp_seconds{entity}  Unix time of the last successful pull
//	halosync_entity_pull_interval_seconds{entity}           the schedule's interval of the entity
//	halosync_rejects{entity}                                rows in halosync.rejects
//	halosync_conflicts_open{entity}                         unacknowledged rows in halosync.conflicts
//	halosync_budget_used{budget}                            requests in the rate budget's current window
//	halosync_budget_limit{budget}                           requests allowed per window
//	halosync_budget_granted_total{budget}                   requests granted since the budget was created
//	halosync_budget_rate_limited_total{budget}              429s from Halo since the budget was created
//	halosync_river_jobs{state}                              River jobs by state
func (t *Telemetry) ObserveOps(st *store.Store, opts OpsOptions) error {
	if opts.Budget == "" {
		opts.Budget = "halo"
	}
	m := t.Meter()
	lastOK, err := m.Float64ObservableGauge("halosync.entity.last_success_timestamp", metric.WithDescription("Unix time of the entity's last successful pull"), metric.WithUnit("s"))
	if err != nil {
		return err
	}
	interval, err := m.Float64ObservableGauge("halosync.entity.pull_interval", metric.WithDescription("How often the entity is pulled incrementally (the schedule)"), metric.WithUnit("s"))
	if err != nil {
		return err
	}
	rejects, err := m.Int64ObservableGauge("halosync.rejects", metric.WithDescription("Records that could not be stored (rows of halosync.rejects)"), metric.WithUnit("{record}"))
	if err != nil {
		return err
	}
	conflicts, err := m.Int64ObservableGauge("halosync.conflicts.open", metric.WithDescription("Unacknowledged push conflicts (halosync.conflicts)"), metric.WithUnit("{conflict}"))
	if err != nil {
		return err
	}
	used, err := m.Int64ObservableGauge("halosync.budget.used", metric.WithDescription("Halo requests in the shared rate budget's current window, all replicas"), metric.WithUnit("{request}"))
	if err != nil {
		return err
	}
	limit, err := m.Int64ObservableGauge("halosync.budget.limit", metric.WithDescription("Halo requests allowed per rate budget window (HALO_RATE_LIMIT)"), metric.WithUnit("{request}"))
	if err != nil {
		return err
	}
	// Counters of the whole deployment kept in the database: unlike the per-process
	// halosync_halo_rate_limited_total they exist (at zero) before the first 429 and survive restarts,
	// so increase() sees the first one.
	granted, err := m.Int64ObservableCounter("halosync.budget.granted", metric.WithDescription("Halo requests granted by the shared rate budget, all replicas, since it was created"), metric.WithUnit("{request}"))
	if err != nil {
		return err
	}
	limited, err := m.Int64ObservableCounter("halosync.budget.rate_limited", metric.WithDescription("429 answers from Halo, all replicas, since the rate budget was created"), metric.WithUnit("{request}"))
	if err != nil {
		return err
	}
	jobs, err := m.Int64ObservableGauge("halosync.river.jobs", metric.WithDescription("River jobs by state"), metric.WithUnit("{job}"))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		states, err := st.ListStates(ctx, st.Pool)
		if err != nil {
			return err
		}
		entities := map[string]bool{}
		for _, e := range opts.Entities {
			entities[e] = true
		}
		for e, s := range states {
			entities[e] = true
			if s.LastSuccessAt != nil {
				o.ObserveFloat64(lastOK, float64(s.LastSuccessAt.UnixNano())/1e9, metric.WithAttributes(attribute.String("entity", e)))
			}
		}
		if opts.Interval != nil {
			for e := range entities {
				o.ObserveFloat64(interval, opts.Interval(e).Seconds(), metric.WithAttributes(attribute.String("entity", e)))
			}
		}
		// Zeros are reported too, so "rising" alerts have a baseline from the first scrape.
		rej, err := st.RejectCounts(ctx, st.Pool)
		if err != nil {
			return err
		}
		conf, err := st.OpenConflictCounts(ctx, st.Pool)
		if err != nil {
			return err
		}
		for e := range entities {
			attrs := metric.WithAttributes(attribute.String("entity", e))
			o.ObserveInt64(rejects, rej[e], attrs)
			o.ObserveInt64(conflicts, conf[e], attrs)
		}
		switch b, err := st.GetBudget(ctx, opts.Budget); {
		case err == nil:
			attrs := metric.WithAttributes(attribute.String("budget", opts.Budget))
			o.ObserveInt64(used, int64(b.InWindow), attrs)
			o.ObserveInt64(limit, int64(b.Limit), attrs)
			o.ObserveInt64(granted, b.Granted, attrs)
			o.ObserveInt64(limited, b.RateLimited, attrs)
		case !errors.Is(err, pgx.ErrNoRows): // no row yet: no process has talked to Halo
			return err
		}
		byState, err := st.QueueDepth(ctx, st.Pool)
		if err != nil {
			return err
		}
		for _, s := range riverStates {
			o.ObserveInt64(jobs, byState[s], metric.WithAttributes(attribute.String("state", s)))
		}
		return nil
	}, lastOK, interval, rejects, conflicts, used, limit, granted, limited, jobs)
	return err
}

// riverStates are River's job states, each reported (zero included) so panels and alerts see them all.
var riverStates = []string{"available", "cancelled", "completed", "discarded", "pending", "retryable", "running", "scheduled"}
