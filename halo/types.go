package halo

import "encoding/json"

// The entity structs below carry only the fields the mirror types as columns; the
// whole record as Halo sent it is kept in Raw, so nothing unknown is lost when Halo
// adds or drops keys between versions. Each type's UnmarshalJSON fills Raw.

// Customer is a Halo client record (GET /api/Client, key "clients"). It is not named
// Client because that name belongs to the API client type.
type Customer struct {
	ID           Int    `json:"id"`
	Name         string `json:"name"`
	ToplevelID   Int    `json:"toplevel_id"`
	ToplevelName string `json:"toplevel_name"`
	Inactive     Bool   `json:"inactive"`
	MainSiteID   Int    `json:"main_site_id"`
	IsVIP        Bool   `json:"is_vip"`
	DateCreated  Time   `json:"datecreated"`
	LastUpdate   Time   `json:"alastupdate"`

	Raw json.RawMessage `json:"-"`
}

// Site is a client's site (GET /api/Site, key "sites"). client_id arrives as a float.
type Site struct {
	ID             Int    `json:"id"`
	Name           string `json:"name"`
	ClientID       Int    `json:"client_id"`
	ClientName     string `json:"client_name"`
	ClientSiteName string `json:"clientsite_name"`
	Inactive       Bool   `json:"inactive"`
	Timezone       string `json:"timezone"`
	SLAID          Int    `json:"sla_id"`
	DateCreated    Time   `json:"datecreated"`
	LastUpdate     Time   `json:"slastupdate"`

	Raw json.RawMessage `json:"-"`
}

// User is an end-user contact (GET /api/Users, key "users"). List rows are short and
// carry no ulastupdate: compare Raw to detect changes.
type User struct {
	ID               Int    `json:"id"`
	Name             string `json:"name"`
	Firstname        string `json:"firstname"`
	Surname          string `json:"surname"`
	EmailAddress     string `json:"emailaddress"`
	SiteID           Int    `json:"site_id"`
	SiteName         string `json:"site_name"`
	ClientID         Int    `json:"client_id"`
	ClientName       string `json:"client_name"`
	Inactive         Bool   `json:"inactive"`
	IsServiceAccount Bool   `json:"isserviceaccount"`
	LinkedAgentID    Int    `json:"linked_agent_id"`
	DateCreated      Time   `json:"datecreated"`
	LastUpdate       Time   `json:"ulastupdate"`

	Raw json.RawMessage `json:"-"`
}

