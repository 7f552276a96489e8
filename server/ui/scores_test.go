package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tracium/tracium/store"
)

// TestScoresOnTracePage: a member scores a trace and one of its spans with
// comments, sees both on the page (the span's in its panel), changes one,
// removes the other; a value the project's configuration refuses is shown
// with its reason; the traces list shows the score and filters by it.
func TestScoresOnTracePage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.login(t)
	if _, err := b.store.PutScoreConfig(context.Background(), store.ScoreConfig{ProjectID: b.project.ID, Name: "helpfulness",
		Type: store.ScoreNumeric, Min: ptr(0.0), Max: ptr(1.0)}); err != nil {
		t.Fatal(err)
	}
	m := b.as(t, "member@example.com", store.RoleMember)
	tid, llm := b.trace[0].TraceID, b.trace[1].SpanID
	page := "/traces/" + tid + "?span=" + llm
	csrf := m.csrf(t)
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {csrf}, "back": {page}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	resp := m.post(t, "/traces/"+tid+"/scores", form("name", "helpfulness", "value", "0.9", "comment", "answered in one go"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/traces/"+tid+"?span="+llm+"#scores" {
		t.Fatalf("add: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = m.post(t, "/traces/"+tid+"/scores", form("name", "tone", "value", "curt", "span_id", llm))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add to the span: %d", resp.StatusCode)
	}
	doc, code := m.page(t, page)
	if code != 200 {
		t.Fatalf("trace page: %d", code)
	}
	rows := doc.Find("#scores tr.score")
	if rows.Length() != 2 {
		t.Fatalf("%d scores on the page, want 2: %q", rows.Length(), doc.Find("#scores").Text())
	}
	trace := doc.Find("#scores tr.score").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find(".score-name").Text()) == "helpfulness"
	})
	if got := strings.TrimSpace(trace.Find(".score-value").Text()); got != "0.9" || !strings.Contains(trace.Text(), "answered in one go") ||
		!strings.Contains(trace.Text(), "member@example.com") || !strings.Contains(trace.Text(), "ui") {
		t.Errorf("the trace's score reads %q", trace.Text())
	}
	span := doc.Find("aside.detail #span-scores tr.score")
	if span.Length() != 1 || strings.TrimSpace(span.Find(".score-value").Text()) != "curt" {
		t.Errorf("the span's panel shows %q", doc.Find("aside.detail #span-scores").Text())
	}

	// A value outside the configured range: refused, saying why, nothing stored.
	resp = m.post(t, "/traces/"+tid+"/scores", form("name", "helpfulness", "value", "7"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an out-of-range value: %d, want 400", resp.StatusCode)
	}
	if doc := parse(t, resp); !strings.Contains(doc.Find("#scores .error").Text(), "outside its range 0 to 1") {
		t.Errorf("the refusal says %q", doc.Find("#scores .error").Text())
	}
	for _, bad := range []url.Values{form("name", "", "value", "1"), form("name", "x", "value", ""), form("name", "x", "value", "1", "span_id", "nope")} {
		if resp := m.post(t, "/traces/"+tid+"/scores", bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("form %v: %d, want 400", bad, resp.StatusCode)
		}
	}

	scores, err := b.store.ListScores(context.Background(), b.project.ID, store.ScoreFilter{TraceID: tid}, store.Page{})
	if err != nil || len(scores.Scores) != 2 {
		t.Fatalf("stored: %+v, %v", scores.Scores, err)
	}
	var help, tone store.Score
	for _, sc := range scores.Scores {
		if sc.Name == "helpfulness" {
			help = sc
		} else {
			tone = sc
		}
	}
	if help.Source != store.SourceUI || help.SpanID != "" || tone.SpanID != llm || help.Value != store.NumberValue(0.9) {
		t.Errorf("stored %+v and %+v", help, tone)
	}
	resp = m.post(t, "/traces/"+tid+"/scores/"+help.ID, form("value", "0.4", "comment", "needed a follow-up"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	if resp := m.post(t, "/traces/"+tid+"/scores/"+help.ID, form("value", "1.5")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an edit out of range: %d, want 400", resp.StatusCode)
	}
	if resp := m.post(t, "/traces/"+tid+"/scores/"+tone.ID+"/delete", form()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	doc, _ = m.page(t, page)
	if rows := doc.Find("#scores tr.score"); rows.Length() != 1 || !strings.Contains(rows.Text(), "needed a follow-up") ||
		!strings.Contains(rows.Text(), "edited") || strings.TrimSpace(rows.Find(".score-value").Text()) != "0.4" {
		t.Errorf("after edit and delete: %q", doc.Find("#scores").Text())
	}
	// A score of another trace is not this trace's to change.
	other := b.trace[0].TraceID[:31] + map[bool]string{true: "e", false: "f"}[strings.HasSuffix(b.trace[0].TraceID, "f")]
	if resp := m.post(t, "/traces/"+other+"/scores/"+help.ID+"/delete", form()); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete through another trace's page: %d, want 404", resp.StatusCode)
	}

	// The traces list: a scores column, and the score filters.
	doc, _ = m.page(t, "/traces")
	if chip := doc.Find("td.scores .score-chip"); chip.Length() != 1 || !strings.Contains(chip.Text(), "helpfulness") || !strings.Contains(chip.Text(), "0.4") {
		t.Errorf("the list's scores column: %q", doc.Find("td.scores").Text())
	}
	for q, want := range map[string]int{"score_name=helpfulness": 1, "score_name=helpfulness&score_max=0.5": 1,
		"score_name=helpfulness&score_min=0.5": 0, "score_name=tone": 0} {
		doc, code := m.page(t, "/traces?"+q)
		if n := doc.Find("table.traces tbody tr").Length(); code != 200 || n != want {
			t.Errorf("/traces?%s: %d, %d rows; want %d", q, code, n, want)
		}
	}
	if _, code := m.page(t, "/traces?score_min=2&score_max=1"); code != http.StatusBadRequest {
		t.Errorf("an inverted score range: %d, want 400", code)
	}
}

// TestViewerCannotScore: a viewer sees scores but no forms, and a posted
// form is refused; a form without the CSRF token is refused too.
func TestViewerCannotScore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tid := b.trace[0].TraceID
	if err := b.store.WriteScores(context.Background(), b.project.ID, []store.Score{{ID: strings.Repeat("ab", 16), TraceID: tid,
		Name: "quality", Value: store.NumberValue(1), Source: store.SourceAPI, Time: b.trace[0].StartTime}}); err != nil {
		t.Fatal(err)
	}
	v := b.as(t, "viewer@example.com", store.RoleViewer)
	doc, _ := v.page(t, "/traces/"+tid)
	if doc.Find("#scores tr.score").Length() != 1 || doc.Find("form.score-form").Length() != 0 || doc.Find(".score-edit").Length() != 0 {
		t.Errorf("the viewer's page: %d scores, %d forms", doc.Find("#scores tr.score").Length(), doc.Find("form.score-form").Length())
	}
	csrf := v.csrf(t)
	for path, form := range map[string]url.Values{
		"/traces/" + tid + "/scores":                                         {"csrf": {csrf}, "name": {"q"}, "value": {"1"}},
		"/traces/" + tid + "/scores/" + strings.Repeat("ab", 16):             {"csrf": {csrf}, "value": {"0"}},
		"/traces/" + tid + "/scores/" + strings.Repeat("ab", 16) + "/delete": {"csrf": {csrf}},
		"/settings/scores": {"csrf": {csrf}, "name": {"q"}, "type": {"numeric"}},
	} {
		if resp := v.post(t, path, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d, want 403", path, resp.StatusCode)
		}
	}
	m := b.as(t, "member@example.com", store.RoleMember)
	if resp := m.post(t, "/traces/"+tid+"/scores", url.Values{"name": {"q"}, "value": {"1"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a score form without its CSRF token: %d, want 403", resp.StatusCode)
	}
	if resp := m.post(t, "/settings/scores", url.Values{"csrf": {m.csrf(t)}, "name": {"q"}, "type": {"numeric"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member configuring a score name: %d, want 403", resp.StatusCode)
	}
	if l, _ := b.store.ListScores(context.Background(), b.project.ID, store.ScoreFilter{}, store.Page{}); len(l.Scores) != 1 || l.Scores[0].Value != store.NumberValue(1) {
		t.Errorf("scores after refused forms: %+v", l.Scores)
	}
}

// TestScoreNamesSettings: an admin configures score names (numeric with a
// range, categorical with labels), sees them, and removes one.
func TestScoreNamesSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.login(t)
	csrf := b.csrf(t)
	for _, f := range []url.Values{
		{"csrf": {csrf}, "name": {"helpfulness"}, "type": {"numeric"}, "min": {"0"}, "max": {"1"}, "description": {"how much it helped"}},
		{"csrf": {csrf}, "name": {"tone"}, "type": {"categorical"}, "labels": {"friendly, curt ,rude"}},
	} {
		if resp := b.post(t, "/settings/scores", f); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("configure %s: %d", f.Get("name"), resp.StatusCode)
		}
	}
	for _, bad := range []url.Values{
		{"csrf": {csrf}, "name": {"x"}, "type": {"numeric"}, "min": {"2"}, "max": {"1"}},
		{"csrf": {csrf}, "name": {"x"}, "type": {"numeric"}, "min": {"low"}},
		{"csrf": {csrf}, "name": {""}, "type": {"boolean"}},
		{"csrf": {csrf}, "name": {"x"}, "type": {"stars"}},
	} {
		if resp := b.post(t, "/settings/scores", bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("configure %v: %d, want 400", bad, resp.StatusCode)
		}
	}
	doc, _ := b.page(t, "/settings")
	table := doc.Find("table.score-configs").Text()
	for _, want := range []string{"helpfulness", "a number, 0 to 1", "how much it helped", "tone", "one of friendly, curt, rude"} {
		if !strings.Contains(table, want) {
			t.Errorf("the score names table lacks %q: %q", want, table)
		}
	}
	if resp := b.post(t, "/settings/scores/remove", url.Values{"csrf": {csrf}, "name": {"tone"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if cs, _ := b.store.ListScoreConfigs(context.Background(), b.project.ID); len(cs) != 1 || cs[0].Name != "helpfulness" {
		t.Errorf("configs after remove: %+v", cs)
	}
	if resp := b.post(t, "/settings/scores/remove", url.Values{"csrf": {csrf}, "name": {"tone"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("removing it again: %d, want 404", resp.StatusCode)
	}
}

func ptr[T any](v T) *T { return &v }

func parse(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
