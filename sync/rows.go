package sync

import (
	"github.com/halosync/halosync/halo"
)

// The functions below map one typed Halo record to the columns of its mirror
// table, by column name (store.Table.RowFrom puts them in table order and
// fails loudly on a missing column). "raw" and "halo_updated_at" are the two
// bookkeeping columns every mirror table has.

func clientRow(c halo.Customer) map[string]any {
	return map[string]any{
		"id": int64(c.ID), "name": c.Name, "toplevel_id": ref(c.ToplevelID), "toplevel_name": text(c.ToplevelName),
		"inactive": bool(c.Inactive), "main_site_id": ref(c.MainSiteID), "is_vip": bool(c.IsVIP),
		"datecreated": tptr(c.DateCreated),
		"raw":         []byte(c.Raw), "halo_updated_at": tptr(c.LastUpdate),
	}
}

func siteRow(s halo.Site) map[string]any {
	return map[string]any{
		"id": int64(s.ID), "name": s.Name, "client_id": ref(s.ClientID), "client_name": text(s.ClientName),
		"clientsite_name": text(s.ClientSiteName), "inactive": bool(s.Inactive), "timezone": text(s.Timezone),
		"sla_id": ref(s.SLAID), "datecreated": tptr(s.DateCreated),
		"raw": []byte(s.Raw), "halo_updated_at": tptr(s.LastUpdate),
	}
}

func userRow(u halo.User) map[string]any {
	return map[string]any{
		"id": int64(u.ID), "name": u.Name, "firstname": text(u.Firstname), "surname": text(u.Surname),
		"emailaddress": text(u.EmailAddress), "site_id": ref(u.SiteID), "site_name": text(u.SiteName),
		"client_id": ref(u.ClientID), "client_name": text(u.ClientName), "inactive": bool(u.Inactive),
		"isserviceaccount": bool(u.IsServiceAccount), "linked_agent_id": ref(u.LinkedAgentID),
		"datecreated": tptr(u.DateCreated),
		"raw":         []byte(u.Raw), "halo_updated_at": tptr(u.LastUpdate),
	}
}

func agentRow(a halo.Agent) map[string]any {
	return map[string]any{
		"id": int64(a.ID), "name": a.Name, "email": text(a.Email), "firstname": text(a.Firstname),
		"surname": text(a.Surname), "initials": text(a.Initials), "isdisabled": bool(a.IsDisabled),
		"team": text(a.Team), "isapiagent": bool(a.IsAPIAgent),
		"raw": []byte(a.Raw), "halo_updated_at": tptr(a.LastModified),
	}
}

func ticketRow(t halo.Ticket) map[string]any {
	return map[string]any{
		"id": int64(t.ID), "summary": t.Summary, "details": text(t.Details), "details_html": text(t.DetailsHTML),
		"client_id": ref(t.ClientID), "client_name": text(t.ClientName), "site_id": ref(t.SiteID),
		"site_name": text(t.SiteName), "user_id": ref(t.UserID), "user_name": text(t.UserName),
		// agent_id 1 is Halo's "Unassigned" pseudo-agent; kept as Halo sends it.
		"agent_id": int64(t.AgentID), "team": text(t.Team), "team_id": ref(t.TeamID),
		"status_id": int64(t.StatusID), "priority_id": ref(t.PriorityID), "tickettype_id": ref(t.TicketTypeID),
		"sla_id": ref(t.SLAID), "category_1": text(t.Category1), "thirdpartynumber": text(t.ThirdPartyNumber),
		"contract_id": ref(t.ContractID), "deleted": bool(t.Deleted), "hasbeenclosed": bool(t.HasBeenClosed),
		"onhold": bool(t.OnHold), "inactive": bool(t.Inactive),
		"dateoccurred": tptr(t.DateOccurred), "datecreated": tptr(t.DateCreated), "dateclosed": tptr(t.DateClosed),
		"fixbydate": tptr(t.FixByDate), "respondbydate": tptr(t.RespondByDate), "targetdate": tptr(t.TargetDate),
		"lastactiondate": tptr(t.LastActionDate),
		"raw":            []byte(t.Raw), "halo_updated_at": tptr(t.LastUpdate),
	}
}

