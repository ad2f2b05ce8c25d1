package sync

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// Defaults for a Puller's knobs.
const (
	// DefaultOverlap re-reads the last five minutes before the cursor: Halo's
	// lastupdatefromdate bound and its offset paging over live data are not
	// exact (halo-api.md §10.4), and upserts make the overlap free of effects.
	DefaultOverlap = 5 * time.Minute
	// DefaultMassDeleteShare is the largest share of a table one run may
	// tombstone by id reconciliation; more than that looks like a permission
	// change or a Halo incident, not real deletions.
	DefaultMassDeleteShare = 0.5
)

// Progress is reported after every stored page.
type Progress struct {
	Entity   string
	Fetched  int   // rows read so far in this run
	Total    int   // Halo's record_count for the walk in progress
	Requests int64 // Halo requests this run has made
	Started  time.Time
	Done     bool
}

// Puller pulls entities from Halo into the mirror.
type Puller struct {
	Halo  *halo.Client
	Store *store.Store
	Log   *slog.Logger
	// Overlap is subtracted from the cursor for incremental reads.
	Overlap time.Duration
	// MassDeleteShare guards id reconciliation (0 → DefaultMassDeleteShare).
	MassDeleteShare float64
	// ProgressFunc, if set, is called after every stored page.
	ProgressFunc func(Progress)
	// WaitForLock makes Pull wait for another process pulling the same
	// entity instead of returning ErrBusy.
	WaitForLock bool
	// OnRun, if set, is called with every finished ledger row (pulls and
	// targeted fetches), e.g. to count records for metrics.
	OnRun func(*store.Run)
	// ActionSweep is how many tickets of the actions sweep (see
	// pullActions) one pull re-reads; 0 reads them all.
	ActionSweep int
	// History is how far back a full pull of a date-bounded entity (time
	// entries, timesheets) reads (0 → DefaultHistory).
	History time.Duration
	// Concurrency is how many entities Cycle pulls at once after the lookups
	// and the recent window (0 or 1: one after the other).
	Concurrency int

	instance instanceCheck // when Halo's version was last read (instance.go)
}

// ErrBusy is returned when another process is pulling the same entity.
var ErrBusy = errors.New("another halosync process is pulling this entity")

// MassDeleteError reports a reconciliation the guard refused.
type MassDeleteError struct {
	Entity         string
	Missing, Total int
	Share          float64
}

func (e *MassDeleteError) Error() string {
	return fmt.Sprintf("mass-delete guard: %s reconciliation would tombstone %d of %d rows (more than %.0f%%); nothing was tombstoned — check the API agent's permissions, then run a full sync", e.Entity, e.Missing, e.Total, e.Share*100)
}

func (p *Puller) logger() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

func (p *Puller) overlap() time.Duration {
	if p.Overlap > 0 {
		return p.Overlap
	}
	return DefaultOverlap
}

func (p *Puller) share() float64 {
	if p.MassDeleteShare > 0 {
		return p.MassDeleteShare
	}
	return DefaultMassDeleteShare
}

// pullRun is the state of one pull while it walks.
type pullRun struct {
	spec     *spec
	run      *store.Run
	state    *store.EntityState
	counter  *halo.RequestCounter
	started  time.Time
	fetched  int
	total    int
	maxSeen  time.Time
	seen     []int64
	seenText []string // for text keys (priorities)
	bound    *time.Time
	ignored  bool // the server ignored lastupdatefromdate
	stamped  bool // at least one row carried a last-update time
	fullWalk bool
	// end is how the entity's walk ended; nil when it did not reach its end.
	end *halo.WalkEnd
	// unkeyed counts rejected rows whose key could not be read: any
	// record may hide behind one, so the walk cannot prove what is gone.
	unkeyed int
	// reconciled is set once a full walk's delete reconciliation ran.
	reconciled bool
	// offset is Halo's clock minus ours, as of the end of the walk.
	offset time.Duration
	// resumable: a full walk that records its position and keys with
	// every stored batch (see store.SaveWalk) and continues from them.
	resumable bool
	// walkStart is when the walk (its first part, if resumed) started on
	// Halo's clock; nil until its first batch is stored.
	walkStart *time.Time
	// seenTickets pairs with seen for actions (ticket of each action id).
	seenTickets []int64
	// windows are the date windows a ByWindow pull reads (see windows.go);
	// windowSeen the keys a walk of windows listed, for its reconcile.
	windows    []window
	windowSeen map[string]bool
	// savedSeen, savedText, savedTickets: how much of seen, seenText and
	// seenTickets is already recorded in halosync.walk_seen.
	savedSeen, savedText, savedTickets int
}

