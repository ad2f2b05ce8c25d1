package sync

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/halosync/halosync/store"
)

// TestCreateMarker: the setting's two forms are written into a create and read back from a list row.
func TestCreateMarker(t *testing.T) {
	m, err := ParseCreateMarker("")
	require.NoError(t, err)
	require.Equal(t, "third_party_id_string", m.String())
	b := map[string]any{}
	m.set(b, "halosync:1:ab")
	require.Equal(t, map[string]any{"third_party_id_string": "halosync:1:ab"}, b)
	require.Equal(t, "halosync:1:ab", m.valueIn([]byte(`{"id":5,"third_party_id_string":"halosync:1:ab"}`)))
	require.Empty(t, m.valueIn([]byte(`{"id":5}`)))
	require.Empty(t, m.listParams())

	m, err = ParseCreateMarker("customfield:142")
	require.NoError(t, err)
	require.Equal(t, "customfield:142", m.String())
	b = map[string]any{}
	m.set(b, "halosync:2:cd")
	require.Equal(t, []map[string]any{{"id": int64(142), "value": "halosync:2:cd"}}, b["customfields"])
	require.Equal(t, url.Values{"include_custom_fields": {"142"}}, m.listParams())
	require.Equal(t, "halosync:2:cd", m.valueIn([]byte(`{"id":5,"customfields":[{"id":7,"value":"x"},{"id":142,"value":"halosync:2:cd"}]}`)))

	for _, bad := range []string{"customfield:x", "customfield:0", "third party", "Third-Party"} {
		_, err := ParseCreateMarker(bad)
		require.Error(t, err, bad)
	}
}

// TestMergeRule: the conflict rule on canonical values, field by field.
func TestMergeRule(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	later, earlier := t0.Add(time.Minute), t0.Add(-time.Minute)
	// summary: changed here only; status_id: on both sides; category_1: both sides alike; agent_id:
	// changed here and back while Halo changed it (the undo is a local edit too); team: here and back only.
	base := store.Values{"summary": "a", "status_id": int64(1), "category_1": nil, "agent_id": int64(3), "team": "t"}
	local := store.Values{"summary": "local", "status_id": int64(2), "category_1": "x", "agent_id": int64(3), "team": "t"}
	remote := store.Values{"summary": "a", "status_id": int64(4), "category_1": "x", "agent_id": int64(5), "team": "t"}

	send, conflicts := merge(local, base, remote, t0, &earlier)
	require.Equal(t, store.Values{"summary": "local", "status_id": int64(2), "agent_id": int64(3)}, send,
		"local only; both sides, local later")
	require.Equal(t, []fieldConflict{
		{field: "agent_id", local: int64(3), remote: int64(5), winner: "local"},
		{field: "status_id", local: int64(2), remote: int64(4), winner: "local"},
	}, conflicts)

	send, conflicts = merge(local, base, remote, t0, &later)
	require.Equal(t, store.Values{"summary": "local"}, send, "Halo later: its status and agent stay")
	require.Len(t, conflicts, 2)
	require.Equal(t, "halo", conflicts[0].winner)
	require.Equal(t, "halo", conflicts[1].winner)

	send, conflicts = merge(local, base, remote, t0, &t0)
	require.Equal(t, store.Values{"summary": "local"}, send, "ties go to Halo")
	require.Equal(t, "halo", conflicts[0].winner)

	// Times compare by instant, whatever their location.
	tm := store.Values{"fixbydate": t0}
	send, _ = merge(store.Values{"fixbydate": t0.In(time.FixedZone("x", 3600))}, tm, tm, t0, nil)
	require.Empty(t, send)
}
