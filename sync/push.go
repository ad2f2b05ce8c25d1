package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// Pusher sends local edits of the mirror (halosync.outbox, written by the triggers of migrations 00003 and
// 00008) to Halo. This file is the orchestration: which push runs, the transactions around a send, and
// what each failure becomes. push_merge.go holds updates and their conflict rule, push_create.go creates
// and their idempotency, push_encode.go the endpoints and value encoding.
//
// No row lock is held while a request to Halo is in flight (only advisory ones: the job's push lock and
// the ticket-create lock, which no analyst's write or pull waits on). A push decides in one short transaction
// (mirror row and outbox row locked: read base, local and remote, merge, record conflicts, mark the outbox
// row sending with its payload and the edit count it was decided at), sends outside any transaction, and
// applies Halo's reply in a second short transaction that first compares the edit count: an edit that
// landed meanwhile is kept and becomes the next push. Lock order, everywhere: the mirror row, then its
// outbox row (the triggers do the same).
//
// Every push ends in a visible state: done (halosync.outbox.pushed_at; with a note in last_error when it
// was cancelled or found the record deleted in Halo, plus a halosync.conflicts row), parked (last_error
// says why; a new edit or `halosync pushes retry` sends it again), or pending with next_attempt_at and
// last_error set while it waits for a backoff or the breaker's probe (see settle).
type Pusher struct {
	Halo  *halo.Client
	Store *store.Store
	Log   *slog.Logger
	// Marker is the ticket field that correlates a create with the ticket it made (HALOSYNC_CREATE_MARKER;
	// zero: third_party_id_string).
	Marker CreateMarker
	// MaxAttempts parks a row after this many failed attempts (HALOSYNC_PUSH_MAX_ATTEMPTS; 0: 10).
	MaxAttempts int

	// afterPost, set by tests, runs right after a successful POST and before the reply is applied; an
	// error aborts the push there (a crash between Halo's reply and our commit).
	afterPost func(ctx context.Context, outboxID int64) error
	// afterGet, set by tests, runs after an update has read Halo's record and before it decides (a local
	// and a Halo edit landing while the GET is on its way).
	afterGet func(ctx context.Context, outboxID int64)
	// clockOffset, set by tests, replaces the measured Halo clock offset (Halo.ClockOffset) in conflicts.
	clockOffset func() time.Duration
}

// DefaultPushMaxAttempts is MaxAttempts when unset.
const DefaultPushMaxAttempts = 10

// maxParentDepth bounds the chain of locally created parents pushed first (action → ticket → user → site →
// client).
const maxParentDepth = 6

func (p *Pusher) logger() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// PushPending pushes every outbox row that is due (pending, or a send left unfinished, past its backoff),
// oldest first, and returns how many it completed. Rows that fail are left for their next attempt; their
// errors are joined. A request that may not go out yet (rate limit, open breaker) stops the run.
func (p *Pusher) PushPending(ctx context.Context) (int, error) {
	ids, err := p.Store.PendingPushIDs(ctx, p.Store.Pool)
	if err != nil {
		return 0, err
	}
	done := 0
	var errs []error
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return done, errors.Join(append(errs, err)...)
		}
		err := p.Push(ctx, id)
		if err == nil {
			done++
			continue
		}
		errs = append(errs, fmt.Errorf("outbox %d: %w", id, err))
		if halo.Classify(err).Class == halo.ClassWait {
			break
		}
	}
	return done, errors.Join(errs...)
}

// Push pushes one outbox row. It returns nil when the row is done, parked or not open any more; otherwise
// the Halo error (the row records it and when to try again), for jobs to steer.
func (p *Pusher) Push(ctx context.Context, outboxID int64) error {
	return p.push(halo.WithPriority(ctx, PriorityHigh), outboxID, 0)
}

// maxRereads bounds how often one push starts over because a local edit overtook its read of Halo's record.
const maxRereads = 5

// push pushes outbox row id (depth: how many locally created parents deep), starting over with the row as
// it is now when an edit overtook the read of Halo's record (update: errReadBeforeEdit).
func (p *Pusher) push(ctx context.Context, id int64, depth int) error {
	for range maxRereads {
		if err := p.pushOnce(ctx, id, depth); !errors.Is(err, errReadBeforeEdit) {
			return err
		}
	}
	// Edited again on every read: the row stays pending, the job is retried later.
	return fmt.Errorf("outbox %d: %w, on each of %d reads; trying again later", id, errReadBeforeEdit, maxRereads)
}

