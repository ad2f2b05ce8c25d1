package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/store"
)

// Pusher sends local edits of the mirror (halosync.outbox, written by the triggers of migration 00003) to
// Halo.
//
// An update reads the record's base (as last synced) and the local fields, GETs the fresh record from
// Halo, and decides field by field: changed only locally → sent; changed only in Halo → kept (and stored);
// changed on both sides → the later modification wins (the local change time against Halo's last-modified
// corrected by the measured Halo clock offset; ties go to Halo), and the conflict is written to
// halosync.conflicts with both values. Only the winning local fields are POSTed, one record per POST, and
// Halo's reply is stored through the pull's row mappers in the transaction that marks the outbox row done:
// the next pull finds nothing new and nothing echoes.
//
// Creates are idempotent across crashes: the outbox row is committed as "sending" with a correlation value
// before the POST, and an attempt that finds it "sending" looks the record up in Halo first and adopts it.
// Ticket creates are serialised across replicas by an advisory lock.
//
// Lock order, everywhere: the mirror row, then its outbox row (the triggers do the same). The push of one
// record holds both for its whole exchange with Halo, so a concurrent local edit of that record waits for
// it and then opens a new outbox row.
type Pusher struct {
	Halo  *halo.Client
	Store *store.Store
	Log   *slog.Logger

	// afterPost, set by tests, runs right after a successful POST and before the local commit; an error
	// aborts the push there (a crash between Halo's reply and our commit).
	afterPost func(ctx context.Context, outboxID int64) error
	// clockOffset, set by tests, replaces the measured Halo clock offset (Halo.ClockOffset) in conflicts.
	clockOffset func() time.Duration
}

// ticketCreateLock serialises ticket creates across replicas: Halo's ticket numbering races on parallel
// creates (halo-api.md §7.1, §10.16).
const ticketCreateLock int64 = 0x68616c6f00000010 // "halo"…0x10

// lookupWindow is how far before the send time a create lookup searches.
const lookupWindow = 5 * time.Minute

// maxParentDepth bounds the chain of locally created parents pushed first (action → ticket → user → site →
// client).
const maxParentDepth = 6

// dateOnly columns are written at noon as naive UTC strings so they do not shift by a day (§10.18).
var dateOnly = map[string]bool{"targetdate": true, "start_date": true, "end_date": true}

// refColumns are the writable columns that refer to another pushable record (maybe a local temporary id).
var refColumns = map[string]string{"client_id": Clients, "site_id": Sites, "user_id": Users}

// pushSpec is how one entity is written.
type pushSpec struct {
	path   string
	get    func(ctx context.Context, c *halo.Client, keys []int64) (store.Row, bool, error) // row, deleted in Halo
	decode func(raw []byte, keys []int64) (store.Row, error)
}

func getter[T any](entity string, get func(*halo.Client, context.Context, int64) (T, error), toRow func(T) map[string]any) func(context.Context, *halo.Client, []int64) (store.Row, bool, error) {
	return func(ctx context.Context, c *halo.Client, keys []int64) (store.Row, bool, error) {
		v, err := get(c, ctx, keys[0])
		if err != nil {
			return store.Row{}, false, err
		}
		deleted := false
		if t, ok := any(v).(halo.Ticket); ok {
			deleted = bool(t.Deleted)
		}
		return store.Tables[entity].RowFrom(toRow(v)), deleted, nil
	}
}

func decoder[T any](entity string, toRow func(T) map[string]any) func([]byte, []int64) (store.Row, error) {
	return func(raw []byte, _ []int64) (store.Row, error) {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return store.Row{}, fmt.Errorf("decoding Halo's %s reply: %w", entity, err)
		}
		return store.Tables[entity].RowFrom(toRow(v)), nil
	}
}