func actionRow(a halo.Action) map[string]any {
	return map[string]any{
		"ticket_id": int64(a.TicketID), "id": int64(a.ID), "outcome": text(a.Outcome), "outcome_id": ref(a.OutcomeID),
		"who": text(a.Who), "who_agentid": ref(a.WhoAgentID), "actionby_agent_id": ref(a.ActionByAgentID),
		"note": text(a.Note), "note_html": text(a.NoteHTML), "hiddenfromuser": bool(a.HiddenFromUser),
		"important": bool(a.Important), "new_status": ref(a.NewStatus), "timetaken": float64(a.TimeTaken),
		"datetime": tptr(a.DateTime), "actiondatecreated": tptr(a.ActionDateCreated),
		"old_status": ref(a.OldStatus), "who_type": optInt(a.WhoType), "actisbillable": optBool(a.ActIsBillable),
		"actionchargehours": optFloat(a.ActionChargeHours), "actionnonchargehours": optFloat(a.ActionNonChargeHours),
		"nonbilltime": optFloat(a.NonBillTime),
		// Actions have no reliable last-modified of their own in list rows;
		// when Halo sends last_updated we keep it, else the action's time.
		"raw": []byte(a.Raw), "halo_updated_at": firstValid(a.LastUpdated, a.DateTime),
	}
}

func assetRow(a halo.Asset) map[string]any {
	return map[string]any{
		"id": int64(a.ID), "inventory_number": text(a.InventoryNumber), "key_field": text(a.KeyField),
		"client_id": ref(a.ClientID), "client_name": text(a.ClientName), "site_id": ref(a.SiteID),
		"site_name": text(a.SiteName), "assettype_id": ref(a.AssetTypeID), "assettype_name": text(a.AssetTypeName),
		"status_id": ref(a.StatusID), "status_name": text(a.StatusName), "inactive": bool(a.Inactive),
		"raw": []byte(a.Raw), "halo_updated_at": tptr(a.LastUpdate),
	}
}

func contractRow(c halo.Contract) map[string]any {
	return map[string]any{
		"id": int64(c.ID), "client_id": ref(c.ClientID), "client_name": text(c.ClientName), "site_id": ref(c.SiteID),
		"ref": text(c.Ref), "start_date": tptr(c.StartDate), "end_date": tptr(c.EndDate), "expired": bool(c.Expired),
		"active": bool(c.Active), "status": text(c.Status),
		"contract_status": text(c.ContractStatus), "billingperiod": int64(c.BillingPeriod),
		"raw": []byte(c.Raw), "halo_updated_at": tptr(c.LastModified),
	}
}

func statusRow(s halo.Status) map[string]any {
	return map[string]any{
		"id": int64(s.ID), "name": s.Name, "shortname": text(s.ShortName), "type": int64(s.Type),
		"sequence": int64(s.Sequence), "colour": text(s.Colour),
		"raw": []byte(s.Raw), "halo_updated_at": nil,
	}
}

func ticketTypeRow(t halo.TicketType) map[string]any {
	return map[string]any{
		"id": int64(t.ID), "name": t.Name, "use": text(t.Use), "group_id": ref(t.GroupID),
		"visible": bool(t.Visible), "inactive": bool(t.Inactive),
		"raw": []byte(t.Raw), "halo_updated_at": nil,
	}
}

func teamRow(t halo.Team) map[string]any {
	return map[string]any{
		"id": int64(t.ID), "name": t.Name, "inactive": bool(t.Inactive), "department_id": ref(t.DepartmentID),
		"raw": []byte(t.Raw), "halo_updated_at": tptr(t.LastModified),
	}
}

func priorityRow(p halo.Priority) map[string]any {
	return map[string]any{
		"id": p.ID, "priorityid": int64(p.PriorityID), "slaid": ref(p.SLAID), "name": p.Name,
		"ishidden": bool(p.IsHidden), "colour": text(p.Colour),
		"fixtime": optFloat(p.FixTime), "fixunits": text(p.FixUnits),
		"responsetime": optFloat(p.ResponseTime), "responseunits": text(p.ResponseUnits),
		"raw": []byte(p.Raw), "halo_updated_at": nil,
	}
}

func firstValid(ts ...halo.Time) any {
	for _, t := range ts {
		if t.Valid {
			return t.Ptr()
		}
	}
	return nil
}

// optInt, optFloat and optBool keep a field Halo did not send as NULL and
// everything it sent as is (0 and false included: who_type 0 means "system").
func optInt(v *halo.Int) *int64 {
	if v == nil {
		return nil
	}
	n := int64(*v)
	return &n
}

func optFloat(v *halo.Float) *float64 {
	if v == nil {
		return nil
	}
	f := float64(*v)
	return &f
}

func optBool(v *halo.Bool) *bool {
	if v == nil {
		return nil
	}
	b := bool(*v)
	return &b
}

func fieldInfoRow(f halo.FieldInfo) map[string]any {
	return map[string]any{
		"id": int64(f.ID), "name": text(f.Name), "label": text(f.Label), "type": int64(f.Type),
		"inputtype": int64(f.InputType), "custom": bool(f.Custom), "mandatory": bool(f.Mandatory),
		"characterlimit": int64(f.CharacterLimit), "usage": int64(f.Usage),
		"raw": []byte(f.Raw), "halo_updated_at": nil,
	}
}