// haloStart is when the pull started on Halo's clock (from the Date
// headers, to the second; a second earlier to be safe).
func (pr *pullRun) haloStart() time.Time {
	return pr.started.Add(pr.offset - time.Second)
}

// completeness says why the walk cannot prove which records Halo no longer
// has ("" when it can): only then may a reconcile tombstone what it missed.
func (pr *pullRun) completeness() string {
	switch {
	case pr.end == nil:
		return "the walk did not reach its end"
	case pr.end.Fewer():
		return fmt.Sprintf("Halo announced %d records but the walk listed %d", pr.end.RecordCount, pr.end.Rows)
	case pr.unkeyed > 0:
		return fmt.Sprintf("%d rejected rows carry no readable key", pr.unkeyed)
	}
	return ""
}

// seeKey counts a rejected row's key as seen: a record whose latest version
// was rejected still exists in Halo and must not be tombstoned.
func (pr *pullRun) seeKey(key string) {
	if key == "" {
		pr.unkeyed++
		return
	}
	if pr.spec.table().Keys[0].Type == store.TypeText {
		pr.seenText = append(pr.seenText, key)
		return
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		pr.unkeyed++
		return
	}
	pr.seen = append(pr.seen, id)
}

// Pull reads one entity from Halo and stores it. A full pull walks the whole
// entity and reconciles deletions; otherwise the entity's cursor decides. The
// returned runs are its ledger rows (also written to halosync.runs): one,
// or two for tickets, whose actions are pulled with them.
func (p *Puller) Pull(ctx context.Context, name string, full bool) ([]*store.Run, error) {
	sp, ok := specs[name]
	if !ok || sp.Parent != "" {
		// (an entity read under a parent is pulled by its parent's pull)
		return nil, fmt.Errorf("pull: unknown entity %q", name)
	}
	unlock, err := p.Store.LockEntity(ctx, name, p.WaitForLock)
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("pull %s: %w", name, err)
	}
	defer unlock()

	var runs []*store.Run
	if name == entity.Tickets.Name {
		// A first sync stores the recent window before the history.
		if runs, err = p.recent(ctx); err != nil {
			return runs, fmt.Errorf("pull %s: %w", name, err)
		}
	}
	st, err := p.Store.GetState(ctx, p.Store.Pool, name)
	if err != nil {
		return runs, fmt.Errorf("pull %s: read state: %w", name, err)
	}
	pr := &pullRun{spec: sp, state: st, started: time.Now()}
	pr.fullWalk = full || st.Cursor == nil || sp.Filter == entity.FullOnly ||
		(sp.Filter == entity.TryFilter && st.IncrementalHonoured != nil && !*st.IncrementalHonoured)
	mode := "incremental"
	if pr.fullWalk {
		mode = "full"
	}
	// A walk of date windows restarts from its first window: each is one
	// request, and its position is not a page.
	pr.resumable = pr.fullWalk && sp.Paging != entity.DateBounded
	pr.run = &store.Run{Entity: name, Mode: mode, StartedAt: pr.started}
	if pr.run.ID, err = p.Store.StartRun(ctx, name, mode); err != nil {
		return nil, fmt.Errorf("pull %s: start run: %w", name, err)
	}
	var actions *actionsPull
	if name == entity.Tickets.Name {
		// A bulk actions walk runs beside the tickets walk (tickets.go).
		if actions, err = p.startActions(ctx, full || pr.fullWalk, true); err != nil {
			_ = p.finish(context.WithoutCancel(ctx), pr, err)
			return append(runs, pr.run), fmt.Errorf("pull %s: %w", name, err)
		}
	}
	ctx, pr.counter = halo.WithRequestCounter(ctx)

	err = p.pull(ctx, pr)
	if err == nil {
		// Only after a pull that reached Halo: a failing connection is the
		// pull's to report, and must not spend a request on the version.
		p.refreshInstance(ctx)
	}
	pr.offset = p.Halo.ClockOffset()
	pr.run.Requests = pr.counter.Load()
	if ferr := p.finish(context.WithoutCancel(ctx), pr, err); ferr != nil && err == nil {
		err = ferr
	}
	if p.ProgressFunc != nil {
		p.ProgressFunc(Progress{Entity: name, Fetched: pr.fetched, Total: pr.total, Requests: pr.run.Requests, Started: pr.started, Done: true})
	}
	runs = append(runs, pr.run)
	if err != nil {
		if actions != nil {
			ar, _ := p.finishActions(actions, err)
			runs = append(runs, ar)
		}
		p.analyze(ctx, runs) // also after a failed run: what it stored is there to plan for
		return runs, fmt.Errorf("pull %s: %w", name, err)
	}
	if name == entity.Tickets.Name {
		return p.ticketChildren(ctx, runs, full || pr.fullWalk, actions)
	}
	p.analyze(ctx, runs)
	return runs, nil
}

