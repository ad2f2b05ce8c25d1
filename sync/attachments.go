package sync

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	"github.com/halosync/halosync/store"
)

// pullAttachments reads the attachment metadata of the tickets that need it,
// after the tickets pull has stored them and their actions. Halo lists
// attachments only per ticket (GET /api/Attachment?ticket_id=N), so every
// read is a request: only tickets changed in Halo since their attachments
// were last read, and that have attachments by the counts Halo sends on
// tickets and actions (attachment_count), are read (store.DueAttachments). On
// a first sync that is one request per ticket with attachments; afterwards one
// per changed ticket with attachments. A full pull does not re-read unchanged
// tickets (that would cost a request per ticket with attachments on every
// full pull): an attachment deleted in Halo is noticed when its ticket next
// changes, and every attachment of a deleted ticket is tombstoned with it.
//
// Each ticket's attachments are stored with the mark that they were read, in
// one transaction: a crash loses at most the ticket in flight, which is read
// again. A failure (a 403 for an agent without the right, Halo down) ends
// this run with its error in the ledger and the entity's state, and leaves
// the ticket pull that called it successful: attachments are an extra, and
// the unread tickets stay due for the next pull.
func (p *Puller) pullAttachments(ctx context.Context) *store.Run {
	name := entity.Attachments.Name
	st, err := p.Store.GetState(ctx, p.Store.Pool, name)
	if err != nil {
		p.logger().Warn("pull attachments: read state", "err", err)
		return nil
	}
	ar := &pullRun{spec: specs[name], state: st, started: time.Now()}
	ar.run = &store.Run{Entity: name, Mode: "incremental", StartedAt: ar.started}
	if ar.run.ID, err = p.Store.StartRun(ctx, name, ar.run.Mode); err != nil {
		p.logger().Warn("pull attachments: start run", "err", err)
		return nil
	}
	ctx, ar.counter = halo.WithRequestCounter(ctx)
	err = p.attachments(ctx, ar)
	ar.run.Requests = ar.counter.Load()
	if ferr := p.finish(context.WithoutCancel(ctx), ar, err); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		p.logger().Warn("pull attachments failed; the tickets still due are read by the next tickets pull", "err", err)
	}
	return ar.run
}

// attachmentsMargin is how far before its last complete read a pull looks
// for changed tickets: far longer than a ticket batch's transaction.
const attachmentsMargin = time.Hour

func (p *Puller) attachments(ctx context.Context, ar *pullRun) error {
	err := pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		n, err := p.Store.TombstoneAttachmentsOfDeletedTickets(ctx, tx)
		ar.run.Tombstoned += int64(n)
		return err
	})
	if err != nil {
		return err
	}
	// Tickets the mirror wrote since the last complete read, with an hour's
	// margin: a ticket batch that started before that read but committed
	// after it carries an older synced_at (the start of its transaction).
	since, err := p.Store.LastCompleteAttachmentsRun(ctx, p.Store.Pool)
	if err != nil {
		return err
	}
	if since != nil {
		t := since.Add(-attachmentsMargin)
		since = &t
	}
	due, err := p.Store.DueAttachments(ctx, p.Store.Pool, since)
	if err != nil {
		return err
	}
	ar.total = len(due)
	for _, d := range due {
		if err := p.ticketAttachments(ctx, ar, d); err != nil {
			return err
		}
	}
	return nil
}

// ticketAttachments lists one ticket's attachments, stores them, tombstones
// the ones Halo no longer lists (only after a clean read), and marks the
// ticket read at its current version.
func (p *Puller) ticketAttachments(ctx context.Context, ar *pullRun, d store.AttachmentDue) error {
	t := store.Tables[entity.Attachments.Name]
	var rows []store.Row
	var bad []halo.BadRow
	seen := []int64{}
	gone := false
	params := url.Values{"ticket_id": {strconv.FormatInt(d.TicketID, 10)}}
	for page, err := range entity.Attachments.List(ctx, p.Halo, &halo.ListOptions{Params: params}) {
		if err != nil {
			if halo.Classify(err).Class == halo.ClassNotFound {
				gone = true // the ticket is gone; its deletion is reconciled by the tickets pull
				break
			}
			return fmt.Errorf("attachments of ticket %d: %w", d.TicketID, err)
		}
		bad = append(bad, page.Bad...)
		for _, rec := range page.Rows {
			// List rows carry no ticket id of their own: the ticket asked for.
			if rec.Value("ticket_id") == nil {
				setValue(rec, "ticket_id", d.TicketID)
			}
			rows = append(rows, t.RowOf(rec))
			seen = append(seen, rec.Keys[0].(int64))
		}
	}
	ar.fetched++
	ar.run.Fetched += int64(len(rows) + len(bad))
	err := pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		res, err := p.Store.Upsert(ctx, tx, t, rows)
		if err != nil {
			return err
		}
		ar.run.Inserted += int64(res.Inserted)
		ar.run.Updated += int64(res.Updated)
		ar.run.Unchanged += int64(res.Unchanged)
		if err := p.reject(ctx, tx, ar, bad, res.Rejected); err != nil {
			return err
		}
		if len(bad) == 0 && !gone {
			// Only a clean, complete read may tombstone: an undecodable row
			// is not gone.
			n, err := p.Store.TombstoneMissingAttachments(ctx, tx, d.TicketID, seen)
			if err != nil {
				return err
			}
			ar.run.Tombstoned += int64(n)
		}
		return p.Store.MarkAttachmentsRead(ctx, tx, d)
	})
	if err != nil {
		return fmt.Errorf("store attachments of ticket %d: %w", d.TicketID, err)
	}
	p.progress(ar)
	return nil
}

// setValue sets a typed column of a decoded record (a field Halo leaves out
// of the row but the request tells).
func setValue(rec entity.Record, col string, v any) {
	for i, c := range rec.Entity().Columns {
		if c.Name == col {
			rec.Values[i] = v
			return
		}
	}
}
