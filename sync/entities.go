// Package sync moves records between Halo and the Postgres mirror: it pulls
// one entity at a time (page → typed record → row → store) and keeps the
// cursor, ledger and rejects that make a pull resumable and auditable. It
// knows the halo client and the store; it knows neither River nor HTTP.
package sync

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/store"
)

// Strategy says how an entity can be read incrementally.
type Strategy int

const (
	// ByFilter entities honour lastupdatefromdate (tickets).
	ByFilter Strategy = iota
	// TryFilter entities are sent lastupdatefromdate, but Halo may ignore it
	// (clients, sites, assets: documented, never confirmed on a live tenant),
	// so the pull checks whether older rows came back and falls back to a
	// full scan with change detection by content.
	TryFilter
	// FullOnly entities are re-read whole every time: they have no
	// modified-since filter (contracts, agents, lookups) or their list rows
	// carry no timestamp to advance a cursor with (users, halo-api.md §12.6).
	FullOnly
)

// Entity names, as used in job args, the state table and the CLI.
const (
	Clients     = "clients"
	Sites       = "sites"
	Users       = "users"
	Agents      = "agents"
	Tickets     = "tickets"
	Actions     = "actions"
	Assets      = "assets"
	Contracts   = "contracts"
	Statuses    = "statuses"
	TicketTypes = "ticket_types"
	Teams       = "teams"
	Priorities  = "priorities"
	// CustomFields are the field definitions (GET /api/FieldInfo); the values of records' custom fields
	// are stored with their records (store/customfields.go).
	CustomFields = "custom_fields"
)

// PullOrder lists the entities a complete cycle pulls, lookups first so that
// analysts joining tickets to statuses find both. Actions are pulled by the
// tickets pull (they are children of tickets), so they are not listed.
var PullOrder = []string{Statuses, TicketTypes, Teams, Priorities, CustomFields, Agents, Clients, Sites, Users, Contracts, Assets, Tickets}

// IsEntity reports whether name is a pullable entity.
func IsEntity(name string) bool {
	_, ok := specs[name]
	return ok
}

// batch is one page of an entity turned into rows.
type batch struct {
	rows        []store.Row
	bad         []halo.BadRow
	recordCount int
	page        int // the page_no it was asked with
	// end is set on the last batch of a walk that reached its end.
	end *halo.WalkEnd
	// tickets holds the decoded tickets of a tickets page, so the pull can
	// decide whose actions to re-read.
	tickets []halo.Ticket
}

// walkFunc lists one entity page by page (opts: filters, and where a
// resumed walk starts).
type walkFunc func(ctx context.Context, c *halo.Client, opts halo.ListOptions) iter.Seq2[batch, error]

// spec describes how one entity is read and stored.
type spec struct {
	name     string
	path     string // Halo endpoint, for messages and status
	strategy Strategy
	// inactiveParams are sent on every list so inactive rows are not hidden
	// (halo-api.md §10.10): a hidden row would otherwise look deleted.
	inactiveParams url.Values
	// listParams, if set, adds parameters that depend on the mirror to every list of the entity (the
	// custom fields a ticket list row should carry).
	listParams func(ctx context.Context, p *Puller) (url.Values, error)
	walk       walkFunc
}

func (s *spec) table() *store.Table { return store.Tables[s.name] }

var includeInactive = url.Values{"includeinactive": {"true"}, "includeactive": {"true"}}