// Agent is a Halo agent (GET /api/Agent: a bare array). Agent 1 is "Unassigned".
type Agent struct {
	ID           Int    `json:"id"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	Firstname    string `json:"firstname"`
	Surname      string `json:"surname"`
	Initials     string `json:"initials"`
	IsDisabled   Bool   `json:"isdisabled"`
	Team         string `json:"team"`
	IsAPIAgent   Bool   `json:"isapiagent"`
	LastModified Time   `json:"last_modified"`

	Raw json.RawMessage `json:"-"`
}

// Ticket is a Halo ticket (GET /api/Tickets, key "tickets"). LastUpdate is read from
// last_update, the name in Halo's published schema (Faults, Faults_List); lastupdate
// and flastupdate, which some GET and POST replies carry instead but the schema lacks,
// are read only when last_update is absent. TeamID (team_id) is not in the published
// schema either: an extra column, never relied on (team is the name Halo documents).
type Ticket struct {
	ID               Int    `json:"id"`
	Summary          string `json:"summary"`
	Details          string `json:"details"`
	DetailsHTML      string `json:"details_html"`
	ClientID         Int    `json:"client_id"`
	ClientName       string `json:"client_name"`
	SiteID           Int    `json:"site_id"`
	SiteName         string `json:"site_name"`
	UserID           Int    `json:"user_id"`
	UserName         string `json:"user_name"`
	AgentID          Int    `json:"agent_id"`
	Team             string `json:"team"`
	TeamID           Int    `json:"team_id"`
	StatusID         Int    `json:"status_id"`
	PriorityID       Int    `json:"priority_id"`
	TicketTypeID     Int    `json:"tickettype_id"`
	SLAID            Int    `json:"sla_id"`
	Category1        string `json:"category_1"`
	ThirdPartyNumber string `json:"thirdpartynumber"`
	ContractID       Int    `json:"contract_id"`
	Deleted          Bool   `json:"deleted"`
	HasBeenClosed    Bool   `json:"hasbeenclosed"`
	OnHold           Bool   `json:"onhold"`
	Inactive         Bool   `json:"inactive"`
	DateOccurred     Time   `json:"dateoccurred"`
	DateCreated      Time   `json:"datecreated"`
	DateClosed       Time   `json:"dateclosed"`
	FixByDate        Time   `json:"fixbydate"`
	RespondByDate    Time   `json:"respondbydate"`
	TargetDate       Time   `json:"targetdate"`
	LastActionDate   Time   `json:"lastactiondate"`
	LastUpdate       Time   `json:"last_update"`
	// DeletedKnown says whether the record carried a deleted key at all: the
	// published list-row schema (Faults_List) has none, so a list row without
	// it says nothing about whether the ticket is deleted.
	DeletedKnown bool `json:"-"`

	Raw json.RawMessage `json:"-"`
}

// Action is a ticket action (GET /api/Actions, key "actions"). Its id is unique only
// within its ticket: the key is (TicketID, ID).
type Action struct {
	TicketID          Int    `json:"ticket_id"`
	ID                Int    `json:"id"`
	Outcome           string `json:"outcome"`
	OutcomeID         Int    `json:"outcome_id"`
	Who               string `json:"who"`
	WhoAgentID        Int    `json:"who_agentid"`
	ActionByAgentID   Int    `json:"actionby_agent_id"`
	Note              string `json:"note"`
	NoteHTML          string `json:"note_html"`
	HiddenFromUser    Bool   `json:"hiddenfromuser"`
	Important         Bool   `json:"important"`
	NewStatus         Int    `json:"new_status"`
	TimeTaken         Float  `json:"timetaken"`
	DateTime          Time   `json:"datetime"`
	ActionDateCreated Time   `json:"actiondatecreated"`
	LastUpdated       Time   `json:"last_updated"`

	// Report fields (issue 21), all in Halo's published Actions schema. Pointers are
	// nil when the key is missing, so "not sent" stays NULL rather than 0 or false.
	OldStatus            Int    `json:"old_status"`
	WhoType              *Int   `json:"who_type"`             // 0 = system ("Rule Applied" and other automations)
	ActIsBillable        *Bool  `json:"actisbillable"`        // Halo's billable flag of the action
	ActionChargeHours    *Float `json:"actionchargehours"`    // chargeable hours
	ActionNonChargeHours *Float `json:"actionnonchargehours"` // non-chargeable hours
	NonBillTime          *Float `json:"nonbilltime"`          // non-billable time, hours

	Raw json.RawMessage `json:"-"`
}

// Asset is a Halo asset / device (GET /api/Asset, key "assets"). LastUpdate comes from
// dlastupdate, or last_modified when dlastupdate is absent.
type Asset struct {
	ID              Int    `json:"id"`
	InventoryNumber string `json:"inventory_number"`
	KeyField        string `json:"key_field"`
	ClientID        Int    `json:"client_id"`
	ClientName      string `json:"client_name"`
	SiteID          Int    `json:"site_id"`
	SiteName        string `json:"site_name"`
	AssetTypeID     Int    `json:"assettype_id"`
	AssetTypeName   string `json:"assettype_name"`
	StatusID        Int    `json:"status_id"`
	StatusName      string `json:"status_name"`
	Inactive        Bool   `json:"inactive"`
	LastUpdate      Time   `json:"dlastupdate"`

	Raw json.RawMessage `json:"-"`
}

// Contract is a client contract (GET /api/ClientContract, key "contracts").
type Contract struct {
	ID             Int    `json:"id"`
	ClientID       Int    `json:"client_id"`
	ClientName     string `json:"client_name"`
	SiteID         Int    `json:"site_id"`
	Ref            string `json:"ref"`
	StartDate      Time   `json:"start_date"`
	EndDate        Time   `json:"end_date"`
	Expired        Bool   `json:"expired"`
	Active         Bool   `json:"active"`
	Status         string `json:"status"`
	ContractStatus string `json:"contract_status"`
	BillingPeriod  Int    `json:"billingperiod"`
	LastModified   Time   `json:"last_modified"`

	Raw json.RawMessage `json:"-"`
}

// Status is a ticket (or other) status (GET /api/Status: bare array). Type 0 = ticket.
type Status struct {
	ID        Int    `json:"id"`
	Name      string `json:"name"`
	ShortName string `json:"shortname"`
	Type      Int    `json:"type"`
	Sequence  Int    `json:"sequence"`
	Colour    string `json:"colour"`

	Raw json.RawMessage `json:"-"`
}

// TicketType is a ticket type (GET /api/TicketType: bare array).
type TicketType struct {
	ID       Int    `json:"id"`
	Name     string `json:"name"`
	Use      string `json:"use"`
	GroupID  Int    `json:"group_id"`
	Visible  Bool   `json:"visible"`
	Inactive Bool   `json:"inactive"`

	Raw json.RawMessage `json:"-"`
}

// Team is an agent team (GET /api/Team: bare array).
type Team struct {
	ID           Int    `json:"id"`
	Name         string `json:"name"`
	Inactive     Bool   `json:"inactive"`
	DepartmentID Int    `json:"department_id"`
	LastModified Time   `json:"last_modified"`

	Raw json.RawMessage `json:"-"`
}

// Priority is a priority as configured per SLA (GET /api/Priority: bare array). ID is a
// GUID string; tickets reference PriorityID. The same PriorityID appears once per SLA.
type Priority struct {
	ID         string `json:"id"`
	PriorityID Int    `json:"priorityid"`
	SLAID      Int    `json:"slaid"`
	Name       string `json:"name"`
	IsHidden   Bool   `json:"ishidden"`
	Colour     string `json:"colour"`

	// SLA targets of this priority (Policy schema): fix and response times with their units.
	FixTime       *Float `json:"fixtime"`
	FixUnits      string `json:"fixunits"`
	ResponseTime  *Float `json:"responsetime"`
	ResponseUnits string `json:"responseunits"`

	Raw json.RawMessage `json:"-"`
}

// FieldInfo is one field definition (GET /api/FieldInfo: bare array of built-in and custom fields). Its ID
// is the id of the field in the customfields arrays of records. Halo sends no modification time.
type FieldInfo struct {
	ID             Int    `json:"id"`
	Name           string `json:"name"`
	Label          string `json:"label"`
	Type           Int    `json:"type"`
	InputType      Int    `json:"inputtype"`
	Custom         Bool   `json:"custom"`
	Mandatory      Bool   `json:"mandatory"`
	CharacterLimit Int    `json:"characterlimit"`
	// Usage is what the field belongs to (1 = tickets); in the published schema, not seen in a capture.
	Usage Int `json:"usage"`

	Raw json.RawMessage `json:"-"`
}
