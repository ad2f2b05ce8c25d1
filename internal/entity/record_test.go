package entity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDecodeClient(t *testing.T) {
	rec, err := Clients.Decode([]byte(`{"ID":"12","name":"","toplevel_id":-1,"toplevel_name":"","inactive":1,"is_vip":"true","main_site_id":7.0,"datecreated":"1900-01-01T00:00:00","alastupdate":"2024-05-01T10:00:00.1234567"}`))
	require.NoError(t, err)
	require.Equal(t, []any{int64(12)}, rec.Keys)
	require.Equal(t, []any{"", nil, nil, true, int64(7), true, nil}, rec.Values)
	require.Equal(t, time.Date(2024, 5, 1, 10, 0, 0, 123456700, time.UTC), *rec.UpdatedAt)
	require.True(t, rec.Sent("name"))

	_, err = Clients.Decode([]byte(`{"id":1,"main_site_id":"x"}`))
	require.ErrorContains(t, err, "main_site_id")
	_, err = Clients.Decode([]byte(`[1]`))
	require.Error(t, err)
}
