package halofake

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// /Attachment lists a ticket's attachment metadata beside an always-present folders array; GET by id is
// the file itself.
func TestAttachmentsFoldersAndFileBytes(t *testing.T) {
	f := startFake(t, Options{})
	recs := f.Records("attachments")
	require.Len(t, recs, Small.Attachments)
	ticket := recs[0]["ticket_id"]
	want := 0
	for _, r := range recs {
		if r["ticket_id"] == ticket {
			want++
		}
	}
	m := f.get(t, fmt.Sprintf("/api/Attachment?ticket_id=%v", ticket)).json(t)
	require.Contains(t, m, "folders")
	require.IsType(t, []any{}, m["folders"])
	rs := rows(t, m, "attachments")
	require.Len(t, rs, want)
	require.EqualValues(t, want, m["record_count"])
	require.NotContains(t, m, "page_no")
	for _, r := range rs {
		require.Equal(t, ticket, r["faultid"])
		require.Contains(t, r, "filename")
		require.Contains(t, r, "datecreated")
	}

	// Unscoped: an empty envelope (folders still there) unless Options.AttachmentsUnscoped.
	m = f.get(t, "/api/Attachment").json(t)
	require.Empty(t, rows(t, m, "attachments"))
	require.Contains(t, m, "folders")
	u := startFake(t, Options{AttachmentsUnscoped: true})
	require.Len(t, rows(t, u.get(t, "/api/Attachment").json(t), "attachments"), Small.Attachments)

	// GET by id: the bytes, not JSON.
	r := f.get(t, fmt.Sprintf("/api/Attachment/%v", rs[0]["id"]))
	require.Equal(t, http.StatusOK, r.status)
	_, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
	require.NoError(t, err)
	require.Equal(t, rs[0]["filename"], params["filename"])
	require.EqualValues(t, rs[0]["filesize"], len(r.body))
	require.NotContains(t, r.header.Get("Content-Type"), "json")

	// An upload's bytes come back.
	data := []byte("hello, Halo ✓")
	body := fmt.Sprintf(`[{"ticket_id":%v,"filename":"note.txt","data_base64":"data:text/plain;base64,%s"}]`, ticket,
		base64.StdEncoding.EncodeToString(data))
	up := f.post(t, "/api/Attachment", body)
	require.Equal(t, http.StatusCreated, up.status, string(up.body))
	saved := up.json(t)
	require.NotContains(t, saved, "data_base64")
	require.EqualValues(t, len(data), saved["filesize"])
	got := f.get(t, fmt.Sprintf("/api/Attachment/%v", saved["id"]))
	require.Equal(t, data, got.body)
	require.Len(t, rows(t, f.get(t, fmt.Sprintf("/api/Attachment?ticket_id=%v", ticket)).json(t), "attachments"), want+1)

	// Tickets count their attachments, in list rows too (Faults_List), and follow uploads and deletes.
	require.EqualValues(t, want+1, f.get(t, fmt.Sprintf("/api/Tickets/%v", ticket)).json(t)["attachment_count"])
	require.Equal(t, http.StatusOK, f.do(t, http.MethodDelete, fmt.Sprintf("/api/Attachment/%v", saved["id"]), f.tok, "", nil).status)
	counted := 0
	for _, tk := range rows(t, f.get(t, "/api/Tickets?pageinate=true&page_size=100&includeinactive=true").json(t), "tickets") {
		if tk["id"] == ticket {
			require.EqualValues(t, want, tk["attachment_count"])
		}
		counted += int(tk["attachment_count"].(float64))
	}
	require.Positive(t, counted)
}
