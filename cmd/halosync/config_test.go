package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// clearEnv unsets every variable halosync reads, so the host's environment
// cannot leak into a test.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, row := range (&Config{}).masked() {
		t.Setenv(row[0], "")
	}
}

func setEnv(t *testing.T, kv map[string]string) {
	t.Helper()
	for k, v := range kv {
		t.Setenv(k, v)
	}
}

var validHalo = map[string]string{
	"DATABASE_URL":         "postgres://halosync:pw-db-s3cret@db:5432/halosync",
	"HALO_RESOURCE_SERVER": "acme.halopsa.com",
	"HALO_CLIENT_ID":       "client-123",
	"HALO_CLIENT_SECRET":   "very-s3cret-value",
}

func TestConfigDefaults(t *testing.T) {
	clearEnv(t)
	setEnv(t, validHalo)
	c, err := loadConfig()
	require.NoError(t, err)
	require.Equal(t, "all", c.HaloScope)
	require.Equal(t, "300/5m", c.HaloRateLimit)
	require.Equal(t, "127.0.0.1:8080", c.HTTPAddr)
	hc, err := c.haloConfig()
	require.NoError(t, err)
	require.Equal(t, "https://acme.halopsa.com", hc.BaseURL)
	require.Equal(t, "https://acme.halopsa.com/auth", hc.AuthURL)
	require.Equal(t, "all", hc.Scope)
}

func TestConfigResourceServerForms(t *testing.T) {
	for _, in := range []string{"acme.halopsa.com", "https://acme.halopsa.com", "https://acme.halopsa.com/api", "acme.halopsa.com/api/", " https://acme.halopsa.com/ "} {
		clearEnv(t)
		setEnv(t, validHalo)
		t.Setenv("HALO_RESOURCE_SERVER", in)
		c, err := loadConfig()
		require.NoError(t, err)
		hc, err := c.haloConfig()
		require.NoError(t, err, in)
		require.Equal(t, "https://acme.halopsa.com", hc.BaseURL, in)
	}
}

func TestConfigAuthServerAndTenant(t *testing.T) {
	clearEnv(t)
	setEnv(t, validHalo)
	t.Setenv("HALO_AUTH_SERVER", "https://auth.example.com/auth/token")
	t.Setenv("HALO_TENANT", "acme")
	c, err := loadConfig()
	require.NoError(t, err)
	hc, err := c.haloConfig()
	require.NoError(t, err)
	require.Equal(t, "https://auth.example.com/auth", hc.AuthURL)
	for in, want := range map[string]string{"auth.example.com": "https://auth.example.com/auth", "https://acme.halopsa.com/auth/": "https://acme.halopsa.com/auth"} {
		got, err := normalizeAuthURL(in, false)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	require.Equal(t, "acme", hc.Tenant)

	t.Setenv("HALO_ON_PREMISE", "true")
	c, err = loadConfig()
	require.NoError(t, err)
	hc, err = c.haloConfig()
	require.NoError(t, err)
	require.Empty(t, hc.Tenant, "on-premise sends no tenant")
}

// TestConfigErrorsNameTheVariable: a bad setting fails with one line that
// names the variable and what is expected, and never echoes a secret.
func TestConfigErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		key, value, want string
		halo             bool
	}{
		{"HALO_ON_PREMISE", "maybe", "HALO_ON_PREMISE: expected true or false", false},
		{"HALO_TIMEOUT", "soon", "HALO_TIMEOUT: expected a duration", false},
		{"HALOSYNC_WORKERS", "0", "HALOSYNC_WORKERS: expected a positive number", false},
		{"HALOSYNC_FULL_INTERVAL", "-1h", "HALOSYNC_FULL_INTERVAL: expected a duration such as 24h (0 disables)", false},
		{"HALOSYNC_OVERLAP", "-5m", "HALOSYNC_OVERLAP: expected a positive duration", false},
		{"HALOSYNC_OVERLAP", "0s", "HALOSYNC_OVERLAP: expected a positive duration", false},
		{"HALO_RATE_LIMIT", "300", "HALO_RATE_LIMIT: expected requests/window", false},
		{"HALOSYNC_LOG_LEVEL", "loud", "HALOSYNC_LOG_LEVEL: expected debug, info, warn or error", false},
		{"HALO_RESOURCE_SERVER", "http://acme.halopsa.com", "HALO_RESOURCE_SERVER:", true},
		{"HALO_RESOURCE_SERVER", "", "HALO_RESOURCE_SERVER: required", true},
		{"HALO_CLIENT_SECRET", "", "HALO_CLIENT_SECRET: required", true},
		{"HALOSYNC_PUBLIC_HOST", "ops.example.com, https://ops.example.com/ui", "HALOSYNC_PUBLIC_HOST: expected a host name", false},
		{"HALO_CLIENT_SECRET", "REPLACE-ME", "HALO_CLIENT_SECRET: still the placeholder", false},
		{"HALOSYNC_WEBHOOK_PASSWORD", "demo", "HALOSYNC_WEBHOOK_PASSWORD: the demo's value", false},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			clearEnv(t)
			setEnv(t, validHalo)
			t.Setenv(tc.key, tc.value)
			c, err := loadConfig()
			if err == nil && tc.halo {
				_, err = c.haloConfig()
			}
			require.Error(t, err)
			msg := err.Error()
			require.True(t, strings.HasPrefix(msg, tc.want), "got %q", msg)
			require.NotContains(t, msg, "\n", "one line")
			require.NotContains(t, msg, "very-s3cret-value")
		})
	}
	clearEnv(t)
	require.EqualError(t, (&Config{}).requireDB(), "DATABASE_URL: required, not set (expected a Postgres URL such as postgres://user@host:5432/db)")
}

func TestConfigMasksSecrets(t *testing.T) {
	clearEnv(t)
	setEnv(t, validHalo)
	t.Setenv("HALO_WEBHOOK_SECRET", "hook-s3cret")
	t.Setenv("HALOSYNC_ADMIN_PASSWORD", "admin-s3cret")
	c, err := loadConfig()
	require.NoError(t, err)
	var all strings.Builder
	for _, row := range c.masked() {
		all.WriteString(row[0] + "=" + row[1] + "\n")
	}
	out := all.String()
	for _, secret := range []string{"very-s3cret-value", "hook-s3cret", "admin-s3cret", "pw-db-s3cret"} {
		require.NotContains(t, out, secret)
	}
	require.Contains(t, out, "HALO_CLIENT_SECRET=********")
	require.Contains(t, out, "DATABASE_URL=postgres://halosync:********@db:5432/halosync")
	require.Contains(t, out, "HALO_CLIENT_ID=client-123")
}