var pushSpecs = map[string]*pushSpec{
	Tickets: {path: "/api/Tickets", get: getter(Tickets, (*halo.Client).GetTicket, ticketRow), decode: decoder(Tickets, ticketRow)},
	Clients: {path: "/api/Client", get: getter(Clients, (*halo.Client).GetClient, clientRow), decode: decoder(Clients, clientRow)},
	Sites:   {path: "/api/Site", get: getter(Sites, (*halo.Client).GetSite, siteRow), decode: decoder(Sites, siteRow)},
	Users:   {path: "/api/Users", get: getter(Users, (*halo.Client).GetUser, userRow), decode: decoder(Users, userRow)},
	Assets:  {path: "/api/Asset", get: getter(Assets, (*halo.Client).GetAsset, assetRow), decode: decoder(Assets, assetRow)},
	Contracts: {path: "/api/ClientContract", get: getter(Contracts, (*halo.Client).GetContract, contractRow),
		decode: decoder(Contracts, contractRow)},
	Actions: {path: "/api/Actions",
		get: func(ctx context.Context, c *halo.Client, keys []int64) (store.Row, bool, error) {
			a, err := c.GetAction(ctx, keys[0], keys[1])
			if err != nil {
				return store.Row{}, false, err
			}
			if a.TicketID == 0 {
				a.TicketID = halo.Int(keys[0])
			}
			return store.Tables[Actions].RowFrom(actionRow(a)), false, nil
		},
		decode: func(raw []byte, keys []int64) (store.Row, error) {
			var a halo.Action
			if err := json.Unmarshal(raw, &a); err != nil {
				return store.Row{}, fmt.Errorf("decoding Halo's action reply: %w", err)
			}
			if a.TicketID == 0 {
				a.TicketID = halo.Int(keys[0])
			}
			return store.Tables[Actions].RowFrom(actionRow(a)), nil
		}},
}

// IsPushable reports whether local edits of entity are pushed to Halo.
func IsPushable(entity string) bool {
	_, ok := pushSpecs[entity]
	return ok
}

func (p *Pusher) logger() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// PushPending pushes every pending outbox row (and creates left "sending" by an interrupted attempt), oldest
// first, and returns how many it completed. Rows that fail are left for the next attempt; their errors are
// joined. A rate limit or an open breaker stops the run (the rest would only fail the same way).
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
		var rl *halo.RateLimitedError
		var we *halo.WaitError
		if errors.As(err, &rl) || errors.As(err, &we) {
			break
		}
	}
	return done, errors.Join(errs...)
}

// Push pushes one outbox row. It returns nil when the row is done, parked (Halo rejected it: 400) or not
// open any more; transient errors (network, 5xx) and rate limits (*halo.RateLimitedError, *halo.WaitError)
// are returned so the caller retries later.
func (p *Pusher) Push(ctx context.Context, outboxID int64) error {
	return p.push(halo.WithPriority(ctx, PriorityHigh), outboxID, 0)
}

func (p *Pusher) push(ctx context.Context, id int64, depth int) error {
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
	if ob.Op != store.OpDelete {
		if len(tempRefs(ob)) > 0 {
			if err := p.pushParents(ctx, ob, depth); err != nil {
				return err
			}
			// The parents' creates moved this row's key and references to Halo ids.
			if ob, err = p.Store.GetOutbox(ctx, p.Store.Pool, id); err != nil || !ob.Open() {
				return err
			}
		}
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
		return fmt.Errorf("push %s %s (%s, outbox %d): %w", ob.Entity, ob.RecordKey, ob.Op, id, err)
	}
	return nil
}

// tempRefs lists the records not yet in Halo that ob refers to: (entity, temporary id).
func tempRefs(ob *store.OutboxRow) [][2]string {
	var out [][2]string
	if ob.Entity == Actions {
		if tid, _, ok := strings.Cut(ob.RecordKey, "/"); ok && strings.HasPrefix(tid, "-") {
			out = append(out, [2]string{Tickets, tid})
		}
	}
	for _, col := range slices.Sorted(maps.Keys(ob.Fields)) {
		parent, ok := refColumns[col]
		if !ok || ob.Entity == parent {
			continue
		}
		if n, ok := asInt64(ob.Fields[col]); ok && n < 0 {
			out = append(out, [2]string{parent, strconv.FormatInt(n, 10)})
		}
	}
	return out
}