func (p *Pusher) pushOnce(ctx context.Context, id int64, depth int) error {
	ob, err := p.Store.GetOutbox(ctx, p.Store.Pool, id)
	if errors.Is(err, store.ErrNoOutbox) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ob.Open() || ob.State == store.OutboxParked {
		return nil
	}
	if _, ok := pushSpecs[ob.Entity]; !ok {
		return p.Store.ParkOutbox(ctx, p.Store.Pool, id, "entity "+ob.Entity+" cannot be pushed to Halo")
	}
	if ob.NextAttemptAt != nil && ob.NextAttemptAt.After(time.Now()) {
		// A job that came early (River's own retry, an operator's enqueue) waits for the row's backoff.
		return &halo.WaitError{Until: *ob.NextAttemptAt, Reason: "push backing off after: " + deref(ob.LastError)}
	}
	if ob.Op != store.OpDelete && len(tempRefs(ob)) > 0 {
		if err := p.pushParents(ctx, ob, depth); err != nil {
			return err
		}
		// The parents' creates moved this row's key and references to Halo ids.
		if ob, err = p.Store.GetOutbox(ctx, p.Store.Pool, id); err != nil || !ob.Open() {
			return err
		}
	}
	if err := p.pushTicketFirst(ctx, ob, depth); err != nil {
		return err
	}
	switch ob.Op {
	case store.OpCreate:
		err = p.create(ctx, ob)
	case store.OpUpdate:
		err = p.update(ctx, ob)
	case store.OpDelete:
		err = p.delete(ctx, ob)
	default:
		err = fmt.Errorf("outbox %d: unknown op %q", id, ob.Op)
	}
	if err != nil {
		err = fmt.Errorf("push %s %s (%s, outbox %d): %w", ob.Entity, ob.RecordKey, ob.Op, id, err)
		var bad *unstorableError
		if errors.As(err, &bad) {
			// Asking Halo again returns the same record: park it with the reason instead of looping.
			p.logger().Warn("Halo serves a record the mirror cannot read or store; push parked", "entity", ob.Entity,
				"key", ob.RecordKey, "outbox", id, "err", err)
			msg := "Halo's record cannot be read or stored: " + bad.Error()
			if ob.Op == store.OpCreate {
				msg += " (the create may already be in Halo: look for it there before retrying)"
			}
			return p.Store.ParkOutbox(context.WithoutCancel(ctx), p.Store.Pool, id, msg)
		}
		return err
	}
	return nil
}

// unstorableError is Halo's record (fetched, or in a reply) that the mirror cannot read or store: a value
// of the wrong type, a NUL byte. Halo will serve the same bytes again, so a push that meets one is parked
// with the reason (push) rather than retried; the pull puts the record in halosync.rejects.
type unstorableError struct{ err error }

func (e *unstorableError) Error() string { return e.err.Error() }
func (e *unstorableError) Unwrap() error { return e.err }

// unstorable marks err as an unstorableError (nil stays nil).
func unstorable(err error) error {
	if err == nil {
		return nil
	}
	return &unstorableError{err}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// tempRefs lists the records not yet in Halo that ob refers to: (entity, temporary id).
func tempRefs(ob *store.OutboxRow) [][2]string {
	var out [][2]string
	if ob.Entity == entity.Actions.Name {
		if tid, _, ok := strings.Cut(ob.RecordKey, "/"); ok && strings.HasPrefix(tid, "-") {
			out = append(out, [2]string{entity.Tickets.Name, tid})
		}
	}
	t := store.Tables[ob.Entity]
	for _, col := range slices.Sorted(maps.Keys(ob.Fields)) {
		c, _ := t.Decl.Column(col)
		parent := c.Refers
		if parent == "" || ob.Entity == parent || !IsPushable(parent) {
			continue
		}
		if n, err := t.Canon(col, ob.Fields[col]); err == nil && n != nil && n.(int64) < 0 {
			out = append(out, [2]string{parent, strconv.FormatInt(n.(int64), 10)})
		}
	}
	return out
}

// pushParents pushes first the locally created records ob refers to, so ob is sent with real Halo ids.
func (p *Pusher) pushParents(ctx context.Context, ob *store.OutboxRow, depth int) error {
	if depth >= maxParentDepth {
		return fmt.Errorf("outbox %d: too many locally created parents", ob.ID)
	}
	for _, r := range tempRefs(ob) {
		pid, err := p.Store.OpenOutboxFor(ctx, p.Store.Pool, r[0], r[1])
		if err != nil {
			return err
		}
		if pid == 0 {
			continue // checked again under lock: parks the row if the parent never reaches Halo
		}
		if err := p.push(ctx, pid, depth+1); err != nil {
			return fmt.Errorf("creating %s %s first: %w", r[0], r[1], err)
		}
	}
	return nil
}

// pushTicketFirst pushes the open local edit of an action's ticket before the action. Any write of an
// action moves its ticket's last-modified time in Halo, and the ticket's conflicts date Halo's side by that
// time: pushed after our own action, a local ticket edit would be dated against our echo and lose to an
// earlier Halo edit. A ticket edit that is parked, backing off or failing does not hold its actions back.
func (p *Pusher) pushTicketFirst(ctx context.Context, ob *store.OutboxRow, depth int) error {
	if ob.Entity != entity.Actions.Name || depth >= maxParentDepth {
		return nil
	}
	tid, _, ok := strings.Cut(ob.RecordKey, "/")
	if !ok || strings.HasPrefix(tid, "-") {
		return nil
	}
	pid, err := p.Store.OpenOutboxFor(ctx, p.Store.Pool, entity.Tickets.Name, tid)
	if err != nil || pid == 0 {
		return err
	}
	if err := p.push(ctx, pid, depth+1); err != nil {
		// The ticket's row records its own failure and when to try again; the action is not held back
		// by it (a backoff of one row must not stop a run of pushes).
		p.logger().Warn("pushing the ticket's own edit before its action failed; pushing the action", "ticket", tid,
			"outbox", ob.ID, "err", err)
	}
	return nil
}

// parkOrphan parks a row whose parent record never reached Halo; it reports whether it did.
func (p *Pusher) parkOrphan(ctx context.Context, tx pgx.Tx, ob *store.OutboxRow) (bool, error) {
	refs := tempRefs(ob)
	if len(refs) == 0 {
		return false, nil
	}
	return true, p.Store.ParkOutbox(ctx, tx, ob.ID,
		fmt.Sprintf("refers to %s %s, which is not in Halo (its create was cancelled or is parked)", refs[0][0], refs[0][1]))
}

// inTx runs fn in one short transaction.
func (p *Pusher) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, p.Store.Pool, fn)
}

