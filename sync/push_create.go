package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// Creates and their idempotency.
//
// A create commits its intent before the POST: state sending, the payload, and for tickets a correlation
// value ("halosync:<outbox id>:<random>") that the POST writes into the ticket's create marker
// (Pusher.Marker, third_party_id_string by default: a field Halo keeps on a ticket and returns in list
// rows). An attempt that finds the row already sending cannot know whether the earlier POST reached Halo,
// so for a ticket it scans the tickets updated since the intent was written and adopts the one carrying
// its value; only if there is none does it POST again. Other entities have no field Halo keeps for an
// external reference in both their record and list schemas, so nothing proves a record ours: such a row
// is parked with "may already exist in Halo: check and retry" — an operator looks in Halo, then deletes
// the local row or retries — instead of guessing by content and writing our fields onto a record a person
// created.

// lookupWindow is how far before the intent a crashed create's lookup searches (clock skew, slow commits).
const lookupWindow = 5 * time.Minute

// mayExist is the message of a create parked because it may already be in Halo.
const mayExist = "may already exist in Halo: check and retry (an attempt to create it was interrupted after its request was sent, and Halo keeps no field that proves which record is ours; look for it in Halo, then delete the local row, or retry with `halosync pushes retry %d` to create it)"

// create pushes a locally inserted row.
func (p *Pusher) create(ctx context.Context, ob *store.OutboxRow) error {
	t, sp := store.Tables[ob.Entity], pushSpecs[ob.Entity]
	keys, err := t.ParseRecordKey(ob.RecordKey)
	if err != nil {
		return err
	}
	var (
		payload store.Values
		sent    *store.OutboxRow // the row as marked sending
		retry   bool             // an earlier attempt may have posted it
	)
	err = p.inTx(ctx, func(tx pgx.Tx) error {
		cur, locked, ok, err := p.lockRow(ctx, tx, ob, keys)
		if err != nil || !ok {
			return err
		}
		if cur == nil {
			return p.Store.FinishOutbox(ctx, tx, locked.ID, nil, "cancelled: the row was deleted before it was created in Halo")
		}
		if parked, err := p.parkOrphan(ctx, tx, locked); err != nil || parked {
			return err
		}
		if locked.State == store.OutboxSending {
			retry, sent = true, locked
			if payload, err = canonFields(t, locked.Payload); err != nil {
				return fmt.Errorf("outbox %d payload: %w", locked.ID, err)
			}
			return nil
		}
		if payload, _, err = p.localFields(ctx, tx, locked); err != nil {
			return err
		}
		var corr *string
		if ob.Entity == entity.Tickets.Name {
			c, err := correlationValue(locked.ID)
			if err != nil {
				return err
			}
			corr = &c
		}
		if err := p.Store.MarkSending(ctx, tx, locked.ID, corr, payload, locked.Edits); err != nil {
			return err
		}
		sent = locked
		sent.Correlation, sent.SentEdits = corr, &locked.Edits
		return nil
	})
	if err != nil {
		return fmt.Errorf("commit create intent: %w", err)
	}
	if sent == nil {
		return nil // done, cancelled or parked meanwhile
	}
	if ob.Entity == entity.Tickets.Name {
		// Halo's ticket numbering races on parallel creates (halo-api.md §7.1, §10.16). A session advisory
		// lock, not a row lock: no analyst or pull waits on it.
		release, err := p.Store.LockTicketCreates(ctx)
		if err != nil {
			return err
		}
		defer release()
	}

	var rec *store.Row
	if retry {
		if ob.Entity != entity.Tickets.Name || sent.Correlation == nil {
			p.logger().Warn("interrupted create cannot be matched in Halo; parked", "entity", ob.Entity, "key", ob.RecordKey, "outbox", ob.ID)
			return p.Store.ParkOutbox(context.WithoutCancel(ctx), p.Store.Pool, ob.ID, fmt.Sprintf(mayExist, ob.ID))
		}
		found, err := p.findCreated(ctx, sent)
		if err != nil {
			return p.settle(ctx, sent, err, true) // the earlier POST may still be in Halo
		}
		if found != nil && found.deleted {
			return p.createdThenDeleted(ctx, sent, keys, found.id)
		}
		if found != nil {
			rec = &found.row
			p.logger().Info("create found in Halo after an interrupted attempt; adopting it", "entity", ob.Entity,
				"key", ob.RecordKey, "halo_key", entity.KeyString(rec.Keys))
		}
	}
	adopted := rec != nil
	if rec == nil {
		b := body(t, keys, payload, true)
		if sent.Correlation != nil {
			p.Marker.set(b, *sent.Correlation)
		}
		own, err := p.beforeActionWrite(ctx, sent, keys, payload)
		if err != nil {
			return p.settle(ctx, sent, err, false)
		}
		reply, err := p.Halo.Post(ctx, sp.Path, b)
		if err != nil {
			// Any earlier POST was looked for and not found: only this one may be in Halo.
			return p.settle(ctx, sent, err, halo.Classify(err).Class.Reached())
		}
		p.afterActionWrite(ctx, own)
		if err := p.hook(ctx, ob.ID); err != nil {
			return err
		}
		if reply != nil {
			if row, err := sp.decode(reply, keys); err == nil && len(row.Keys) > 0 {
				if id, _ := t.Canon(t.Keys[len(t.Keys)-1].Name, row.Keys[len(row.Keys)-1]); id != nil && id.(int64) > 0 {
					rec = &row
				}
			}
		}
		if rec == nil && sent.Correlation != nil {
			// Halo wrote it but its reply is unreadable: find it by its marker.
			found, err := p.findCreated(ctx, sent)
			if err != nil {
				return p.settle(ctx, sent, err, true)
			}
			if found != nil && found.deleted {
				return p.createdThenDeleted(ctx, sent, keys, found.id)
			}
			if found != nil {
				rec = &found.row
			}
		}
		if rec == nil {
			return p.Store.ParkOutbox(context.WithoutCancel(ctx), p.Store.Pool, ob.ID, fmt.Sprintf(mayExist, ob.ID))
		}
	}
	return p.adopt(ctx, sent, keys, payload, *rec, adopted)
}