// pushParents pushes first the locally created records ob refers to, so ob is sent with real Halo ids.
func (p *Pusher) pushParents(ctx context.Context, ob *store.OutboxRow, depth int) error {
	refs := tempRefs(ob)
	if len(refs) == 0 {
		return nil
	}
	if depth >= maxParentDepth {
		return fmt.Errorf("outbox %d: too many locally created parents", ob.ID)
	}
	for _, r := range refs {
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

// locked is one push's transaction with the mirror row and the outbox row locked.
type locked struct {
	tx   pgx.Tx
	ob   *store.OutboxRow
	t    *store.Table
	sp   *pushSpec
	keys []int64
	row  map[string]any // mirror row as JSON; nil when absent
}

// lock begins the push transaction: mirror row first, then the outbox row. ok is false (and the
// transaction closed) when the outbox row is no longer open or moved to another key meanwhile.
func (p *Pusher) lock(ctx context.Context, ob *store.OutboxRow, advisory bool) (*locked, bool, error) {
	t := store.Tables[ob.Entity]
	keys, err := t.ParseRecordKey(ob.RecordKey)
	if err != nil {
		return nil, false, err
	}
	tx, err := p.Store.Pool.Begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("begin push: %w", err)
	}
	l := &locked{tx: tx, t: t, sp: pushSpecs[ob.Entity], keys: keys}
	fail := func(err error) (*locked, bool, error) {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, false, err
	}
	if advisory {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, ticketCreateLock); err != nil {
			return fail(fmt.Errorf("ticket create lock: %w", err))
		}
	}
	if l.row, err = p.Store.LockMirrorRow(ctx, tx, t, keys); err != nil {
		return fail(err)
	}
	if l.ob, err = p.Store.LockOutbox(ctx, tx, ob.ID); err != nil {
		if errors.Is(err, store.ErrNoOutbox) {
			_, _, err = fail(nil)
			return nil, false, err
		}
		return fail(err)
	}
	if !l.ob.Open() || l.ob.State == store.OutboxParked || l.ob.RecordKey != ob.RecordKey {
		_, _, err = fail(nil)
		return nil, false, err
	}
	return l, true, nil
}

func (l *locked) rollback(ctx context.Context) { _ = l.tx.Rollback(context.WithoutCancel(ctx)) }

// failed handles an error from Halo after l's transaction was rolled back: a 400 parks the row (nil
// error), anything else is noted on the row and returned for a retry.
func (p *Pusher) failed(ctx context.Context, ob *store.OutboxRow, err error) error {
	ctx = context.WithoutCancel(ctx)
	var ve *halo.ValidationError
	if errors.As(err, &ve) {
		p.logger().Warn("push rejected by Halo; parked until the row is edited again or retried",
			"entity", ob.Entity, "key", ob.RecordKey, "outbox", ob.ID, "message", ve.Message)
		return p.Store.ParkOutbox(ctx, p.Store.Pool, ob.ID, ve.Message)
	}
	if ferr := p.Store.FailOutbox(ctx, p.Store.Pool, ob.ID, err.Error()); ferr != nil {
		p.logger().Warn("could not note push failure", "outbox", ob.ID, "err", ferr)
	}
	return err
}

// upsert stores one record from Halo into the mirror (a sync write: no echo).
func (p *Pusher) upsert(ctx context.Context, l *locked, row store.Row) error {
	res, err := p.Store.Upsert(ctx, l.tx, l.t, []store.Row{row})
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		return fmt.Errorf("storing Halo's %s: %s", l.t.Entity, res.Rejected[0].Reason)
	}
	return nil
}

// remoteTime converts Halo's last-modified time to our clock.
func (p *Pusher) remoteTime(row store.Row) *time.Time {
	if row.UpdatedAt == nil {
		return nil
	}
	offset := p.Halo.ClockOffset
	if p.clockOffset != nil {
		offset = p.clockOffset
	}
	t := row.UpdatedAt.Add(-offset())
	return &t
}

