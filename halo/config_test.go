package halo

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizeBaseURL(t *testing.T) {
	t.Parallel()

	accept := []struct{ in, want string }{
		{"acme.halopsa.com", "https://acme.halopsa.com"},
		{"https://acme.halopsa.com", "https://acme.halopsa.com"},
		{"https://acme.halopsa.com/", "https://acme.halopsa.com"},
		{"https://acme.halopsa.com/api", "https://acme.halopsa.com"},
		{"acme.halopsa.com/api/", "https://acme.halopsa.com"},
		{"  HTTPS://Acme.HaloPSA.com/API/  ", "https://acme.halopsa.com"},
		{"https://halo.example.org:8443/halo/api", "https://halo.example.org:8443/halo"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://127.5.6.7/api", "http://127.5.6.7"},
		{"http://localhost:9000/api/", "http://localhost:9000"},
		{"http://[::1]:9000", "http://[::1]:9000"},
	}
	for _, tt := range accept {
		got, err := NormalizeBaseURL(tt.in, false)
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}

	reject := []struct{ in, wantErr string }{
		{"", "empty"},
		{"   ", "empty"},
		{"http://acme.halopsa.com", "plain http"},
		{"http://10.0.0.5/api", "plain http"},
		{"ftp://acme.halopsa.com", "not supported"},
		{"not a url at all", "not a valid URL"},
		{"https://", "no valid host"},
		{"https://user:pw@acme.halopsa.com", "credentials"},
		{"https://acme.halopsa.com/?x=1", "query"},
		{"://acme", "not a valid URL"},
	}
	for _, tt := range reject {
		_, err := NormalizeBaseURL(tt.in, false)
		require.Error(t, err, tt.in)
		require.Contains(t, err.Error(), tt.wantErr, tt.in)
	}

	got, err := NormalizeBaseURL("http://halo.lan/api", true)
	require.NoError(t, err)
	require.Equal(t, "http://halo.lan", got)
}
