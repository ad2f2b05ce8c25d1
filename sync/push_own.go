package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// Our own writes of a ticket's clock. Halo moves a ticket's last_update on every write of the ticket and of
// any of its actions (a create, an edit, a delete), and that time dates Halo's side of the ticket's conflicts
// (and of its actions' when they carry no last_updated). A write of ours must not count as Halo's: each one
// records the ticket's last_update before and after it (halosync.own_ticket_writes), and while the ticket's
// time is still the one our write produced, Halo's side is dated by the time before it (beforeOwnWrite).

// recordOwnWrite notes, in the transaction that stores the reply to our POST of a ticket, the ticket's
// last_update before (as our read found it) and after our write. A reply without the time records nothing,
// and neither does a crash before this commit: a conflict is then dated by the ticket's time as it is, and
// Halo wins in doubt.
func (p *Pusher) recordOwnWrite(ctx context.Context, tx pgx.Tx, name string, keys []int64, before, after store.Row) error {
	if name != entity.Tickets.Name || before.UpdatedAt == nil || after.UpdatedAt == nil {
		return nil
	}
	return p.Store.RecordOwnTicketWrite(ctx, tx, keys[0], *before.UpdatedAt, *after.UpdatedAt)
}

// beforeOwnWrite is the ticket's last_update a conflict is dated by: lastUpdate itself, unless it is the
// time our own latest write of the ticket or one of its actions produced (nothing written in Halo since);
// then the ticket's time before that write (and the writes of ours right before it), which is when Halo's
// own edit last happened. Halo's time is read before our POST, so an agent's edit between that read and the
// POST is dated too early; the window is one request long.
func (p *Pusher) beforeOwnWrite(ctx context.Context, ticketID int64, lastUpdate *time.Time) (*time.Time, error) {
	if lastUpdate == nil {
		return nil, nil
	}
	before, err := p.Store.TicketTimeBeforeOwnWrite(ctx, p.Store.Pool, ticketID, *lastUpdate)
	if err != nil || before == nil {
		return lastUpdate, err
	}
	return before, nil
}

// actionWrite is a write of ours of an action whose ticket's clock is watched: before is the ticket's
// last_update read just before it, fields its writable columns and custom fields then.
type actionWrite struct {
	ticketID int64
	before   *time.Time
	fields   ticketFields
	// setsStatus: the write sends new_status, which changes the ticket's status_id too (Halo does).
	setsStatus bool
}

// ticketFields is a ticket as read around our action write: its columns (of which changed compares the
// writable ones, what an agent edits) and its custom fields (as Halo sent them). A write of one of its
// actions moves the ticket's time but none of these (but status_id, by new_status).
type ticketFields struct {
	values store.Values
	custom json.RawMessage
}

func ticketFieldsOf(row store.Row) (ticketFields, error) {
	vals, err := store.Tables[entity.Tickets.Name].ValuesOf(row)
	if err != nil {
		return ticketFields{}, err
	}
	var rec struct {
		CustomFields json.RawMessage `json:"customfields"`
	}
	_ = json.Unmarshal(row.Raw, &rec) // raw that is no JSON object carries no custom fields
	return ticketFields{values: vals, custom: rec.CustomFields}, nil
}

// changed names a writable column that differs between f and g, but status_id when ignoreStatus, or
// "customfields"; "" if none.
func (f ticketFields) changed(g ticketFields, ignoreStatus bool) string {
	for _, k := range entity.Tickets.Writable() {
		if k == "status_id" && ignoreStatus {
			continue
		}
		if !store.Same(f.values[k], g.values[k]) {
			return k
		}
	}
	if !bytes.Equal(f.custom, g.custom) {
		return "customfields"
	}
	return ""
}

// beforeActionWrite reads the action's ticket before a write of ours of the action (a create, an edit, a
// delete), which moves the ticket's time. Every such write is read around, two GETs more, not only when
// another local edit of the ticket is seen waiting: an edit whose transaction began before our write and
// commits after it is not seen, yet is dated before our write, and an analyst's transaction can stay open
// for minutes. The ticket's own edit is pushed first (pushTicketFirst), but one backing off or failing does
// not hold the action back. It returns nil for an action of a ticket not yet in Halo, or one Halo will not
// show (404, 403): the action's own write then decides. send is what the write sends (nil for a delete).
func (p *Pusher) beforeActionWrite(ctx context.Context, ob *store.OutboxRow, keys []int64, send store.Values) (*actionWrite, error) {
	if ob.Entity != entity.Actions.Name || len(keys) < 2 || keys[0] <= 0 {
		return nil, nil
	}
	ticket, _, err := pushSpecs[entity.Tickets.Name].get(ctx, p.Halo, keys[:1])
	switch halo.Classify(err).Class {
	case halo.ClassNone:
		fields, err := ticketFieldsOf(ticket)
		if err != nil {
			p.logger().Debug("cannot read the ticket's fields before our action write; not recorded", "ticket", keys[0], "err", err)
			return nil, nil
		}
		_, setsStatus := send["new_status"]
		return &actionWrite{ticketID: keys[0], before: ticket.UpdatedAt, fields: fields, setsStatus: setsStatus}, nil
	case halo.ClassNotFound, halo.ClassForbidden, halo.ClassRejected:
		// Asking again gives the same answer: the action's own write decides (a missing ticket is its 404),
		// and without the record its ticket's conflicts go to Halo in doubt.
		p.logger().Debug("cannot read the ticket before our action write; not recorded", "ticket", keys[0], "err", err)
		return nil, nil
	}
	return nil, err
}

// afterActionWrite reads the ticket's last_update our write of its action produced and records it with the
// one before. The write has happened, so a failed read only costs the record (Halo wins in doubt) and is
// logged, not returned.
//
// An agent's edit of the ticket can land between our write and this read (seed 4933): its time would be
// taken for our write's and the edit dated before it, so a later Halo edit lost to an earlier local one.
// The ticket's fields tell: our action write changes none of them (but status_id by new_status), so a
// ticket whose fields moved since the read before is not recorded, and its conflicts go by its own time.
// An agent's write of another action in that window changes no field and is recorded as ours; it edits no
// field of the ticket either, so no ticket conflict is misdated by it.
func (p *Pusher) afterActionWrite(ctx context.Context, w *actionWrite) {
	if w == nil || w.before == nil {
		return
	}
	ticket, _, err := pushSpecs[entity.Tickets.Name].get(ctx, p.Halo, []int64{w.ticketID})
	if err == nil && ticket.UpdatedAt != nil {
		var after ticketFields
		if after, err = ticketFieldsOf(ticket); err == nil {
			if f := w.fields.changed(after, w.setsStatus); f != "" {
				p.logger().Debug("the ticket changed in Halo around our action write; not recorded", "ticket", w.ticketID, "field", f)
				return
			}
			err = p.Store.RecordOwnTicketWrite(ctx, p.Store.Pool, w.ticketID, *w.before, *ticket.UpdatedAt)
		}
	}
	if err != nil {
		p.logger().Warn("reading the ticket after our action write failed; its conflicts may date Halo's side by our write",
			"ticket", w.ticketID, "err", err)
	}
}