// update pushes local changes of an existing record.
func (p *Pusher) update(ctx context.Context, ob *store.OutboxRow) error {
	l, ok, err := p.lock(ctx, ob, false)
	if err != nil || !ok {
		return err
	}
	defer l.rollback(ctx)
	ob = l.ob
	if refs := tempRefs(ob); len(refs) > 0 {
		l.rollback(ctx)
		return p.Store.ParkOutbox(context.WithoutCancel(ctx), p.Store.Pool, ob.ID,
			fmt.Sprintf("refers to %s %s, which is not in Halo (its create was cancelled or is parked)", refs[0][0], refs[0][1]))
	}
	if l.row == nil {
		if err := p.Store.FinishOutbox(ctx, l.tx, ob.ID, nil, "cancelled: the mirror row no longer exists"); err != nil {
			return err
		}
		return l.tx.Commit(ctx)
	}

	remote, deleted, err := l.sp.get(ctx, p.Halo, l.keys)
	var nf *halo.NotFoundError
	switch {
	case errors.As(err, &nf) || (err == nil && deleted):
		return p.remoteDeleted(ctx, l, remote)
	case err != nil:
		l.rollback(ctx)
		return p.failed(ctx, ob, err)
	}
	if err := p.upsert(ctx, l, remote); err != nil {
		return err
	}
	current, err := p.Store.MirrorRow(ctx, l.tx, l.t, l.keys)
	if err != nil {
		return err
	}
	remoteAt := p.remoteTime(remote)

	send := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(ob.Fields)) {
		local := ob.Fields[k]
		base, hasBase := ob.Base[k]
		if hasBase && sameValue(local, base) {
			continue // changed and changed back
		}
		rv := current[k]
		if !hasBase || sameValue(rv, base) {
			send[k] = local // changed only here
			continue
		}
		if sameValue(local, rv) {
			continue // both sides made the same change
		}
		winner := "halo"
		if remoteAt == nil || ob.ChangedAt.After(*remoteAt) {
			winner = "local"
			send[k] = local
		}
		changedAt := ob.ChangedAt
		if err := p.Store.RecordConflict(ctx, l.tx, store.Conflict{Entity: ob.Entity, RecordKey: ob.RecordKey,
			Field: k, LocalValue: local, RemoteValue: rv, LocalChangedAt: &changedAt, RemoteChangedAt: remoteAt,
			Winner: winner}); err != nil {
			return err
		}
		p.logger().Info("push conflict", "entity", ob.Entity, "key", ob.RecordKey, "field", k, "winner", winner)
	}
	if len(send) > 0 {
		body := p.body(l, send)
		reply, err := p.Halo.Post(ctx, l.sp.path, body)
		if err != nil {
			if errors.As(err, &nf) {
				return p.remoteDeleted(ctx, l, remote)
			}
			l.rollback(ctx)
			return p.failed(ctx, ob, err)
		}
		if err := p.hook(ctx, ob.ID); err != nil {
			return err
		}
		if err := p.storeReply(ctx, l, reply, l.keys); err != nil {
			return err
		}
	}
	if err := p.Store.FinishOutbox(ctx, l.tx, ob.ID, nil, ""); err != nil {
		return err
	}
	if err := l.tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit push: %w", err)
	}
	p.logger().Info("pushed update", "entity", ob.Entity, "key", ob.RecordKey, "fields", slices.Sorted(maps.Keys(send)))
	return nil
}

func (p *Pusher) hook(ctx context.Context, id int64) error {
	if p.afterPost == nil {
		return nil
	}
	return p.afterPost(ctx, id)
}

// storeReply stores Halo's POST reply; an unreadable reply (the write happened) is replaced by a GET.
func (p *Pusher) storeReply(ctx context.Context, l *locked, reply json.RawMessage, keys []int64) error {
	var row store.Row
	var err error
	if reply != nil {
		row, err = l.sp.decode(reply, keys)
	}
	if reply == nil || err != nil {
		if row, _, err = l.sp.get(ctx, p.Halo, keys); err != nil {
			return err
		}
	}
	return p.upsert(ctx, l, row)
}

