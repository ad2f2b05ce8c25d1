package halo

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The report fields of issue 21, read from the live capture of a system action: who_type 0 marks the system,
// and Halo flags even that action billable (so reports must exclude system actions by who_type).
func TestCapture_ActionReportFields(t *testing.T) {
	t.Parallel()
	var a Action
	require.NoError(t, json.Unmarshal(readCapture(t, "action-system-rule.json"), &a))
	require.Equal(t, Int(1), a.OldStatus)
	require.NotNil(t, a.WhoType)
	require.Equal(t, Int(0), *a.WhoType)
	require.NotNil(t, a.ActIsBillable)
	require.True(t, bool(*a.ActIsBillable))
	require.NotNil(t, a.ActionChargeHours)
	require.Equal(t, Float(0), *a.ActionChargeHours)
	require.NotNil(t, a.ActionNonChargeHours)
	require.Nil(t, a.NonBillTime, "not in this capture: stays NULL, not 0")

	// A key Halo leaves out decodes to nil (NULL), never to 0 or false.
	var empty Action
	require.NoError(t, json.Unmarshal([]byte(`{"ticket_id":1,"id":2}`), &empty))
	require.Nil(t, empty.WhoType)
	require.Nil(t, empty.ActIsBillable)
	require.Nil(t, empty.ActionChargeHours)
}

func TestPriorityAndAssetReportFields(t *testing.T) {
	t.Parallel()
	var p Priority
	require.NoError(t, json.Unmarshal([]byte(`{"id":"6f1c","slaid":2,"priorityid":1,"name":"Critical","fixtime":4.0,"fixunits":"hours","responsetime":1.0}`), &p))
	require.Equal(t, Float(4), *p.FixTime)
	require.Equal(t, "hours", p.FixUnits)
	require.Equal(t, Float(1), *p.ResponseTime)
	require.Empty(t, p.ResponseUnits)

	var d Asset
	require.NoError(t, json.Unmarshal([]byte(`{"id":7,"status_id":2,"status_name":"In Stock"}`), &d))
	require.Equal(t, "In Stock", d.StatusName)
}