// lockRow locks the mirror row at keys, its custom field values, and then outbox row ob (the triggers'
// order) inside tx. ok is false
// when the outbox row is no longer open, parked, or moved to another key meanwhile; cur is nil when the
// mirror row does not exist.
func (p *Pusher) lockRow(ctx context.Context, tx pgx.Tx, ob *store.OutboxRow, keys []int64) (cur store.Values, locked *store.OutboxRow, ok bool, err error) {
	t := store.Tables[ob.Entity]
	if cur, err = p.Store.LockMirrorRow(ctx, tx, t, keys); err != nil {
		return nil, nil, false, err
	}
	if err := p.Store.LockCustomFieldValues(ctx, tx, ob.Entity, ob.RecordKey); err != nil {
		return nil, nil, false, err
	}
	locked, err = p.Store.LockOutbox(ctx, tx, ob.ID)
	if errors.Is(err, store.ErrNoOutbox) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	if !locked.Open() || locked.State == store.OutboxParked || locked.RecordKey != ob.RecordKey {
		return nil, nil, false, nil
	}
	return cur, locked, true, nil
}

// settle is the one place a failed Halo request becomes the outbox row's state; it switches on
// halo.Classify and nothing else in the pusher classifies errors again.
//
//   - undecodable (a 2xx answer that is not the record's shape): parked with the reason; nil.
//   - rejected (400 …): parked with Halo's message until a new edit or an operator's retry; nil.
//   - not found (404): parked with the message (update and delete handle a 404 themselves before this:
//     the record is gone in Halo, see remoteDeleted); nil.
//   - wait (breaker open, rate budget spent, 429): nothing happened; the error is returned so the job
//     snoozes until the wait is over.
//   - auth (401 after refresh) and forbidden (403): the row stays pending with the error, and its next
//     attempt is no earlier than the open breaker's next probe (halosync.endpoint_health.open_until) or its
//     backoff, whichever is later; after MaxAttempts it is parked with the error.
//   - transient (5xx, timeouts) and others: as auth, with backoff only.
//
// mayExist says a create's POST may have reached Halo (this request or an earlier one): the row stays
// sending, so the next attempt looks for the record first. Otherwise a create forgets its correlation
// value and goes back to pending: nothing of it is in Halo.
func (p *Pusher) settle(ctx context.Context, ob *store.OutboxRow, err error, mayExist bool) error {
	ctx = context.WithoutCancel(ctx)
	class := halo.Classify(err).Class
	log := p.logger().With("entity", ob.Entity, "key", ob.RecordKey, "outbox", ob.ID, "op", ob.Op)
	if !mayExist {
		if ferr := p.Store.Unsend(ctx, p.Store.Pool, ob.ID); ferr != nil {
			log.Warn("could not note push failure", "err", ferr)
		}
	}
	if halo.Classify(err).Cause == halo.CauseUndecodable {
		// Halo answered, with a record we cannot read: it will answer the same again.
		log.Warn("Halo's record cannot be read; push parked until the row is edited again or retried", "err", err)
		return p.Store.ParkOutbox(ctx, p.Store.Pool, ob.ID, "Halo's record cannot be read: "+err.Error())
	}
	switch class {
	case halo.ClassRejected, halo.ClassNotFound:
		log.Warn("push refused by Halo; parked until the row is edited again or retried", "err", err)
		return p.Store.ParkOutbox(ctx, p.Store.Pool, ob.ID, refusal(err))
	case halo.ClassWait:
		return err
	}
	next := time.Now().Add(pushBackoff(ob.Attempts + 1))
	if class == halo.ClassAuth || class == halo.ClassForbidden {
		if probe, perr := p.Store.BreakerProbeAt(ctx, p.Store.Pool); perr == nil && probe != nil && probe.After(next) {
			next = *probe
		}
	}
	parked, ferr := p.Store.FailOutbox(ctx, p.Store.Pool, ob.ID, err.Error(), next, p.maxAttempts())
	if ferr != nil {
		log.Warn("could not note push failure", "err", ferr)
		return err
	}
	if parked {
		log.Warn("push failed too often; parked until the row is edited again or retried", "attempts", p.maxAttempts(), "err", err)
		return nil
	}
	log.Warn("push failed; will try again", "class", class.String(), "next_attempt_at", next, "err", err)
	return err
}