// remoteDeleted handles an update of a record Halo no longer has: tombstone it and keep the local changes
// in a conflict row.
func (p *Pusher) remoteDeleted(ctx context.Context, l *locked, remote store.Row) error {
	ob := l.ob
	if err := p.tombstone(ctx, l); err != nil {
		return err
	}
	changedAt := ob.ChangedAt
	if err := p.Store.RecordConflict(ctx, l.tx, store.Conflict{Entity: ob.Entity, RecordKey: ob.RecordKey,
		Field: "*deleted*", LocalValue: ob.Fields, RemoteValue: nil, LocalChangedAt: &changedAt,
		RemoteChangedAt: p.remoteTime(remote), Winner: "halo"}); err != nil {
		return err
	}
	if err := p.Store.FinishOutbox(ctx, l.tx, ob.ID, nil, "the record was deleted in Halo; local changes were not pushed (see halosync.conflicts)"); err != nil {
		return err
	}
	if err := l.tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit push: %w", err)
	}
	p.logger().Warn("pushed update found the record deleted in Halo; tombstoned", "entity", ob.Entity, "key", ob.RecordKey)
	return nil
}

// body builds the POST element: the fields in Halo's forms plus id (and ticket_id for actions). keys are
// the record's Halo keys; a create passes nil id.
func (p *Pusher) body(l *locked, fields map[string]any) map[string]any {
	b := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		b[k] = haloValue(l.t, k, v)
	}
	if l.t.Entity == Actions {
		b["ticket_id"] = l.keys[0]
		if l.ob.Op != store.OpCreate {
			b["id"] = l.keys[1]
		}
	} else if l.ob.Op != store.OpCreate {
		b["id"] = l.keys[0]
	}
	return b
}

// haloValue converts a mirror value (Postgres JSON) into what Halo expects: no JSON null (Halo has none;
// unset is "", 0, false or a sentinel, §12.3), agent 1 for unassigned (§10.14), UTC times, and date-only
// fields at noon as naive UTC strings (§10.18). Ticket team is a name already (§10.15).
func haloValue(t *store.Table, col string, v any) any {
	typ := ""
	for _, c := range t.Columns {
		if c.Name == col {
			typ = c.Type
		}
	}
	if v == nil {
		switch {
		case col == "agent_id":
			return 1
		case typ == store.TypeText:
			return ""
		case typ == store.TypeBoolean:
			return false
		case typ == store.TypeTimestamptz:
			return "1900-01-01T00:00:00"
		default:
			return 0
		}
	}
	if typ == store.TypeTimestamptz {
		if s, ok := v.(string); ok {
			if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
				if dateOnly[col] {
					return tm.UTC().Format("2006-01-02") + "T12:00:00"
				}
				return tm.UTC().Format("2006-01-02T15:04:05.000Z")
			}
		}
	}
	return v
}

