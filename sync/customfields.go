package sync

import (
	"context"
	"net/url"
	"strconv"
	"strings"
)

// How records get their custom field values: the values are stored with every copy of a record that
// carries a customfields array (store/customfields.go); these parameters make list rows carry it where Halo
// documents a way. GET by id (targeted fetches, push replies) carries them anyway; other lists have no
// documented include (halo-api-more.md), so their values come from those reads.

// maxIncludeLength bounds include_custom_fields: a tenant with hundreds of ticket fields must not push the
// query string past what a web server accepts (IIS refuses query strings over 2,048 bytes by default), which
// would fail every ticket list. Fields beyond it keep their values from GET by id.
const maxIncludeLength = 1500

// ticketFieldParams asks the ticket list for the custom fields of tickets (include_custom_fields, halo-api.md
// §5.1: list rows omit them otherwise), by the ids the field definitions give (halo.custom_fields, pulled
// before tickets). No definitions yet (their pull failed or has not run): no include.
func ticketFieldParams(ctx context.Context, p *Puller) (url.Values, error) {
	ids, err := p.Store.TicketCustomFieldIDs(ctx, p.Store.Pool)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var b strings.Builder
	for _, id := range ids {
		s := strconv.FormatInt(id, 10)
		if b.Len()+1+len(s) > maxIncludeLength {
			p.logger().Warn("too many ticket custom fields to include them all in ticket lists; the rest come from reads by id",
				"included", strings.Count(b.String(), ",")+1, "fields", len(ids))
			break
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s)
	}
	return url.Values{"include_custom_fields": {b.String()}}, nil
}

// assetFieldParams makes asset list rows carry their fields (includeassetfields=true, halo-api.md §12.9).
func assetFieldParams(context.Context, *Puller) (url.Values, error) {
	return url.Values{"includeassetfields": {"true"}}, nil
}
