package entity

import "net/url"

// KBArticles are the knowledge base (halo-api-more.md /KBArticle). Halo pages
// the list only when page_no is sent (without it the live call timed out
// listing everything), which the Paged walk always sends. /KBArticle has no
// modified-since filter (swagger), so every pull reads the whole list and
// stores only what changed (date_edited gives halo_updated_at). List rows
// carry no HTML bodies (those are GET by id only) and are not mirrored. Halo
// keeps no field that would prove an article ours, so a create interrupted by
// a crash is parked for an operator rather than sent twice.
var KBArticles = declare(&Entity{
	Name:     "kb_articles",
	Comment:  "Knowledge-base articles (GET /api/KBArticle, KBEntry_List schema), inactive ones included. HTML bodies and resolutions are only in Halo's full record (GET by id) and not mirrored. Writable (see halosync.writable_columns): edits and inserts are pushed to Halo.",
	Order:    330,
	Interval: IntervalCustomers,
	Path:     "/api/KBArticle",
	Envelope: []string{"articles"},
	Paging:   Paged,
	Params:   url.Values{"includeinactive": {"true"}, "includeactive": {"true"}},
	Keys: []Column{
		{Name: "id", Kind: Integer, Comment: "Halo article id (primary key)."},
	},
	Columns: []Column{
		{Name: "name", Kind: TextKeep, Writable: true, Comment: "Article title (Halo calls it name)."},
		{Name: "description", Kind: Text, Writable: true, Comment: "Article body as plain text, as Halo sends it on list rows; NULL when empty."},
		{Name: "type", Kind: Integer, Writable: true, Comment: "Article type as Halo codes it."},
		{Name: "inactive", Kind: Boolean, Writable: true, Comment: "True when the article is inactive in Halo (still a live row here; not a deletion)."},
		{Name: "tag_string", Kind: Text, Writable: true, Comment: "Tags, comma-separated as Halo sends them; NULL when none."},
		{Name: "view_count", Kind: Integer, Comment: "How often the article was viewed."},
		{Name: "useful_count", Kind: Integer, Comment: "Votes \"useful\"."},
		{Name: "notuseful_count", Kind: Integer, Comment: "Votes \"not useful\"."},
		{Name: "date_created", Kind: Timestamp, Comment: "When the article was created (UTC)."},
		{Name: "date_edited", Kind: Timestamp, Comment: "When the article was last edited (UTC); halo_updated_at copies it."},
		{Name: "next_review_date", Kind: Timestamp, Writable: true, Comment: "When the article is due for review (UTC); NULL when none."},
	},
	UpdatedAt: []string{"date_edited"},
	Filter:    FullOnly,
	Create:    CreateParked,
})