func (p *Pusher) maxAttempts() int {
	if p.MaxAttempts > 0 {
		return p.MaxAttempts
	}
	return DefaultPushMaxAttempts
}

// pushBackoff is the wait before attempt n (n ≥ 1): 30 s · 2^(n-1), at most 30 minutes.
func pushBackoff(n int) time.Duration {
	return min(30*time.Second<<min(max(n-1, 0), 10), 30*time.Minute)
}

// refusal is the text an operator sees for a push Halo refused: Halo's own message where it gave one.
func refusal(err error) string {
	if v := halo.Classify(err); v.Class == halo.ClassRejected && v.Message != "" {
		return v.Message
	}
	return err.Error()
}

// hook runs the test hook after a POST.
func (p *Pusher) hook(ctx context.Context, id int64) error {
	if p.afterPost == nil {
		return nil
	}
	return p.afterPost(ctx, id)
}

// upsert stores one record from Halo into the mirror through the pull's upsert path (a sync write: no echo).
func (p *Pusher) upsert(ctx context.Context, tx pgx.Tx, t *store.Table, row store.Row) error {
	res, err := p.Store.Upsert(ctx, tx, t, []store.Row{row})
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		return unstorable(fmt.Errorf("storing Halo's %s: %s", t.Entity, res.Rejected[0].Reason))
	}
	return nil
}

// tombstone marks a record deleted in the mirror (a ticket's actions go with it).
func (p *Pusher) tombstone(ctx context.Context, tx pgx.Tx, t *store.Table, keys []int64) error {
	k := make([]any, len(keys))
	for i, v := range keys {
		k[i] = v
	}
	if _, err := p.Store.Tombstone(ctx, tx, t, [][]any{k}); err != nil {
		return err
	}
	if t.Entity == entity.Tickets.Name {
		return p.Store.TombstoneActionsOfDeletedTickets(ctx, tx)
	}
	return nil
}

// delete deletes a record in Halo (tickets are soft-deleted by Halo; actions need their ticket), then
// tombstones it and closes the row. A 404 means Halo no longer has it: the same end.
func (p *Pusher) delete(ctx context.Context, ob *store.OutboxRow) error {
	t, sp := store.Tables[ob.Entity], pushSpecs[ob.Entity]
	keys, err := t.ParseRecordKey(ob.RecordKey)
	if err != nil {
		return err
	}
	id := keys[len(keys)-1]
	if id > 0 && (ob.Entity != entity.Actions.Name || keys[0] > 0) {
		var params map[string][]string
		if ob.Entity == entity.Actions.Name {
			params = map[string][]string{"ticket_id": {strconv.FormatInt(keys[0], 10)}}
		}
		own, err := p.beforeActionWrite(ctx, ob, keys, nil)
		if err != nil {
			return p.settle(ctx, ob, err, false)
		}
		switch err := p.Halo.Delete(ctx, sp.Path, id, params); {
		case err == nil:
			p.afterActionWrite(ctx, own)
		case halo.Classify(err).Class != halo.ClassNotFound:
			return p.settle(ctx, ob, err, false)
		}
	}
	err = p.inTx(ctx, func(tx pgx.Tx) error {
		_, locked, ok, err := p.lockRow(ctx, tx, ob, keys)
		if err != nil || !ok {
			return err
		}
		if err := p.tombstone(ctx, tx, t, keys); err != nil {
			return err
		}
		return p.Store.FinishOutbox(ctx, tx, locked.ID, nil, "")
	})
	if err != nil {
		return fmt.Errorf("commit delete: %w", err)
	}
	p.logger().Info("pushed delete", "entity", ob.Entity, "key", ob.RecordKey)
	return nil
}