// adopt moves the local row to the Halo record rec in one transaction: the temporary id (and every
// reference to it) becomes Halo's, and Halo's record is stored — unless local edits are not in it (made
// while the create was sent, or missing from a record found after a crash): then the row keeps them and
// the outbox row becomes an update that sends them next.
func (p *Pusher) adopt(ctx context.Context, sent *store.OutboxRow, keys []int64, payload store.Values, rec store.Row, adopted bool) error {
	t := store.Tables[sent.Entity]
	recVals, err := t.ValuesOf(rec)
	if err != nil {
		return unstorable(fmt.Errorf("reading Halo's %s: %w", sent.Entity, err))
	}
	newID := recVals[t.Keys[len(t.Keys)-1].Name].(int64)
	if err := store.CheckRaw(rec.Raw); err != nil {
		// Neither the mirror nor the outbox (its base) can hold it: parked, naming the record Halo has.
		return unstorable(fmt.Errorf("Halo's %s %d, created by this push: %w", sent.Entity, newID, err))
	}
	err = p.inTx(ctx, func(tx pgx.Tx) error {
		_, locked, ok, err := p.lockRow(ctx, tx, sent, keys)
		if err != nil || !ok || locked.State != store.OutboxSending {
			return err // finished by someone else meanwhile
		}
		if err := p.Store.RemapID(ctx, tx, sent.Entity, keys[len(keys)-1], newID, keys[0]); err != nil {
			return err
		}
		var rest store.Values
		if adopted {
			// Compare with what Halo has: an adopted record may predate edits merged while in doubt.
			fields, _, err := p.localFields(ctx, tx, locked)
			if err != nil {
				return err
			}
			rest = store.Values{}
			for k, v := range fields {
				if !store.Same(v, recVals[k]) {
					rest[k] = v
				}
			}
		} else if locked.Edits != *sent.SentEdits {
			if rest, err = editedSince(t, locked, payload); err != nil {
				return err
			}
		}
		if len(rest) > 0 {
			base := store.Values{}
			writable, err := p.Store.WritableColumns(ctx, tx, sent.Entity)
			if err != nil {
				return err
			}
			for k := range writable {
				base[k] = recVals[k]
			}
			return p.Store.RequeueOutbox(ctx, tx, locked.ID, store.OpUpdate, rest, base, &newID)
		}
		if err := p.upsert(ctx, tx, t, rec); err != nil {
			return err
		}
		return p.Store.FinishOutbox(ctx, tx, locked.ID, &newID, "")
	})
	if err != nil {
		return fmt.Errorf("commit create: %w", err)
	}
	p.logger().Info("pushed create", "entity", sent.Entity, "temp_key", sent.RecordKey, "halo_id", newID, "adopted", adopted)
	return nil
}

// correlationValue is a create's correlation value: the outbox id and a random part, so no other
// halosync database (or a restored copy of this one) produces the same.
func correlationValue(outboxID int64) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "halosync:" + strconv.FormatInt(outboxID, 10) + ":" + hex.EncodeToString(b[:]), nil
}

