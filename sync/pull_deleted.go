package sync

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
)

// maxDeleteConfirmations bounds the GETs one pull spends confirming deleted-list
// rows that do not say whether they are deleted; the rest are left to the next
// full reconcile, which needs no confirmation (a deleted ticket is absent from
// the normal list).
const maxDeleteConfirmations = 25

// pullDeletedTickets tombstones the tickets Halo lists with deleted=true.
// Deleted tickets are hidden from the normal list (halo-api.md §4), so this
// is the only way a deletion in Halo reaches the mirror between full scans.
//
// A row is proof only when it says "deleted": true. Halo ignores a parameter
// it does not know (halo-api.md §10.11): a server that ignored deleted=true
// lists live tickets, which say "deleted": false. And the published list-row
// schema (Faults_List) has no deleted field at all: a row without it is
// confirmed with a GET by id (deleted, or 404), unless the ticket was just
// listed live by this run's own walk or is not live in the mirror anyway.
func (p *Puller) pullDeletedTickets(ctx context.Context, pr *pullRun) error {
	params := url.Values{"deleted": {"true"}}
	if pr.bound != nil {
		params.Set("lastupdatefromdate", halo.FormatQueryTime(*pr.bound))
	}
	var ids, unsure []int64
	for b, err := range specs[entity.Tickets.Name].walk(ctx, p.Halo, halo.ListOptions{Params: params}) {
		if err != nil {
			return fmt.Errorf("deleted tickets: %w", err)
		}
		for i, t := range b.tickets {
			switch {
			case !t.deletedKnown:
				unsure = append(unsure, t.id)
				continue
			case !t.deleted:
				continue
			}
			r := b.rows[i]
			ids = append(ids, t.id)
			if r.UpdatedAt != nil && r.UpdatedAt.After(pr.maxSeen) {
				pr.maxSeen = *r.UpdatedAt
			}
		}
	}
	confirmed, err := p.confirmDeleted(ctx, pr, unsure)
	if err != nil {
		return err
	}
	ids = append(ids, confirmed...)
	if len(ids) == 0 {
		return nil
	}
	// The mass-delete guard applies here too: the ids listed as deleted that
	// are still live in the mirror are what this run would tombstone.
	known, err := p.Store.TicketVersions(ctx, p.Store.Pool, ids)
	if err != nil {
		return err
	}
	fresh := 0
	for _, v := range known {
		if !v.Deleted {
			fresh++
		}
	}
	live, err := p.Store.LiveCount(ctx, p.Store.Pool, pr.spec.table())
	if err != nil {
		return err
	}
	if fresh > 0 && float64(fresh) > p.share()*float64(live) {
		return &MassDeleteError{Entity: entity.Tickets.Name, Missing: fresh, Total: live, Share: p.share()}
	}
	keys := make([][]any, len(ids))
	for i, id := range ids {
		keys[i] = []any{id}
	}
	return pgx.BeginFunc(ctx, p.Store.Pool, func(tx pgx.Tx) error {
		n, err := p.Store.Tombstone(ctx, tx, pr.spec.table(), keys)
		pr.run.Tombstoned += int64(n)
		if err != nil {
			return err
		}
		return p.Store.TombstoneActionsOfDeletedTickets(ctx, tx)
	})
}

// confirmDeleted asks Halo, one GET each, whether the tickets of deleted-list
// rows that carry no deleted flag are deleted, and returns those that are
// (deleted: true, or 404). Tickets this run's walk just listed live, and
// tickets not live in the mirror, need no answer. At most
// maxDeleteConfirmations are asked; the ledger notes the rest.
func (p *Puller) confirmDeleted(ctx context.Context, pr *pullRun, unsure []int64) ([]int64, error) {
	if len(unsure) == 0 {
		return nil, nil
	}
	// The set is of the few unsure ids, marked from the walk's list, never
	// of the walk's ids: a 1M-ticket walk's set would cost ~40 MB (issue 19).
	listed := make(map[int64]bool, len(unsure))
	for _, id := range unsure {
		listed[id] = false
	}
	for _, id := range pr.seen {
		if _, ok := listed[id]; ok {
			listed[id] = true
		}
	}
	known, err := p.Store.TicketVersions(ctx, p.Store.Pool, unsure)
	if err != nil {
		return nil, err
	}
	var ask []int64
	for _, id := range unsure {
		v, ok := known[id]
		if listed[id] || !ok || v.Deleted {
			continue
		}
		ask = append(ask, id)
	}
	if len(ask) > maxDeleteConfirmations {
		pr.run.Note("%d deleted-list rows without a deleted flag left to the next full reconcile", len(ask)-maxDeleteConfirmations)
		ask = ask[:maxDeleteConfirmations]
	}
	var gone []int64
	for _, id := range ask {
		rec, err := entity.Tickets.Get(ctx, p.Halo, []any{id})
		switch {
		case halo.Classify(err).Class == halo.ClassNotFound:
			gone = append(gone, id)
		case err != nil:
			return nil, fmt.Errorf("confirm deleted ticket %d: %w", id, err)
		case ticketOf(rec).deletedKnown && ticketOf(rec).deleted:
			gone = append(gone, id)
		}
	}
	return gone, nil
}
