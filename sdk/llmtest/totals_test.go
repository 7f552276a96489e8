package llmtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tracium/tracium/store"
)

// TestTokenTotalsAgree: for the same captured calls, the traces list, the
// trace pages' headers, the dashboard, the REST traces list and
// /api/v1/metrics/usage give one token total, and it is the sum of what
// each call's span reported under the token convention.
func TestTokenTotalsAgree(t *testing.T) {
	t.Parallel()
	app := startDemo(t)
	runs := []*demoRun{app.ask(t), app.ask(t), app.ask(t)}
	var want int64
	for _, r := range runs {
		for _, s := range r.trace.Spans {
			if s.Usage != nil {
				if s.Usage.TotalTokens != s.Usage.InputTokens+s.Usage.OutputTokens {
					t.Errorf("span %q: total %d is not input %d + output %d", s.Name, s.Usage.TotalTokens, s.Usage.InputTokens, s.Usage.OutputTokens)
				}
				want += s.Usage.TotalTokens
			}
		}
	}
	if want == 0 {
		t.Fatal("the calls reported no tokens")
	}
	u := signIn(t, app.c.URL)

	doc, _ := u.page(t, "/traces")
	var list int64
	doc.Find("table.traces tbody tr").Each(func(_ int, row *goquery.Selection) {
		list += count(t, row.Find("td.num").Eq(2).Text())
	})
	var headers int64
	for _, r := range runs {
		doc, _ := u.page(t, "/traces/"+r.traceID)
		headers += count(t, doc.Find(".summary .tokens span").Last().Text())
	}
	doc, _ = u.page(t, "/dashboard")
	var dashboard int64
	doc.Find(".stat").Each(func(_ int, st *goquery.Selection) {
		if strings.TrimSpace(st.Find(".label").Text()) == "Tokens" {
			dashboard = count(t, st.Find(".value").Text())
		}
	})

	var traces struct {
		Traces []store.Trace `json:"traces"`
	}
	api(t, app, "/api/v1/traces", &traces)
	var restList int64
	for _, tr := range traces.Traces {
		restList += tr.Usage.TotalTokens
	}
	var usage struct {
		Rows []store.UsageRow `json:"rows"`
	}
	api(t, app, "/api/v1/metrics/usage?group_by=model", &usage)
	var metrics int64
	for _, row := range usage.Rows {
		metrics += row.Usage.TotalTokens
	}

	for name, got := range map[string]int64{"traces list": list, "trace headers": headers, "dashboard": dashboard,
		"REST traces": restList, "REST metrics": metrics} {
		if got != want {
			t.Errorf("%s: %d tokens, want %d (the sum of the spans)", name, got, want)
		}
	}
}

// count reads a token figure as the UI prints it ("7,544").
func count(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), 10, 64)
	if err != nil {
		t.Fatalf("not a token count: %q", s)
	}
	return n
}

// api GETs a REST path with the project's key and decodes the answer.
func api(t *testing.T, app *demoApp, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.c.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+app.c.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
