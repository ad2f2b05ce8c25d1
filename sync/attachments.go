package sync

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	gosync "sync"
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
// The tickets' reads are stored in batches (attachmentsBatch tickets, or
// batchRows rows), each in one transaction with the mark that they were
// read, while the next tickets are read ahead: a transaction per ticket cost
// eight round trips per ticket, most of a first sync's attachments time
// (issue 19). A crash loses at most the reads not yet stored (two batches),
// which are read again. A failure (a 403 for an agent without the right,
// Halo down) ends this run with its error in the ledger and the entity's state, and leaves
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

func (p *Puller) attachments(ctx context.Context, ar *pullRun) error {
	err := pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		n, err := p.Store.TombstoneAttachmentsOfDeletedTickets(ctx, tx)
		ar.run.Tombstoned += int64(n)
		return err
	})
	if err != nil {
		return err
	}
	// Tickets the mirror wrote since the last complete read began.
	since, err := p.Store.LastCompleteAttachmentsRun(ctx, p.Store.Pool)
	if err != nil {
		return err
	}
	due, err := p.Store.DueAttachments(ctx, p.Store.Pool, since)
	if err != nil {
		return err
	}
	ar.total = len(due)

	// One goroutine reads ahead (at most a batch beyond the one being stored) while this one stores.
	ctx, cancel := context.WithCancel(ctx)
	reads := make(chan ticketAttachments, attachmentsBatch)
	var wg gosync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(reads)
		for _, d := range due {
			r := p.readAttachments(ctx, d)
			select {
			case reads <- r:
			case <-ctx.Done():
				return
			}
			if r.err != nil {
				return
			}
		}
	}()

	var batch []ticketAttachments
	rows := 0
	for r := range reads {
		if r.err != nil {
			// What was read before the failure is kept.
			if err := p.storeAttachments(ctx, ar, batch); err != nil {
				return err
			}
			return r.err
		}
		batch = append(batch, r)
		rows += len(r.rows)
		if len(batch) >= attachmentsBatch || rows >= batchRows {
			if err := p.storeAttachments(ctx, ar, batch); err != nil {
				return err
			}
			batch, rows = batch[:0], 0
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.storeAttachments(ctx, ar, batch)
}

// attachmentsBatch is how many tickets' attachment reads one transaction stores.
const attachmentsBatch = 50

// ticketAttachments is one ticket's attachments as read from Halo.
type ticketAttachments struct {
	due  store.AttachmentDue
	rows []store.Row
	bad  []halo.BadRow
	seen []int64 // the ids Halo listed
	gone bool    // Halo has no such ticket (404): nothing to tombstone here; the tickets pull reconciles it
	err  error
}

// readAttachments lists one ticket's attachments.
func (p *Puller) readAttachments(ctx context.Context, d store.AttachmentDue) ticketAttachments {
	t := store.Tables[entity.Attachments.Name]
	r := ticketAttachments{due: d, seen: []int64{}}
	params := url.Values{"ticket_id": {strconv.FormatInt(d.TicketID, 10)}}
	for page, err := range entity.Attachments.List(ctx, p.Halo, &halo.ListOptions{Params: params}) {
		if err != nil {
			if halo.Classify(err).Class == halo.ClassNotFound {
				r.gone = true
				break
			}
			r.err = fmt.Errorf("attachments of ticket %d: %w", d.TicketID, err)
			return r
		}
		r.bad = append(r.bad, page.Bad...)
		for _, rec := range page.Rows {
			// List rows carry no ticket id of their own: the ticket asked for.
			if rec.Value("ticket_id") == nil {
				setValue(rec, "ticket_id", d.TicketID)
			}
			r.rows = append(r.rows, t.RowOf(rec))
			r.seen = append(r.seen, rec.Keys[0].(int64))
		}
	}
	return r
}

// storeAttachments stores the reads of a batch of tickets in one transaction: their rows, their rejects,
// the tombstones of the attachments Halo no longer lists (only for tickets read cleanly: an undecodable row
// is not gone), and the mark that each was read at its version.
func (p *Puller) storeAttachments(ctx context.Context, ar *pullRun, batch []ticketAttachments) error {
	if len(batch) == 0 {
		return nil
	}
	t := store.Tables[entity.Attachments.Name]
	var rows []store.Row
	var bad []halo.BadRow
	var clean, seen []int64
	due := make([]store.AttachmentDue, len(batch))
	for i, r := range batch {
		rows = append(rows, r.rows...)
		bad = append(bad, r.bad...)
		if len(r.bad) == 0 && !r.gone {
			clean = append(clean, r.due.TicketID)
			seen = append(seen, r.seen...)
		}
		due[i] = r.due
	}
	err := pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		res, err := p.Store.Upsert(ctx, tx, t, rows)
		if err != nil {
			return err
		}
		if err := p.reject(ctx, tx, ar, bad, res.Rejected); err != nil {
			return err
		}
		n, err := p.Store.TombstoneMissingAttachments(ctx, tx, clean, seen)
		if err != nil {
			return err
		}
		if err := p.Store.MarkAttachmentsRead(ctx, tx, due); err != nil {
			return err
		}
		ar.run.Inserted += int64(res.Inserted)
		ar.run.Updated += int64(res.Updated)
		ar.run.Unchanged += int64(res.Unchanged)
		ar.run.Tombstoned += int64(n)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store attachments of tickets %d–%d: %w", batch[0].due.TicketID, batch[len(batch)-1].due.TicketID, err)
	}
	for _, r := range batch {
		ar.fetched++
		ar.run.Fetched += int64(len(r.rows) + len(r.bad))
		p.progress(ar)
	}
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
