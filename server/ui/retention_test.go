package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// TestRetentionSettings: the settings page shows the project's retention
// and the last run of the retention job; a project admin changes the
// retention, a member cannot, and a bad number is refused.
func TestRetentionSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.as(t, "padmin@example.com", store.RoleAdmin)
	doc, code := a.page(t, "/settings")
	if code != 200 {
		t.Fatalf("settings: %d", code)
	}
	if v, _ := doc.Find(`form[action="/settings/retention"] input[name=days]`).Attr("value"); v != "0" {
		t.Errorf("the retention form shows %q days, want 0", v)
	}
	if got := doc.Find(".retention-run").Text(); !strings.Contains(got, "not yet") {
		t.Errorf("before any run the page says %q", got)
	}
	if resp := a.post(t, "/settings/retention", url.Values{"days": {"7"}, "csrf": {a.csrf(t)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("an admin setting 7 days: %d", resp.StatusCode)
	}
	if p, err := b.store.GetProject(t.Context(), b.project.ID); err != nil || p.RetentionDays != 7 {
		t.Errorf("after saving: %+v, %v; want 7 days", p, err)
	}
	for _, bad := range []string{"-1", "many", "36501", ""} {
		if resp := a.post(t, "/settings/retention", url.Values{"days": {bad}, "csrf": {a.csrf(t)}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("days %q: %d, want 400", bad, resp.StatusCode)
		}
	}
	m := b.as(t, "member@example.com", store.RoleMember)
	doc, _ = m.page(t, "/settings")
	if doc.Find(`form[action="/settings/retention"]`).Length() != 0 || !strings.Contains(doc.Text(), "keeps its traces for 7 days") {
		t.Error("a member is offered the retention form, or not told the project's retention")
	}
	if resp := m.post(t, "/settings/retention", url.Values{"days": {"1"}, "csrf": {m.csrf(t)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member changing retention: %d, want 403", resp.StatusCode)
	}
	if p, _ := b.store.GetProject(t.Context(), b.project.ID); p.RetentionDays != 7 {
		t.Errorf("a member's attempt changed the retention to %d", p.RetentionDays)
	}

	now := time.Now()
	if _, err := b.store.RecordRetentionRun(t.Context(), store.RetentionRun{StartedAt: now, FinishedAt: now, Projects: 1,
		Removed: store.Removed{Traces: 1234, Spans: 56789, Scores: 12}, Failure: "project 9: store unavailable"}); err != nil {
		t.Fatal(err)
	}
	doc, _ = a.page(t, "/settings")
	if got := doc.Find(".retention-run").Text(); !strings.Contains(got, "removed 1,234 traces (56,789 spans, 12 scores)") {
		t.Errorf("after a run the page says %q", got)
	}
	if !strings.Contains(doc.Text(), "project 9: store unavailable") {
		t.Error("the run's failure is not shown")
	}
}
