package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// fieldConflict is one field changed on both sides since the base.
type fieldConflict struct {
	field         string
	local, remote any
	winner        string // "local" or "halo"
}

// merge decides, field by field, what an update sends. local are the changed fields, base the writable
// columns as last synced, remote Halo's current record, all canonical (store.Values; custom field values,
// "customfields.<id>", compared by meaning: sameCustomValue):
//
//   - changed here only (remote still equals base): sent;
//   - changed in Halo only: not in local, nothing to do (the reply or the record stores it);
//   - changed here and back while Halo still has the base: nothing to send;
//   - changed on both sides to the same value: nothing to send;
//   - changed on both sides differently: the later change wins — the local change time against Halo's
//     last-modified converted to our clock (remoteAt; nil = unknown, local wins); ties go to Halo. Every
//     such field is a conflict, whoever wins, so the loser is never silently dropped. A local edit back
//     to the base value is such a change too: edits merged into one outbox row (true, then false again)
//     are still the analyst's latest word, and Halo's edit in between must not win it without a conflict
//     for being older (seeds 1318 and 1588).
func merge(local, base, remote store.Values, localAt time.Time, remoteAt *time.Time) (send store.Values, conflicts []fieldConflict) {
	send = store.Values{}
	for _, k := range slices.Sorted(maps.Keys(local)) {
		same := store.Same
		if _, ok := customFieldID(k); ok {
			same = sameCustomValue
		}
		lv, rv := local[k], remote[k]
		bv, hasBase := base[k]
		if hasBase && same(lv, bv) && same(rv, bv) {
			continue // changed here and back: Halo still has it
		}
		if !hasBase || same(rv, bv) {
			send[k] = lv // changed only here
			continue
		}
		if same(lv, rv) {
			continue // both sides made the same change
		}
		winner := "halo"
		if remoteAt == nil || localAt.After(*remoteAt) {
			winner = "local"
			send[k] = lv
		}
		conflicts = append(conflicts, fieldConflict{field: k, local: lv, remote: rv, winner: winner})
	}
	return send, conflicts
}