// created is the ticket an interrupted create made, found by its marker.
type created struct {
	id      int64
	row     store.Row // Halo's record (unset when deleted)
	deleted bool      // deleted in Halo since
}

// findCreated scans the tickets updated since the create's intent was written (Halo's clock) for the one
// whose marker carries the correlation value, then, if none, the deleted tickets (an agent may have deleted
// ours before we learnt its id: creating it again would make it twice), and returns it, or nil. A list
// filter on the marker is not proven to be honoured, so every row is compared here.
func (p *Pusher) findCreated(ctx context.Context, ob *store.OutboxRow) (*created, error) {
	from := time.Now().Add(-lookupWindow)
	if ob.SentAt != nil {
		from = ob.SentAt.Add(-lookupWindow)
	}
	for _, deleted := range []bool{false, true} {
		params := url.Values{"lastupdatefromdate": {halo.FormatQueryTime(from.Add(p.Halo.ClockOffset()))}}
		if deleted {
			params.Set("deleted", "true")
		}
		maps.Copy(params, p.Marker.listParams())
		var found int64
		for page, err := range entity.Tickets.List(ctx, p.Halo, &halo.ListOptions{Params: params}) {
			if err != nil {
				return nil, err
			}
			for _, tk := range page.Rows {
				if v := p.Marker.valueIn(tk.Raw); v != "" && v == *ob.Correlation {
					found = ticketOf(tk).id
				}
			}
		}
		if found == 0 {
			continue
		}
		row, gone, err := pushSpecs[entity.Tickets.Name].get(ctx, p.Halo, []int64{found})
		if halo.Classify(err).Class == halo.ClassNotFound {
			return &created{id: found, deleted: true}, nil
		}
		if err != nil {
			return nil, err
		}
		return &created{id: found, row: row, deleted: gone}, nil
	}
	return nil, nil
}

// createdThenDeleted ends an interrupted create whose ticket Halo has deleted since: the local row takes
// Halo's id and is tombstoned, edits merged meanwhile are kept in a conflict row (field *deleted*), and the
// outbox row is closed with a note. Nothing is created again.
func (p *Pusher) createdThenDeleted(ctx context.Context, sent *store.OutboxRow, keys []int64, id int64) error {
	t := store.Tables[sent.Entity]
	err := p.inTx(ctx, func(tx pgx.Tx) error {
		_, locked, ok, err := p.lockRow(ctx, tx, sent, keys)
		if err != nil || !ok || locked.State != store.OutboxSending {
			return err // finished by someone else meanwhile
		}
		if err := p.Store.RemapID(ctx, tx, sent.Entity, keys[len(keys)-1], id, keys[0]); err != nil {
			return err
		}
		if err := p.tombstone(ctx, tx, t, []int64{id}); err != nil {
			return err
		}
		changedAt := locked.ChangedAt
		if err := p.Store.RecordConflict(ctx, tx, store.Conflict{Entity: locked.Entity, RecordKey: strconv.FormatInt(id, 10),
			Field: "*deleted*", LocalValue: locked.Fields, LocalChangedAt: &changedAt, Winner: "halo"}); err != nil {
			return err
		}
		return p.Store.FinishOutbox(ctx, tx, locked.ID, &id, fmt.Sprintf("created in Halo as ticket %d, which was deleted there before halosync stored it; it was not created again (local fields in halosync.conflicts)", id))
	})
	if err != nil {
		return fmt.Errorf("commit create of a ticket deleted since: %w", err)
	}
	p.logger().Warn("create found in Halo after an interrupted attempt, deleted there since; tombstoned", "entity", sent.Entity,
		"temp_key", sent.RecordKey, "halo_id", id)
	return nil
}

// MarkerUse reports how many of the newest tickets (one page, at most 100) carry a value in
// the create marker that halosync did not write: a marker field another integration already uses would
// make crashed creates unrecoverable (halosync check shows it).
func (p *Pusher) MarkerUse(ctx context.Context) (foreign, scanned int, err error) {
	params := url.Values{"order": {"id"}, "orderdesc": {"true"}}
	maps.Copy(params, p.Marker.listParams())
	for page, err := range entity.Tickets.List(ctx, p.Halo, &halo.ListOptions{Params: params}) {
		if err != nil {
			return 0, 0, err
		}
		for _, tk := range page.Rows {
			scanned++
			if v := p.Marker.valueIn(tk.Raw); v != "" && !isOurs(v) {
				foreign++
			}
		}
		break // one page is enough to tell
	}
	return foreign, scanned, nil
}

func isOurs(v string) bool { return len(v) > 9 && v[:9] == "halosync:" }