func (p *Puller) pull(ctx context.Context, pr *pullRun) error {
	params := url.Values{}
	if pr.spec.Filter == entity.ByWindow {
		pr.windows = p.planWindows(pr, time.Now().UTC())
		pr.windowSeen = map[string]bool{}
		if pr.spec.Paging != entity.DateBounded && len(pr.windows) == 1 {
			maps.Copy(params, pr.spec.windowParams(pr.windows[0]))
		}
	} else if !pr.fullWalk {
		b := pr.state.Cursor.Add(-p.overlap())
		pr.bound = &b
		params.Set("lastupdatefromdate", halo.FormatQueryTime(b))
	} else if pr.spec.Name == entity.Tickets.Name {
		// Newest first, by a key edits do not move (see resume.go).
		maps.Copy(params, newestFirst)
	}
	if err := p.walk(ctx, pr, params); err != nil {
		return err
	}
	if pr.spec.Filter == entity.TryFilter && pr.bound != nil {
		// A server that ignored the filter returned rows older than the
		// bound: that walk was a full scan, and later pulls skip the filter.
		// Rows without a last-update time (Halo's published list rows of
		// sites and assets have none) cannot tell: Halo is asked directly.
		if !pr.stamped && !pr.ignored && pr.state.IncrementalHonoured == nil {
			if err := p.probeFilter(ctx, pr); err != nil {
				return err
			}
		} else if pr.stamped || pr.ignored {
			honoured := !pr.ignored
			pr.state.IncrementalHonoured = &honoured
		}
		if pr.ignored {
			pr.fullWalk = true
		}
	}
	if pr.spec.Name == entity.Tickets.Name {
		if err := p.pullDeletedTickets(ctx, pr); err != nil {
			return err
		}
	}
	if pr.fullWalk {
		if why := pr.completeness(); why != "" {
			pr.run.Note("reconcile skipped: %s", why)
			p.logger().Warn("delete reconciliation skipped", "entity", pr.spec.Name, "reason", why)
			return nil
		}
		reconcile := p.reconcile
		if pr.spec.Paging == entity.DateBounded {
			reconcile = p.reconcileWindows
		}
		if err := reconcile(ctx, pr); err != nil {
			return err
		}
		pr.reconciled = true
	}
	return nil
}