// create pushes a locally inserted row: commit "sending" with a correlation value, then (in a second
// transaction, under the ticket lock for tickets) look the record up if an earlier attempt may have posted
// it, else POST; move the row and its references to the Halo id and store Halo's record.
func (p *Pusher) create(ctx context.Context, ob *store.OutboxRow) error {
	l, ok, err := p.lock(ctx, ob, false)
	if err != nil || !ok {
		return err
	}
	ob = l.ob
	if l.row == nil {
		defer l.rollback(ctx)
		if err := p.Store.FinishOutbox(ctx, l.tx, ob.ID, nil, "cancelled: the row was deleted before it was created in Halo"); err != nil {
			return err
		}
		return l.tx.Commit(ctx)
	}
	if refs := tempRefs(ob); len(refs) > 0 {
		l.rollback(ctx)
		return p.Store.ParkOutbox(context.WithoutCancel(ctx), p.Store.Pool, ob.ID,
			fmt.Sprintf("refers to %s %s, which is not in Halo (its create was cancelled or is parked)", refs[0][0], refs[0][1]))
	}
	retry := ob.State == store.OutboxSending
	if !retry {
		corr, err := p.correlation(ctx, l)
		if err != nil {
			l.rollback(ctx)
			return err
		}
		if err := p.Store.MarkSending(ctx, l.tx, ob.ID, corr); err != nil {
			l.rollback(ctx)
			return err
		}
	}
	if err := l.tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit sending: %w", err)
	}

	l, ok, err = p.lock(ctx, ob, ob.Entity == Tickets)
	if err != nil || !ok {
		return err
	}
	defer l.rollback(ctx)
	ob = l.ob
	if ob.State != store.OutboxSending || l.row == nil {
		return nil // someone else finished or cancelled it meanwhile
	}

	var rec *store.Row
	adopted := false
	if retry {
		if rec, err = p.lookup(ctx, l); err != nil {
			l.rollback(ctx)
			return p.failed(ctx, ob, err)
		}
		adopted = rec != nil
		if adopted {
			p.logger().Info("create found in Halo after an interrupted attempt; adopting it", "entity", ob.Entity,
				"key", ob.RecordKey, "halo_key", recordKey(rec.Keys))
		}
	}
	if rec == nil {
		body := p.body(l, ob.Fields)
		if ob.Entity == Tickets && ob.Correlation != nil {
			body["thirdpartynumber"] = *ob.Correlation
		}
		reply, err := p.Halo.Post(ctx, l.sp.path, body)
		if err != nil {
			l.rollback(ctx)
			return p.failed(ctx, ob, err)
		}
		if err := p.hook(ctx, ob.ID); err != nil {
			return err
		}
		if reply != nil {
			row, err := l.sp.decode(reply, l.keys)
			if err == nil && len(row.Keys) > 0 {
				if n, ok := asInt64(row.Keys[len(row.Keys)-1]); ok && n > 0 {
					rec = &row
				}
			}
		}
		if rec == nil { // Halo wrote it but its reply is unreadable: find it
			if rec, err = p.lookup(ctx, l); err != nil || rec == nil {
				return fmt.Errorf("created in Halo but the reply was unreadable and the lookup failed (a retry looks it up again): %w", err)
			}
		}
	}

	newID, _ := asInt64(rec.Keys[len(rec.Keys)-1])
	tempID := l.keys[len(l.keys)-1]
	ticketID := l.keys[0]
	if err := p.Store.RemapID(ctx, l.tx, ob.Entity, tempID, newID, ticketID); err != nil {
		return err
	}
	l.keys[len(l.keys)-1] = newID
	if err := p.upsert(ctx, l, *rec); err != nil {
		return err
	}
	if adopted {
		// Edits merged while the create was in doubt may not be in Halo's record yet.
		if err := p.sendDiff(ctx, l); err != nil {
			l.rollback(ctx)
			return p.failed(ctx, ob, err)
		}
	}
	if err := p.Store.FinishOutbox(ctx, l.tx, ob.ID, &newID, ""); err != nil {
		return err
	}
	if err := l.tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit create: %w", err)
	}
	p.logger().Info("pushed create", "entity", ob.Entity, "temp_key", ob.RecordKey, "halo_id", newID)
	return nil
}

// sendDiff POSTs the create's fields that differ from the adopted record.
func (p *Pusher) sendDiff(ctx context.Context, l *locked) error {
	current, err := p.Store.MirrorRow(ctx, l.tx, l.t, l.keys)
	if err != nil {
		return err
	}
	diff := map[string]any{}
	for k, v := range l.ob.Fields {
		if !sameValue(v, current[k]) {
			diff[k] = v
		}
	}
	if len(diff) == 0 {
		return nil
	}
	op := l.ob.Op
	l.ob.Op = store.OpUpdate // body with id
	body := p.body(l, diff)
	l.ob.Op = op
	reply, err := p.Halo.Post(ctx, l.sp.path, body)
	if err != nil {
		return err
	}
	return p.storeReply(ctx, l, reply, l.keys)
}

