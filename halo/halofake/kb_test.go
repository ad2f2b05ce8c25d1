package halofake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// /KBArticle: every article without page_no, pages with it; list rows are KBEntry_List (name, no title,
// no bodies); bodies on GET by id; inactive hidden unless includeinactive=true.
func TestKBArticlesPagingAndBodies(t *testing.T) {
	f := startFake(t, Options{})
	inactive := 0
	for _, r := range f.Records("kb_articles") {
		if r["inactive"] == true {
			inactive++
		}
	}
	active := Small.KBArticles - inactive
	m := f.get(t, "/api/KBArticle?pageinate=true&page_size=5").json(t)
	require.Len(t, rows(t, m, "articles"), active, "no page_no: everything")
	require.NotContains(t, m, "page_no")

	var walked []int64
	for page := 1; ; page++ {
		rs := rows(t, f.get(t, fmt.Sprintf("/api/KBArticle?pageinate=true&page_size=7&page_no=%d", page)).json(t), "articles")
		if len(rs) == 0 {
			break
		}
		require.LessOrEqual(t, len(rs), 7)
		walked = append(walked, ids(rs)...)
	}
	require.Len(t, walked, active)
	require.Len(t, rows(t, f.get(t, "/api/KBArticle?includeinactive=true").json(t), "articles"), Small.KBArticles)

	row := rows(t, m, "articles")[0]
	require.Contains(t, row, "name")
	require.Contains(t, row, "date_edited")
	require.NotContains(t, row, "title")
	require.NotContains(t, row, "description_html")
	one := f.get(t, fmt.Sprintf("/api/KBArticle/%v", row["id"])).json(t)
	require.Contains(t, one, "description_html")
	require.Contains(t, one, "resolution")

	f.clock.Add(time.Minute)
	r := f.post(t, "/api/KBArticle", `[{"name":"New article","description":"d","title":"dropped? no: not in KBEntry"}]`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.Equal(t, "2026-06-01T12:01:00", r.json(t)["date_edited"])
	require.NotContains(t, r.json(t), "title")
	id := r.json(t)["id"]
	f.clock.Add(time.Minute)
	r = f.post(t, "/api/KBArticle", fmt.Sprintf(`[{"id":%v,"description_html":"<p>v2</p>"}]`, id))
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.Equal(t, "2026-06-01T12:02:00", r.json(t)["date_edited"])
	require.Equal(t, "<p>v2</p>", f.get(t, fmt.Sprintf("/api/KBArticle/%v", id)).json(t)["description_html"])
	last := rows(t, f.get(t, "/api/KBArticle?order=id&orderdesc=true").json(t), "articles")[0]
	require.Equal(t, id, last["id"])
	require.NotContains(t, last, "description_html", "a written body stays out of list rows")
	require.Equal(t, http.StatusOK, f.do(t, http.MethodDelete, fmt.Sprintf("/api/KBArticle/%v", id), f.tok, "", nil).status)
	require.Equal(t, http.StatusNotFound, f.get(t, fmt.Sprintf("/api/KBArticle/%v", id)).status)
}

// Options.KBUnpagedHang: without page_no the request never answers; with it, it does.
func TestKBUnpagedHang(t *testing.T) {
	f := startFake(t, Options{KBUnpagedHang: true})
	require.Equal(t, http.StatusOK, f.get(t, "/api/KBArticle?pageinate=true&page_size=5&page_no=1").status)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.base+"/api/KBArticle", nil)
	require.NoError(t, err)
	req.Header.Set("User-Agent", "halosync/test")
	req.Header.Set("Authorization", "Bearer "+f.tok)
	_, err = http.DefaultClient.Do(req)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
}