var specs = map[string]*spec{
	Clients: {name: Clients, path: "/api/Client", strategy: TryFilter, inactiveParams: includeInactive, walk: walker(Clients, (*halo.Client).Clients, clientRow)},
	Sites:   {name: Sites, path: "/api/Site", strategy: TryFilter, inactiveParams: includeInactive, walk: walker(Sites, (*halo.Client).Sites, siteRow)},
	Users:   {name: Users, path: "/api/Users", strategy: FullOnly, inactiveParams: includeInactive, walk: walker(Users, (*halo.Client).Users, userRow)},
	Assets: {name: Assets, path: "/api/Asset", strategy: TryFilter, inactiveParams: includeInactive, listParams: assetFieldParams,
		walk: walker(Assets, (*halo.Client).Assets, assetRow)},
	Contracts: {name: Contracts, path: "/api/ClientContract", strategy: FullOnly, inactiveParams: url.Values{"includeinactive": {"true"}}, walk: walker(Contracts, (*halo.Client).Contracts, contractRow)},
	Agents: {name: Agents, path: "/api/Agent", strategy: FullOnly,
		// includeapiagents: API agents are hidden without it (swagger /Agent).
		inactiveParams: url.Values{"includeenabled": {"true"}, "includedisabled": {"true"}, "includeunassigned": {"true"}, "includeapiagents": {"true"}},
		walk:           walker(Agents, (*halo.Client).Agents, agentRow)},
	Statuses:     {name: Statuses, path: "/api/Status", strategy: FullOnly, inactiveParams: url.Values{"showall": {"true"}}, walk: walker(Statuses, (*halo.Client).Statuses, statusRow)},
	TicketTypes:  {name: TicketTypes, path: "/api/TicketType", strategy: FullOnly, inactiveParams: url.Values{"showinactive": {"true"}}, walk: walker(TicketTypes, (*halo.Client).TicketTypes, ticketTypeRow)},
	Teams:        {name: Teams, path: "/api/Team", strategy: FullOnly, inactiveParams: url.Values{"includedisabled": {"true"}, "includeenabled": {"true"}}, walk: walker(Teams, (*halo.Client).Teams, teamRow)},
	Priorities:   {name: Priorities, path: "/api/Priority", strategy: FullOnly, walk: walker(Priorities, (*halo.Client).Priorities, priorityRow)},
	CustomFields: {name: CustomFields, path: "/api/FieldInfo", strategy: FullOnly, walk: walker(CustomFields, (*halo.Client).FieldInfo, fieldInfoRow)},
	Tickets:      {name: Tickets, path: "/api/Tickets", strategy: ByFilter, listParams: ticketFieldParams, walk: ticketWalker},
}

// walker adapts one typed list method of the halo client to a walkFunc.
func walker[T any](entity string, list func(*halo.Client, context.Context, *halo.ListOptions) iter.Seq2[halo.Page[T], error], toRow func(T) map[string]any) walkFunc {
	return func(ctx context.Context, c *halo.Client, opts halo.ListOptions) iter.Seq2[batch, error] {
		return func(yield func(batch, error) bool) {
			for page, err := range list(c, ctx, &opts) {
				if err != nil {
					yield(batch{}, err)
					return
				}
				b := batch{bad: page.Bad, recordCount: page.RecordCount, page: page.Asked, end: page.End, rows: make([]store.Row, 0, len(page.Rows))}
				for _, rec := range page.Rows {
					b.rows = append(b.rows, store.Tables[entity].RowFrom(toRow(rec)))
				}
				if !yield(b, nil) {
					return
				}
			}
		}
	}
}

func ticketWalker(ctx context.Context, c *halo.Client, opts halo.ListOptions) iter.Seq2[batch, error] {
	return func(yield func(batch, error) bool) {
		for page, err := range c.Tickets(ctx, &opts) {
			if err != nil {
				yield(batch{}, err)
				return
			}
			b := batch{bad: page.Bad, recordCount: page.RecordCount, page: page.Asked, end: page.End, tickets: page.Rows, rows: make([]store.Row, 0, len(page.Rows))}
			for _, t := range page.Rows {
				b.rows = append(b.rows, store.Tables[Tickets].RowFrom(ticketRow(t)))
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}

// recordKey is how a record is named in rejects and logs.
func recordKey(keys []any) string {
	switch len(keys) {
	case 1:
		return fmt.Sprint(keys[0])
	case 2:
		return fmt.Sprintf("%v/%v", keys[0], keys[1])
	}
	return fmt.Sprint(keys...)
}

// nonNeg maps Halo's "none" markers (-1, 0) on optional references to NULL,
// so analysts' joins do not look for a client -1.
func ref(v halo.Int) *int64 {
	if v <= 0 {
		return nil
	}
	n := int64(v)
	return &n
}

func text(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func itoa(v halo.Int) string { return strconv.FormatInt(int64(v), 10) }

func tptr(t halo.Time) *time.Time { return t.Ptr() }