// correlation is what finds a create in Halo after a crash. Tickets carry it in thirdpartynumber
// ("halosync:<outbox id>:<random>"). Other entities have no free field that every tenant stores and
// returns, so they are found by id and content: Halo's ids only grow, so the record is the one with an id
// above the highest id known before the send ("after=<id>") whose text fields equal the ones we sent.
func (p *Pusher) correlation(ctx context.Context, l *locked) (string, error) {
	prefix := "halosync:" + strconv.FormatInt(l.ob.ID, 10) + ":"
	if l.t.Entity == Tickets {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		return prefix + hex.EncodeToString(b[:]), nil
	}
	maxID, err := p.Store.MaxID(ctx, l.tx, l.t, l.keys[0])
	if err != nil {
		return "", err
	}
	return prefix + "after=" + strconv.FormatInt(maxID, 10), nil
}

// lookup finds the record an earlier attempt of this create may have posted; nil when there is none.
func (p *Pusher) lookup(ctx context.Context, l *locked) (*store.Row, error) {
	ob := l.ob
	if ob.Correlation == nil {
		return nil, nil
	}
	corr := *ob.Correlation
	var found []int64 // Halo keys of the match
	if ob.Entity == Tickets {
		from := time.Now().Add(-lookupWindow)
		if ob.SentAt != nil {
			from = ob.SentAt.Add(-lookupWindow)
		}
		params := url.Values{"lastupdatefromdate": {halo.FormatQueryTime(from.Add(p.Halo.ClockOffset()))}}
		for page, err := range p.Halo.Tickets(ctx, &halo.ListOptions{Params: params}) {
			if err != nil {
				return nil, err
			}
			for _, t := range page.Rows {
				if t.ThirdPartyNumber == corr {
					found = []int64{int64(t.ID)}
				}
			}
		}
	} else {
		_, after, ok := strings.Cut(corr, "after=")
		if !ok {
			return nil, nil
		}
		minID, err := strconv.ParseInt(after, 10, 64)
		if err != nil {
			return nil, nil
		}
		if found, err = p.lookupByContent(ctx, l, minID); err != nil {
			return nil, err
		}
	}
	if found == nil {
		return nil, nil
	}
	row, _, err := l.sp.get(ctx, p.Halo, found)
	if err != nil {
		return nil, err
	}
	return &row, nil
}

// lookupByContent lists the entity (actions: the ticket's actions) and returns the keys of the record with
// an id above minID whose text fields equal the create's.
func (p *Pusher) lookupByContent(ctx context.Context, l *locked, minID int64) ([]int64, error) {
	var texts []string
	for k, v := range l.ob.Fields {
		if _, ok := v.(string); ok && columnType(l.t, k) == store.TypeText {
			texts = append(texts, k)
		}
	}
	if len(texts) == 0 {
		// Parked (not retried): only an operator can tell whether Halo has the record.
		return nil, &halo.ValidationError{Method: "POST", Path: l.sp.path, Message: "cannot tell whether an interrupted create reached Halo: it has no text field to match; check Halo, then delete the local row or retry the push"}
	}
	match := func(r store.Row) bool {
		id, _ := asInt64(r.Keys[len(r.Keys)-1])
		if id <= minID {
			return false
		}
		for _, k := range texts {
			if !sameValue(l.ob.Fields[k], rowValue(l.t, r, k)) {
				return false
			}
		}
		return true
	}
	if l.t.Entity == Actions {
		params := url.Values{"ticket_id": {strconv.FormatInt(l.keys[0], 10)}}
		for page, err := range p.Halo.Actions(ctx, &halo.ListOptions{Params: params}) {
			if err != nil {
				return nil, err
			}
			for _, a := range page.Rows {
				if a.TicketID == 0 {
					a.TicketID = halo.Int(l.keys[0])
				}
				if r := store.Tables[Actions].RowFrom(actionRow(a)); match(r) {
					return []int64{l.keys[0], int64(a.ID)}, nil
				}
			}
		}
		return nil, nil
	}
	sp := specs[l.t.Entity]
	params := url.Values{}
	maps.Copy(params, sp.inactiveParams)
	for b, err := range sp.walk(ctx, p.Halo, params) {
		if err != nil {
			return nil, err
		}
		for _, r := range b.rows {
			if match(r) {
				id, _ := asInt64(r.Keys[0])
				return []int64{id}, nil
			}
		}
	}
	return nil, nil
}