// walk lists the entity with params and stores it in batches of consecutive
// pages (pageBatch), each batch one transaction: a crash loses at most the
// batch in flight, and the re-run re-reads it from the same bound (the cursor
// only moves in finish). Progress is still reported for every page, once the
// page is stored.
func (p *Puller) walk(ctx context.Context, pr *pullRun, params url.Values) error {
	t := pr.spec.table()
	pb := newPageBatch(t)
	if listParams := listParams[pr.spec.Name]; listParams != nil {
		extra, err := listParams(ctx, p)
		if err != nil {
			return err
		}
		params = maps.Clone(params)
		maps.Copy(params, extra)
	}
	opts := halo.ListOptions{Params: params}
	if pr.resumable {
		if err := p.resumeWalk(ctx, pr, &opts); err != nil {
			return err
		}
	}
	pages := prefetch(ctx, func(ctx context.Context) iter.Seq2[batch, error] {
		if pr.spec.Paging == entity.DateBounded {
			return pr.spec.walkWindows(ctx, p.Halo, opts, pr.windows, pr.windowSeen)
		}
		return pr.spec.walk(ctx, p.Halo, opts)
	})
	// The walk has reached its end only once its last page is stored too.
	var end *halo.WalkEnd
	for b, err := range pages {
		if err != nil {
			// Store what was read before the failure, as page-by-page
			// storing did; the walk's error is the one that matters.
			_ = p.storeBatch(ctx, pr, pb)
			return err
		}
		if pb.overlaps(b.rows) {
			if err := p.storeBatch(ctx, pr, pb); err != nil {
				return err
			}
		}
		pr.total = b.recordCount
		pr.fetched += len(b.rows) + len(b.bad)
		pr.run.Fetched += int64(len(b.rows) + len(b.bad))
		if b.end != nil {
			end = b.end
			if b.end.Anomaly != "" {
				pr.run.Note("%s: %s", pr.spec.Path, b.end.Anomaly)
				p.logger().Warn("record_count disagrees with the rows listed", "entity", pr.spec.Name, "anomaly", b.end.Anomaly)
			}
		}
		for _, bad := range b.bad {
			pr.seeKey(bad.Key)
		}
		for _, r := range b.rows {
			// Tickets keep their seen ids on incremental walks too: the
			// deleted-tickets check skips tickets this walk listed live.
			if pr.fullWalk || pr.spec.Filter == entity.TryFilter || pr.spec.Name == entity.Tickets.Name {
				switch k := r.Keys[0].(type) {
				case int64:
					pr.seen = append(pr.seen, k)
				case string:
					pr.seenText = append(pr.seenText, k)
				}
			}
			if r.UpdatedAt != nil {
				pr.stamped = true
				if r.UpdatedAt.After(pr.maxSeen) {
					pr.maxSeen = *r.UpdatedAt
				}
				if pr.bound != nil && r.UpdatedAt.Before(*pr.bound) {
					pr.ignored = true
				}
			}
		}
		pb.add(b.rows, b.bad, b.tickets, pageMark{fetched: pr.fetched, total: pr.total, page: b.page})
		if pb.full() {
			if err := p.storeBatch(ctx, pr, pb); err != nil {
				return err
			}
		}
	}
	if err := p.storeBatch(ctx, pr, pb); err != nil {
		return err
	}
	pr.end = end
	return nil
}

