package entity

import "net/url"

// Agents are Halo's technicians; agent 1 is "Unassigned". Without paging
// parameters /Agent answers one default page (50 rows for an API agent: issue
// 21 found 50 of 150 agents mirrored), so it is paged like every list; Halo
// then wraps the rows as {"results": [...]} and may ignore page_size, which
// the walk survives (a repeated page ends it). A bare array is accepted too.
var Agents = declare(&Entity{
	Name:     "agents",
	Comment:  "Halo agents (technicians, GET /api/Agent). Agent id 1 is Halo's \"Unassigned\" placeholder, not a person.",
	Order:    150,
	Path:     "/api/Agent",
	Envelope: []string{"results", "agents"},
	Paging:   Paged,
	Params: url.Values{
		// includeapiagents: API agents are hidden without it (swagger /Agent).
		"includeenabled": {"true"}, "includedisabled": {"true"}, "includeunassigned": {"true"}, "includeapiagents": {"true"},
	},
	Keys: []Column{
		{Name: "id", Kind: Integer,
			Comment: "Halo agent id (primary key). Id 1 is the built-in \"Unassigned\" agent."},
	},
	Columns: []Column{
		{Name: "name", Kind: TextKeep,
			Comment: "Agent display name."},
		{Name: "email", Kind: Text,
			Comment: "Agent email address."},
		{Name: "firstname", Kind: Text,
			Comment: "First name."},
		{Name: "surname", Kind: Text,
			Comment: "Surname."},
		{Name: "initials", Kind: Text,
			Comment: "Initials shown in Halo."},
		{Name: "isdisabled", Kind: Boolean,
			Comment: "True when the agent account is disabled in Halo (Halo's own flag)."},
		{Name: "team", Kind: Text,
			Comment: "Name of the agent's primary team (a name, not an id; team names need not be unique). All of an agent's teams, with ids: halo.agent_teams."},
		{Name: "isapiagent", Kind: Boolean,
			Comment: "True for API-only agents (integrations such as halosync itself)."},
	},
	Generated: []string{"inactive"},
	UpdatedAt: []string{"last_modified"},
	Filter:    FullOnly,
	Access:    "permission to view agents and teams (an admin agent, or Agent > Permissions), and scope all",
})
