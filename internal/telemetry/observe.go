package telemetry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/halosync/halosync/store"
)

// DatabaseOptions configure ObserveDatabase.
type DatabaseOptions struct {
	// Entities are reported even before their first pull (their interval, rejects and conflicts at least).
	Entities []string
	// Interval is how often an entity is pulled (jobs.Schedule.Interval); alerts compare lag with it.
	Interval func(entity string) time.Duration
	// Budget is the halosync.rate_budget row ("halo").
	Budget string
}

// ObserveDatabase registers the gauges read from the database at each collection, so every replica
// reports the whole deployment (Prometheus names):
//
//	halosync_entity_lag_seconds{entity}                     time since the entity's last successful pull
//	halosync_entity_rows{entity}                            live rows in the mirror
//	halosync_entity_last_success_timestamp_seconds{entity}  Unix time of the last successful pull
//	halosync_entity_pull_interval_seconds{entity}           the schedule's interval of the entity
//	halosync_rejects{entity}                                rows in halosync.rejects
//	halosync_conflicts_open{entity}                         unacknowledged rows in halosync.conflicts
//	halosync_breaker_state{endpoint}                        0 closed, 1 half-open, 2 open (halosync.endpoint_health)
//	halosync_pushes{state}                                  outbox rows by state
//	halosync_records_pushed_total{entity}                   completed outbox rows
//	halosync_budget_used{budget}                            requests in the rate budget's current window
//	halosync_budget_limit{budget}                           requests allowed per window
//	halosync_budget_granted_total{budget}                   requests granted since the budget was created
//	halosync_budget_rate_limited_total{budget}              429s from Halo since the budget was created
//	halosync_river_jobs{state}                              River jobs by state
//
// Counts that alerts watch for a rise (rejects, conflicts, parked pushes, jobs by state) are reported at
// zero too, so the first scrape gives them a baseline.
func (t *Telemetry) ObserveDatabase(st *store.Store, opts DatabaseOptions) error {
	if opts.Budget == "" {
		opts.Budget = "halo"
	}
	g, err := newDatabaseGauges(t.Meter())
	if err != nil {
		return fmt.Errorf("telemetry database gauges: %w", err)
	}
	_, err = t.Meter().RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		return g.observe(ctx, o, st, opts)
	}, g.all()...)
	return err
}

type databaseGauges struct {
	lag, lastOK, interval                     metric.Float64ObservableGauge
	rows, rejects, conflicts, breaker, pushes metric.Int64ObservableGauge
	used, limit, jobs                         metric.Int64ObservableGauge
	pushed, granted, limited                  metric.Int64ObservableCounter
}

func newDatabaseGauges(m metric.Meter) (*databaseGauges, error) {
	var err error
	f := func(name, desc, unit string) metric.Float64ObservableGauge {
		g, e := m.Float64ObservableGauge(name, metric.WithDescription(desc), metric.WithUnit(unit))
		err = errors.Join(err, e)
		return g
	}
	i := func(name, desc, unit string) metric.Int64ObservableGauge {
		opts := []metric.Int64ObservableGaugeOption{metric.WithDescription(desc)}
		if unit != "" {
			opts = append(opts, metric.WithUnit(unit))
		}
		g, e := m.Int64ObservableGauge(name, opts...)
		err = errors.Join(err, e)
		return g
	}
	// Counters of the whole deployment kept in the database: unlike the per-process
	// halosync_halo_rate_limited_total they exist (at zero) before the first 429 and survive restarts,
	// so increase() sees the first one.
	c := func(name, desc, unit string) metric.Int64ObservableCounter {
		g, e := m.Int64ObservableCounter(name, metric.WithDescription(desc), metric.WithUnit(unit))
		err = errors.Join(err, e)
		return g
	}
	g := &databaseGauges{
		lag:       f("halosync.entity.lag", "Time since the entity's last successful pull (how far the mirror may be behind Halo)", "s"),
		lastOK:    f("halosync.entity.last_success_timestamp", "Unix time of the entity's last successful pull", "s"),
		interval:  f("halosync.entity.pull_interval", "How often the entity is pulled incrementally (the schedule)", "s"),
		rows:      i("halosync.entity.rows", "Live rows of the entity in the mirror", "{row}"),
		rejects:   i("halosync.rejects", "Records that could not be stored (rows of halosync.rejects)", "{record}"),
		conflicts: i("halosync.conflicts.open", "Unacknowledged push conflicts (halosync.conflicts)", "{conflict}"),
		breaker:   i("halosync.breaker.state", "Circuit breaker per Halo endpoint: 0 closed, 1 half-open, 2 open", ""),
		pushes:    i("halosync.pushes", "Push outbox rows by state", "{push}"),
		used:      i("halosync.budget.used", "Halo requests in the shared rate budget's current window, all replicas", "{request}"),
		limit:     i("halosync.budget.limit", "Halo requests allowed per rate budget window (HALO_RATE_LIMIT)", "{request}"),
		jobs:      i("halosync.river.jobs", "River jobs by state", "{job}"),
		pushed:    c("halosync.records.pushed", "Local edits pushed to Halo (completed outbox rows, all replicas)", "{record}"),
		granted:   c("halosync.budget.granted", "Halo requests granted by the shared rate budget, all replicas, since it was created", "{request}"),
		limited:   c("halosync.budget.rate_limited", "429 answers from Halo, all replicas, since the rate budget was created", "{request}"),
	}
	return g, err
}

