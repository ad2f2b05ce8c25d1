package halo

import "encoding/json"

// Each UnmarshalJSON decodes through an alias type (which has no methods, so there is
// no recursion) and keeps a copy of the exact bytes in Raw.

func rawCopy(b []byte) json.RawMessage { return append(json.RawMessage(nil), b...) }

// UnmarshalJSON implements json.Unmarshaler and fills Raw.
func (v *Customer) UnmarshalJSON(b []byte) error {
	type alias Customer
	var a alias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = Customer(a)
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler and fills Raw.
func (v *Site) UnmarshalJSON(b []byte) error {
	type alias Site
	var a alias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = Site(a)
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler and fills Raw.
func (v *User) UnmarshalJSON(b []byte) error {
	type alias User
	var a alias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = User(a)
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler and fills Raw.
func (v *Agent) UnmarshalJSON(b []byte) error {
	type alias Agent
	var a alias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = Agent(a)
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler, fills Raw, and takes LastUpdate from
// last_update, else lastupdate, else flastupdate.
func (v *Ticket) UnmarshalJSON(b []byte) error {
	type alias Ticket
	var a struct {
		alias
		Deleted        *Bool `json:"deleted"`
		LastUpdateGet  Time  `json:"lastupdate"`
		LastUpdatePost Time  `json:"flastupdate"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = Ticket(a.alias)
	if a.Deleted != nil {
		v.Deleted, v.DeletedKnown = *a.Deleted, true
	}
	for _, t := range []Time{a.LastUpdateGet, a.LastUpdatePost} {
		if v.LastUpdate.Valid {
			break
		}
		v.LastUpdate = t
	}
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler and fills Raw.
func (v *Action) UnmarshalJSON(b []byte) error {
	type alias Action
	var a alias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = Action(a)
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler, fills Raw, and falls back to
// last_modified when dlastupdate is absent.
func (v *Asset) UnmarshalJSON(b []byte) error {
	type alias Asset
	var a struct {
		alias
		LastModified Time `json:"last_modified"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = Asset(a.alias)
	if !v.LastUpdate.Valid {
		v.LastUpdate = a.LastModified
	}
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler and fills Raw. status and contract_status
// are read as text even if Halo sends numbers.
func (v *Contract) UnmarshalJSON(b []byte) error {
	type alias Contract
	var a struct {
		alias
		Status         flexString `json:"status"`
		ContractStatus flexString `json:"contract_status"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = Contract(a.alias)
	v.Status, v.ContractStatus = string(a.Status), string(a.ContractStatus)
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler and fills Raw.
func (v *Status) UnmarshalJSON(b []byte) error {
	type alias Status
	var a alias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = Status(a)
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler and fills Raw. use is read as text even
// if Halo sends a number.
func (v *TicketType) UnmarshalJSON(b []byte) error {
	type alias TicketType
	var a struct {
		alias
		Use flexString `json:"use"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = TicketType(a.alias)
	v.Use = string(a.Use)
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler and fills Raw.
func (v *Team) UnmarshalJSON(b []byte) error {
	type alias Team
	var a alias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = Team(a)
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler and fills Raw. id is a GUID string, but a
// number is tolerated.
func (v *Priority) UnmarshalJSON(b []byte) error {
	type alias Priority
	var a struct {
		alias
		ID flexString `json:"id"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = Priority(a.alias)
	v.ID = string(a.ID)
	v.Raw = rawCopy(b)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler and fills Raw.
func (v *FieldInfo) UnmarshalJSON(b []byte) error {
	type alias FieldInfo
	var a alias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*v = FieldInfo(a)
	v.Raw = rawCopy(b)
	return nil
}
