package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// AttachmentDue is a ticket whose attachment metadata is to be read, with the ticket's Halo last-update
// time to remember once it is (MarkAttachmentsRead).
type AttachmentDue struct {
	TicketID   int64
	LastUpdate *time.Time
}

// DueAttachments lists the live tickets whose attachments must be read, oldest id first: those changed
// in Halo (halo_updated_at) since their attachments were last read, or never read, and that have
// attachments or may have some:
//   - Halo counts attachments on the ticket (attachment_count > 0), or
//   - Halo sent no count on the ticket but one of its actions counts some, or
//   - neither the ticket nor its actions carry a count at all (a Halo that sends none: read, not guess), or
//   - the mirror holds live attachments of it (they may have been deleted).
//
// A ticket with attachment_count 0 and no attachments here costs no request. With since set, only tickets
// the mirror wrote since the start of that read are looked at (an index range on change_xid instead of a
// scan of every ticket on every pull).
func (s *Store) DueAttachments(ctx context.Context, q Querier, since *AttachmentsMark) ([]AttachmentDue, error) {
	written, args := "true", []any{}
	switch {
	case since == nil:
	case since.Xmin != nil:
		// Every ticket written after the read's snapshot, or by a transaction still open then.
		written, args = "t.change_xid >= $1::text::xid8", []any{strconv.FormatUint(*since.Xmin, 10)}
	default:
		// A run recorded before its snapshot was: synced_at is the start of the writing transaction, and a
		// ticket batch that began before that read may have committed after it.
		written, args = "t.synced_at >= $1", []any{since.Started.Add(-attachmentsMargin)}
	}
	rows, err := q.Query(ctx, `SELECT t.id, t.halo_updated_at
FROM halo.tickets t LEFT JOIN halosync.attachment_reads r ON r.ticket_id = t.id
WHERE t.deleted_at IS NULL AND `+written+`
  AND (r.ticket_id IS NULL OR r.last_update IS DISTINCT FROM t.halo_updated_at)
  AND (t.attachment_count > 0
       OR (t.attachment_count IS NULL AND EXISTS (SELECT FROM halo.actions a WHERE a.ticket_id = t.id
               AND a.deleted_at IS NULL AND a.raw->>'attachment_count' ~ '^[1-9][0-9]*(\.0*)?$'))
       OR (t.attachment_count IS NULL AND NOT (t.raw ? 'attachment_count')
           AND NOT EXISTS (SELECT FROM halo.actions a WHERE a.ticket_id = t.id AND a.raw ? 'attachment_count'))
       OR EXISTS (SELECT FROM halo.attachments x WHERE x.ticket_id = t.id AND x.deleted_at IS NULL))
ORDER BY t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("error listing tickets whose attachments are due: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AttachmentDue, error) {
		var d AttachmentDue
		return d, r.Scan(&d.TicketID, &d.LastUpdate)
	})
	if err != nil {
		return nil, fmt.Errorf("error listing tickets whose attachments are due: %w", err)
	}
	return out, nil
}

// MarkAttachmentsRead records, with the attachment rows of the read, that the tickets' attachments were
// read at each ticket's version (its LastUpdate).
func (s *Store) MarkAttachmentsRead(ctx context.Context, tx pgx.Tx, ds []AttachmentDue) error {
	if len(ds) == 0 {
		return nil
	}
	ids, versions := make([]int64, len(ds)), make([]*time.Time, len(ds))
	for i, d := range ds {
		ids[i], versions[i] = d.TicketID, d.LastUpdate
	}
	_, err := tx.Exec(ctx, `INSERT INTO halosync.attachment_reads (ticket_id, last_update)
SELECT * FROM unnest($1::bigint[], $2::timestamptz[])
ON CONFLICT (ticket_id) DO UPDATE SET last_update = EXCLUDED.last_update, read_at = now()`, ids, versions)
	if err != nil {
		return fmt.Errorf("error recording the attachments read of %d tickets: %w", len(ds), err)
	}
	return nil
}

// TombstoneMissingAttachments marks deleted the live attachments of the tickets ticketIDs whose id is not
// in seenIDs (those tickets' attachments were just listed in full, and seenIDs are every id they listed:
// an attachment listed under another ticket of the same read is not missing). Other tickets' attachments
// are untouched.
func (s *Store) TombstoneMissingAttachments(ctx context.Context, tx pgx.Tx, ticketIDs, seenIDs []int64) (int, error) {
	if len(ticketIDs) == 0 {
		return 0, nil
	}
	t := Tables["attachments"]
	return s.tombstoneExec(ctx, tx, t, t.tombstoneSQL(`UPDATE halo.attachments SET deleted_at = now(), synced_at = now()
WHERE ticket_id = ANY($1::bigint[]) AND deleted_at IS NULL AND NOT (id = ANY($2::bigint[]))`, ""), ticketIDs, nonNilInt64s(seenIDs))
}

// TombstoneAttachmentsOfDeletedTickets marks deleted the live attachments of tickets the mirror holds as
// deleted: Halo lists no attachments for a deleted ticket, and reading them to find that out would cost a
// request each.
func (s *Store) TombstoneAttachmentsOfDeletedTickets(ctx context.Context, tx pgx.Tx) (int, error) {
	t := Tables["attachments"]
	return s.tombstoneExec(ctx, tx, t, t.tombstoneSQL(`UPDATE halo.attachments x SET deleted_at = now(), synced_at = now()
FROM halo.tickets t WHERE t.id = x.ticket_id AND t.deleted_at IS NOT NULL AND x.deleted_at IS NULL`, "x"))
}

// attachmentsMargin is how far before the start of a read without a recorded snapshot DueAttachments looks
// for written tickets: far longer than a ticket batch's transaction.
const attachmentsMargin = time.Hour

// AttachmentsMark is where the latest complete attachments read began: its start and the xmin of the
// database snapshot then (halosync.runs.snapshot_xmin; nil for a run recorded before migration 00021).
type AttachmentsMark struct {
	Started time.Time
	Xmin    *uint64
}

// LastCompleteAttachmentsRun returns where the latest attachments run that finished without an error
// began; nil when none did.
func (s *Store) LastCompleteAttachmentsRun(ctx context.Context, q Querier) (*AttachmentsMark, error) {
	var m AttachmentsMark
	var xmin *string
	err := q.QueryRow(ctx, `SELECT started_at, snapshot_xmin::text FROM halosync.runs
WHERE entity = 'attachments' AND finished_at IS NOT NULL AND error IS NULL
ORDER BY started_at DESC LIMIT 1`).Scan(&m.Started, &xmin)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error reading the last attachments run: %w", err)
	}
	if xmin != nil {
		x, err := strconv.ParseUint(*xmin, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("error reading the last attachments run: snapshot_xmin %q: %w", *xmin, err)
		}
		m.Xmin = &x
	}
	return &m, nil
}