// actionTimed reports whether Halo sent an action's last_updated (swagger Actions has it; the live tenant
// of the captures did not): its own last-modified time, which dates an edit exactly.
func actionTimed(row store.Row) bool {
	var r struct {
		LastUpdated halo.Time `json:"last_updated"`
	}
	return json.Unmarshal(row.Raw, &r) == nil && r.LastUpdated.Valid
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

// localFields reads an outbox row's fields and base as canonical values, keeping only writable columns.
func (p *Pusher) localFields(ctx context.Context, q store.Querier, ob *store.OutboxRow) (fields, base store.Values, err error) {
	t := store.Tables[ob.Entity]
	writable, err := p.Store.WritableColumns(ctx, q, ob.Entity)
	if err != nil {
		return nil, nil, err
	}
	if fields, err = canonFields(t, ob.Fields); err != nil {
		return nil, nil, fmt.Errorf("outbox %d fields: %w", ob.ID, err)
	}
	var dropped []string
	if fields, dropped = onlyWritable(fields, writable); len(dropped) > 0 {
		p.logger().Warn("outbox row holds columns that are not writable; they are not sent", "outbox", ob.ID,
			"entity", ob.Entity, "columns", dropped)
	}
	if base, err = canonFields(t, ob.Base); err != nil {
		return nil, nil, fmt.Errorf("outbox %d base: %w", ob.ID, err)
	}
	return fields, base, nil
}

// bothChanged reports whether Halo changed, differently, a field the (unlocked) outbox row changes: the
// push will record a conflict and needs Halo's time.
func (p *Pusher) bothChanged(ctx context.Context, ob *store.OutboxRow, remote store.Values) bool {
	local, base, err := p.localFields(ctx, p.Store.Pool, ob)
	if err != nil {
		return false // the decision in update reports it
	}
	_, conflicts := merge(local, base, remote, ob.ChangedAt, nil)
	return len(conflicts) > 0
}

// errReadBeforeEdit says a local edit merged into the outbox row after Halo's record was read for it: the
// decision is not taken, and push starts over with the row as it is now (maybe a delete by then).
var errReadBeforeEdit = errors.New("edited locally while Halo's record was read")

// update pushes local changes of an existing record: GET Halo's record; decide (one transaction); POST
// the winning fields (no transaction); apply the reply (one transaction, guarded by the edit count).
//
// The decision needs Halo's record as it was after the local edits it judges: an edit that merged into the
// row while the GET was on its way (the row's edit count moved) could otherwise be sent over a change Halo
// made after it — "changed only here" against the older copy, the later Halo edit lost without a conflict.
// Such a decision is not taken (errReadBeforeEdit).
func (p *Pusher) update(ctx context.Context, ob *store.OutboxRow) error {
	t, sp := store.Tables[ob.Entity], pushSpecs[ob.Entity]
	keys, err := t.ParseRecordKey(ob.RecordKey)
	if err != nil {
		return err
	}
	remote, deleted, err := sp.get(ctx, p.Halo, keys)
	if halo.Classify(err).Class == halo.ClassNotFound || (err == nil && deleted) {
		return p.remoteDeleted(ctx, ob, keys, remote)
	}
	if err != nil {
		return p.settle(ctx, ob, err, false)
	}
	remoteVals, err := t.ValuesOf(remote)
	if err != nil {
		return unstorable(fmt.Errorf("reading Halo's %s: %w", ob.Entity, err))
	}
	remoteAt := p.remoteTime(remote)
	if ob.Entity == entity.Tickets.Name {
		at, err := p.beforeOwnWrite(ctx, keys[0], remote.UpdatedAt)
		if err != nil {
			return err
		}
		remoteAt = p.remoteTime(store.Row{UpdatedAt: at})
	}
	var types map[int64]int64 // of the custom fields, for the body
	if ob.Entity == entity.Actions.Name && !actionTimed(remote) && p.bothChanged(ctx, ob, remoteVals) {
		// Without last_updated Halo shows no modification time of an action (datetime is when it was
		// logged); every write of one moves its ticket's last_update, the latest Halo's edit can have been.
		// Any other write of the ticket moves it too, so Halo wins in doubt. Ties go to Halo.
		ticket, _, err := pushSpecs[entity.Tickets.Name].get(ctx, p.Halo, keys[:1])
		if err != nil {
			return p.settle(ctx, ob, err, false)
		}
		if ticket.UpdatedAt, err = p.beforeOwnWrite(ctx, keys[0], ticket.UpdatedAt); err != nil {
			return err
		}
		remoteAt = p.remoteTime(ticket)
	}
	if p.afterGet != nil {
		p.afterGet(ctx, ob.ID)
	}

	var send store.Values
	var sent *store.OutboxRow // the row as marked sending
	err = p.inTx(ctx, func(tx pgx.Tx) error {
		cur, locked, ok, err := p.lockRow(ctx, tx, ob, keys)
		if err != nil || !ok {
			return err
		}
		if locked.Edits != ob.Edits {
			return errReadBeforeEdit // remote may predate an edit in locked: read both again
		}
		if cur == nil {
			return p.Store.FinishOutbox(ctx, tx, locked.ID, nil, "cancelled: the mirror row no longer exists")
		}
		if parked, err := p.parkOrphan(ctx, tx, locked); err != nil || parked {
			return err
		}
		local, base, err := p.localFields(ctx, tx, locked)
		if err != nil {
			return err
		}
		remoteCustomFields(remoteVals, remote.Raw, local, base)
		if types, err = p.Store.CustomFieldTypes(ctx, tx, locked.Entity, locked.RecordKey); err != nil {
			return err
		}
		var conflicts []fieldConflict
		send, conflicts = merge(local, base, remoteVals, locked.ChangedAt, remoteAt)
		for _, c := range conflicts {
			changedAt := locked.ChangedAt
			if err := p.Store.RecordConflict(ctx, tx, store.Conflict{Entity: locked.Entity, RecordKey: locked.RecordKey,
				Field: c.field, LocalValue: jsonValue(c.local), RemoteValue: jsonValue(c.remote), LocalChangedAt: &changedAt,
				RemoteChangedAt: remoteAt, Winner: c.winner}); err != nil {
				return err
			}
			p.logger().Info("push conflict", "entity", locked.Entity, "key", locked.RecordKey, "field", c.field, "winner", c.winner)
		}
		if len(send) == 0 {
			// Nothing of ours goes to Halo: its record is the truth.
			if err := p.upsert(ctx, tx, t, remote); err != nil {
				return err
			}
			return p.Store.FinishOutbox(ctx, tx, locked.ID, nil, "")
		}
		sent = locked
		return p.Store.MarkSending(ctx, tx, locked.ID, nil, send, locked.Edits)
	})
	if errors.Is(err, errReadBeforeEdit) {
		return err
	}
	if err != nil {
		return fmt.Errorf("decide push: %w", err)
	}
	if sent == nil {
		return nil // nothing to send (Halo's record stored), or the row was closed meanwhile
	}

	own, err := p.beforeActionWrite(ctx, sent, keys, send)
	if err != nil {
		return p.settle(ctx, sent, err, false)
	}
	b := body(t, keys, send, false)
	addCustomFields(b, send, types)
	reply, err := p.Halo.Post(ctx, sp.Path, b)
	if halo.Classify(err).Class == halo.ClassNotFound {
		return p.remoteDeleted(ctx, ob, keys, remote)
	}
	if err != nil {
		return p.settle(ctx, sent, err, false)
	}
	p.afterActionWrite(ctx, own)
	if err := p.hook(ctx, ob.ID); err != nil {
		return err
	}
	row, err := p.readReply(ctx, sp, reply, keys)
	if err != nil {
		return p.settle(ctx, sent, err, false)
	}
	err = p.inTx(ctx, func(tx pgx.Tx) error {
		_, locked, ok, err := p.lockRow(ctx, tx, ob, keys)
		if err != nil || !ok {
			return err
		}
		if err := p.recordOwnWrite(ctx, tx, ob.Entity, keys, remote, row); err != nil {
			return err
		}
		if locked.Edits != sent.Edits {
			// Edited while we sent: the mirror row holds the newer edit, which must not be overwritten by
			// Halo's reply. What Halo now has becomes the base; the new edit the next push.
			rest, err := editedSince(t, locked, send)
			if err != nil {
				return err
			}
			return p.Store.RequeueOutbox(ctx, tx, locked.ID, locked.Op, rest, send, nil)
		}
		if err := p.upsert(ctx, tx, t, row); err != nil {
			return err
		}
		return p.Store.FinishOutbox(ctx, tx, locked.ID, nil, "")
	})
	if err != nil {
		return fmt.Errorf("apply push reply: %w", err)
	}
	p.logger().Info("pushed update", "entity", ob.Entity, "key", ob.RecordKey, "fields", slices.Sorted(maps.Keys(send)))
	return nil
}

// readReply decodes Halo's POST reply; an unreadable reply (the write happened) is replaced by a GET.
func (p *Pusher) readReply(ctx context.Context, sp *pushSpec, reply json.RawMessage, keys []int64) (store.Row, error) {
	if reply != nil {
		if row, err := sp.decode(reply, keys); err == nil {
			return row, nil
		}
	}
	row, _, err := sp.get(ctx, p.Halo, keys)
	return row, err
}

// editedSince returns the fields of the (re-read) outbox row that an edit changed after payload was
// decided: those not in the payload, or with another value. MarkSending set fields to the payload, so
// everything else in fields came later.
func editedSince(t *store.Table, ob *store.OutboxRow, payload store.Values) (store.Values, error) {
	fields, err := canonFields(t, ob.Fields)
	if err != nil {
		return nil, fmt.Errorf("outbox %d fields: %w", ob.ID, err)
	}
	rest := store.Values{}
	for k, v := range fields {
		if pv, ok := payload[k]; !ok || !store.Same(v, pv) {
			rest[k] = v
		}
	}
	return rest, nil
}

// remoteDeleted ends an update of a record Halo no longer has (404, or a ticket marked deleted): the record
// is tombstoned, the local changes kept in a conflict row (field *deleted*), and the outbox row closed
// with a note, so nothing retries it.
func (p *Pusher) remoteDeleted(ctx context.Context, ob *store.OutboxRow, keys []int64, remote store.Row) error {
	t := store.Tables[ob.Entity]
	err := p.inTx(ctx, func(tx pgx.Tx) error {
		_, locked, ok, err := p.lockRow(ctx, tx, ob, keys)
		if err != nil || !ok {
			return err
		}
		if err := p.tombstone(ctx, tx, t, keys); err != nil {
			return err
		}
		changedAt := locked.ChangedAt
		if err := p.Store.RecordConflict(ctx, tx, store.Conflict{Entity: locked.Entity, RecordKey: locked.RecordKey,
			Field: "*deleted*", LocalValue: locked.Fields, RemoteValue: nil, LocalChangedAt: &changedAt,
			RemoteChangedAt: p.remoteTime(remote), Winner: "halo"}); err != nil {
			return err
		}
		return p.Store.FinishOutbox(ctx, tx, locked.ID, nil, "the record was deleted in Halo; local changes were not pushed (see halosync.conflicts)")
	})
	if err != nil {
		return fmt.Errorf("tombstone: %w", err)
	}
	p.logger().Warn("pushed update found the record deleted in Halo; tombstoned", "entity", ob.Entity, "key", ob.RecordKey)
	return nil
}

// jsonValue renders a canonical value as the conflicts table stores it (times as RFC 3339).
func jsonValue(v any) any {
	if tm, ok := v.(time.Time); ok {
		return tm.Format(time.RFC3339Nano)
	}
	return v
}