// reconcile tombstones rows a complete walk did not see, behind the guard.
func (p *Puller) reconcile(ctx context.Context, pr *pullRun) error {
	t := pr.spec.table()
	return pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		live, err := p.Store.LiveCount(ctx, tx, t)
		if err != nil {
			return err
		}
		text := t.Keys[0].Type == store.TypeText
		var missing int
		if text {
			missing, err = p.Store.CountMissingText(ctx, tx, t, pr.seenText)
		} else {
			missing, err = p.Store.CountMissing(ctx, tx, t, pr.seen)
		}
		if err != nil {
			return err
		}
		if missing == 0 {
			return nil
		}
		if float64(missing) > p.share()*float64(live) {
			return &MassDeleteError{Entity: pr.spec.Name, Missing: missing, Total: live, Share: p.share()}
		}
		var n int
		if text {
			n, err = p.Store.TombstoneMissingText(ctx, tx, t, pr.seenText)
		} else {
			n, err = p.Store.TombstoneMissing(ctx, tx, t, pr.seen)
		}
		pr.run.Tombstoned += int64(n)
		if err != nil {
			return err
		}
		if err := p.tombstoneNestedOfDeleted(ctx, tx, pr.spec); err != nil {
			return err
		}
		if pr.spec.Name != entity.Tickets.Name {
			return nil
		}
		return p.Store.TombstoneActionsOfDeletedTickets(ctx, tx)
	})
}

// finish writes the ledger row and, on success, the entity's new state: the
// cursor is Halo's own high-water mark, never the local clock.
func (p *Puller) finish(ctx context.Context, pr *pullRun, runErr error) error {
	now := time.Now()
	pr.run.FinishedAt = &now
	st := pr.state
	st.LastPullAt = &now
	if runErr != nil {
		msg := runErr.Error()
		pr.run.Error = msg
		st.LastError = &msg
	} else {
		st.LastError = nil
		st.LastSuccessAt = &now
		if pr.reconciled {
			st.LastFullAt = &now
		}
		c, walked := pr.cursorAfterWalk()
		switch {
		case walked:
			st.Cursor = &c
		case !pr.maxSeen.IsZero() && (st.Cursor == nil || pr.maxSeen.After(*st.Cursor)):
			c := pr.maxSeen
			st.Cursor = &c
		case st.Cursor == nil || (pr.end != nil && !pr.stamped && pr.fetched > 0 && pr.haloStart().After(*st.Cursor)):
			// An empty entity still gets a cursor, so the next pull is
			// incremental from the start of this one (less the overlap);
			// so does an entity walk whose rows carry no last-update time,
			// or its cursor would never move: the walk's start on Halo's
			// clock, since the walk saw every change made before it started.
			c := pr.haloStart()
			st.Cursor = &c
		}
	}
	defer p.observe(pr.run)
	return pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		switch {
		case runErr != nil:
		case pr.fullWalk || st.Rows == 0:
			rows, err := p.Store.LiveCount(ctx, tx, pr.spec.table())
			if err != nil {
				return err
			}
			st.Rows = int64(rows)
		default:
			// An incremental pull must not cost a count(*) over the whole
			// mirror; the arithmetic drifts only by undeleted rows and is
			// made exact again by the next full pull.
			st.Rows = max(st.Rows+pr.run.Inserted-pr.run.Tombstoned, 0)
		}
		if err := p.Store.SaveState(ctx, tx, st); err != nil {
			return err
		}
		if pr.resumable && pr.end != nil {
			// The walk reached its end (reconciled or not): the next full
			// walk starts from page 1.
			if err := p.Store.ClearWalk(ctx, tx, pr.spec.Name, true); err != nil {
				return err
			}
		}
		return p.Store.FinishRun(ctx, tx, pr.run)
	})
}

func (p *Puller) progress(pr *pullRun) {
	p.progressAt(pr, pageMark{fetched: pr.fetched, total: pr.total})
}

// progressAt reports the progress a walk had after one of its pages.
func (p *Puller) progressAt(pr *pullRun, m pageMark) {
	if p.ProgressFunc == nil {
		return
	}
	p.ProgressFunc(Progress{Entity: pr.spec.Name, Fetched: m.fetched, Total: m.total, Requests: pr.counter.Load(), Started: pr.started})
}
