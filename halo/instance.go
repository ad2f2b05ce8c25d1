package halo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// InstanceInfo is what halosync keeps of GET /api/InstanceInfo: Halo's
// version, so a change in the fields Halo sends can be traced to an upgrade.
// Raw is the whole object (agent counts, service URLs, ...).
type InstanceInfo struct {
	AppName         string `json:"app_name"`
	AppVersion      string `json:"app_version"`
	DatabaseVersion string `json:"database_version"`
	HostedGroup     string `json:"hosted_group"`

	Raw json.RawMessage `json:"-"`
}

// InstanceInfo reads Halo's instance information. Halo API: GET
// /api/InstanceInfo, one object, no parameters (halo-api-more.md). A reply
// without an app_version is an error: it could not be recorded anyway.
func (c *Client) InstanceInfo(ctx context.Context) (InstanceInfo, error) {
	const path = "/api/InstanceInfo"
	body, err := c.get(ctx, path, nil)
	if err != nil {
		return InstanceInfo{}, err
	}
	obj, err := firstObject(body)
	if err != nil {
		return InstanceInfo{}, fmt.Errorf("halo: GET %s: %w", path, err)
	}
	var v InstanceInfo
	if err := json.Unmarshal(obj, &v); err != nil {
		return InstanceInfo{}, &DecodeError{Method: http.MethodGet, Path: path, Err: err}
	}
	if v.AppVersion == "" {
		return InstanceInfo{}, &DecodeError{Method: http.MethodGet, Path: path, Err: fmt.Errorf("no app_version in the reply")}
	}
	v.Raw = append(json.RawMessage(nil), obj...)
	return v, nil
}
