package entity

// Timesheets are Halo's per agent-day summaries: a bare array whose rows
// all carry id 0, keyed on (agent_id, date). The published schema lists no
// parameters; clients send start_date/end_date, so they are read by windows
// of date like time entries. Read-only: Halo computes them.
var Timesheets = declare(&Entity{
	Name:    "timesheets",
	Comment: "Timesheets (GET /api/Timesheet): one row per agent and day with the hours Halo computed. Halo sends id 0 on every row, so the key is (agent_id, date). Read by windows of date; read-only (Halo computes them from the time entries in halo.timesheet_events).",
	Order:   440,
	Path:    "/api/Timesheet",
	Paging:  DateBounded,
	Bounds:  &Bounds{From: "start_date", To: "end_date", Column: "date", Recent: 31 * day, Ahead: day},
	Keys: []Column{
		{Name: "agent_id", Kind: Integer,
			Comment: "Agent (halo.agents.id). Part of the primary key."},
		{Name: "date", Kind: Date,
			Comment: "The day, as Halo sends it (midnight of that day, read as UTC). Part of the primary key."},
	},
	Columns: []Column{
		{Name: "agent_name", Kind: Text,
			Comment: "Agent name at the time of the last sync."},
		{Name: "target_hours", Kind: NumericOrNull,
			Comment: "Hours the agent was expected to work that day."},
		{Name: "actual_hours", Kind: NumericOrNull,
			Comment: "Hours logged that day."},
		{Name: "chargeable_hours", Kind: NumericOrNull,
			Comment: "Chargeable hours logged that day."},
		{Name: "work_hours", Kind: NumericOrNull,
			Comment: "Working hours of the agent's workday that day."},
		{Name: "unlogged_hours", Kind: NumericOrNull,
			Comment: "Working hours not covered by logged time."},
		{Name: "workdayid", Kind: Ref,
			Comment: "Workday (working-hours profile) id the day was measured against."},
	},
	Filter:   ByWindow,
	ReadOnly: true,
})
