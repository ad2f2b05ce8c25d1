package entity

import "net/url"

// Teams are agent teams, a lookup (bare array; paged as Statuses are).
var Teams = declare(&Entity{
	Name:     "teams",
	Comment:  "Agent teams lookup (GET /api/Team). halo.tickets.team holds the name, team_id the id.",
	Order:    130,
	Path:     "/api/Team",
	Envelope: []string{"teams", "team", "results"},
	Paging:   Paged,
	Params:   url.Values{"includedisabled": {"true"}, "includeenabled": {"true"}},
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo team id (primary key)."},
	},
	Columns: []Column{
		{Name: "name", Kind: TextKeep,
			Comment: "Team name (what Halo writes on tickets)."},
		{Name: "inactive", Kind: Boolean,
			Comment: "True when the team is marked inactive in Halo."},
		{Name: "department_id", Kind: Ref,
			Comment: "Department the team belongs to."},
	},
	UpdatedAt: []string{"last_modified"},
	Interval:  IntervalLookups,
	Filter:    FullOnly,
	Access:    "permission to view agents and teams (an admin agent, or Agent > Permissions), and scope all",
})