func columnType(t *store.Table, col string) string {
	for _, c := range t.Columns {
		if c.Name == col {
			return c.Type
		}
	}
	return ""
}

// rowValue returns a mapped row's value of col, dereferenced.
func rowValue(t *store.Table, r store.Row, col string) any {
	for i, c := range t.Columns {
		if c.Name == col {
			v := reflect.ValueOf(r.Values[i])
			if v.Kind() == reflect.Pointer {
				if v.IsNil() {
					return nil
				}
				return v.Elem().Interface()
			}
			return r.Values[i]
		}
	}
	return nil
}

// delete deletes a record in Halo (tickets are soft-deleted by Halo; actions need their ticket).
func (p *Pusher) delete(ctx context.Context, ob *store.OutboxRow) error {
	l, ok, err := p.lock(ctx, ob, false)
	if err != nil || !ok {
		return err
	}
	defer l.rollback(ctx)
	ob = l.ob
	id := l.keys[len(l.keys)-1]
	if id > 0 && (ob.Entity != Actions || l.keys[0] > 0) {
		var params url.Values
		if ob.Entity == Actions {
			params = url.Values{"ticket_id": {strconv.FormatInt(l.keys[0], 10)}}
		}
		err := p.Halo.Delete(ctx, l.sp.path, id, params)
		var nf *halo.NotFoundError
		if err != nil && !errors.As(err, &nf) {
			l.rollback(ctx)
			return p.failed(ctx, ob, err)
		}
	}
	if err := p.tombstone(ctx, l); err != nil {
		return err
	}
	if err := p.Store.FinishOutbox(ctx, l.tx, ob.ID, nil, ""); err != nil {
		return err
	}
	if err := l.tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit delete: %w", err)
	}
	p.logger().Info("pushed delete", "entity", ob.Entity, "key", ob.RecordKey)
	return nil
}

// sameValue compares two JSON values as Postgres rendered them or as a mapper produced them: numbers by
// value (1.50 = 1.5), times by instant, anything else exactly.
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if ra, ok := asRat(a); ok {
		rb, ok := asRat(b)
		return ok && ra.Cmp(rb) == 0
	}
	if sa, ok := a.(string); ok {
		sb, ok := b.(string)
		if !ok {
			if tb, ok := b.(time.Time); ok {
				ta, err := time.Parse(time.RFC3339Nano, sa)
				return err == nil && ta.Equal(tb)
			}
			return false
		}
		if sa == sb {
			return true
		}
		ta, err1 := time.Parse(time.RFC3339Nano, sa)
		tb, err2 := time.Parse(time.RFC3339Nano, sb)
		return err1 == nil && err2 == nil && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}

func asRat(v any) (*big.Rat, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case float64:
		return new(big.Rat).SetFloat64(x), true
	case int64:
		return new(big.Rat).SetInt64(x), true
	case int:
		return new(big.Rat).SetInt64(int64(x)), true
	default:
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		return int64(x), x == float64(int64(x))
	case halo.Int:
		return int64(x), true
	}
	return 0, false
}

// tombstone marks the locked record deleted in the mirror (a ticket's actions go with it).
func (p *Pusher) tombstone(ctx context.Context, l *locked) error {
	keys := make([]any, len(l.keys))
	for i, k := range l.keys {
		keys[i] = k
	}
	if _, err := p.Store.Tombstone(ctx, l.tx, l.t, [][]any{keys}); err != nil {
		return err
	}
	if l.ob.Entity == Tickets {
		return p.Store.TombstoneActionsOfDeletedTickets(ctx, l.tx)
	}
	return nil
}