func (g *databaseGauges) all() []metric.Observable {
	return []metric.Observable{g.lag, g.lastOK, g.interval, g.rows, g.rejects, g.conflicts, g.breaker, g.pushes,
		g.used, g.limit, g.jobs, g.pushed, g.granted, g.limited}
}

func (g *databaseGauges) observe(ctx context.Context, o metric.Observer, st *store.Store, opts DatabaseOptions) error {
	states, err := st.ListStates(ctx, st.Pool)
	if err != nil {
		return err
	}
	entities := map[string]bool{}
	for _, e := range opts.Entities {
		entities[e] = true
	}
	for e := range states {
		entities[e] = true
	}
	rej, err := st.RejectCounts(ctx, st.Pool)
	if err != nil {
		return err
	}
	conf, err := st.OpenConflictCounts(ctx, st.Pool)
	if err != nil {
		return err
	}
	now := time.Now()
	for e := range entities {
		attrs := metric.WithAttributes(attribute.String("entity", e))
		if s := states[e]; s != nil {
			if d := store.Lag(s, now); d != nil {
				o.ObserveFloat64(g.lag, d.Seconds(), attrs)
			}
			if s.LastSuccessAt != nil {
				o.ObserveFloat64(g.lastOK, float64(s.LastSuccessAt.UnixNano())/1e9, attrs)
			}
			o.ObserveInt64(g.rows, s.Rows, attrs)
		}
		if opts.Interval != nil {
			o.ObserveFloat64(g.interval, opts.Interval(e).Seconds(), attrs)
		}
		o.ObserveInt64(g.rejects, rej[e], attrs)
		o.ObserveInt64(g.conflicts, conf[e], attrs)
	}

	health, err := st.ListHealth(ctx, st.Pool)
	if err != nil {
		return err
	}
	for _, h := range health {
		o.ObserveInt64(g.breaker, BreakerValue(h.BreakerState), metric.WithAttributes(attribute.String("endpoint", h.Endpoint)))
	}

	byState, err := st.OutboxByState(ctx, st.Pool)
	if err != nil {
		return err
	}
	for _, s := range []string{"pending", "sending", "parked"} {
		byState[s] += 0
	}
	for s, n := range byState {
		o.ObserveInt64(g.pushes, n, metric.WithAttributes(attribute.String("state", s)))
	}
	done, err := st.PushedCounts(ctx, st.Pool)
	if err != nil {
		return err
	}
	for e, n := range done {
		o.ObserveInt64(g.pushed, n, metric.WithAttributes(attribute.String("entity", e)))
	}

	switch b, err := st.GetBudget(ctx, opts.Budget); {
	case err == nil:
		attrs := metric.WithAttributes(attribute.String("budget", opts.Budget))
		o.ObserveInt64(g.used, int64(b.InWindow), attrs)
		o.ObserveInt64(g.limit, int64(b.Limit), attrs)
		o.ObserveInt64(g.granted, b.Granted, attrs)
		o.ObserveInt64(g.limited, b.RateLimited, attrs)
	case !errors.Is(err, pgx.ErrNoRows): // no row yet: no process has talked to Halo
		return err
	}

	jobs, err := st.QueueDepth(ctx, st.Pool)
	if err != nil {
		return err
	}
	for _, s := range riverStates {
		o.ObserveInt64(g.jobs, jobs[s], metric.WithAttributes(attribute.String("state", s)))
	}
	return nil
}

// riverStates are River's job states, each reported (zero included) so panels and alerts see them all.
var riverStates = []string{"available", "cancelled", "completed", "discarded", "pending", "retryable", "running", "scheduled"}
