package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// NewDatabase returns two stores on one database of their own, as two
// collectors sharing it would have: the retention tests delete across
// every project, so they cannot share a database with other tests.
type NewDatabase func(t *testing.T) (store.Store, store.Store)

// RunRetention runs the retention part of the suite: server-wide and
// per-project deletes, the project setting, the job lock and the runs
// kept.
func RunRetention(t *testing.T, newDatabase NewDatabase) {
	t.Helper()
	t.Run("DaysBefore", func(t *testing.T) { t.Parallel(); testDaysBefore(t, newDatabase) })
	t.Run("ProjectBatches", func(t *testing.T) { t.Parallel(); testProjectBatches(t, newDatabase) })
	t.Run("ProjectSetting", func(t *testing.T) { t.Parallel(); testProjectSetting(t, newDatabase) })
	t.Run("Lock", func(t *testing.T) { t.Parallel(); testLock(t, newDatabase) })
	t.Run("Runs", func(t *testing.T) { t.Parallel(); testRetentionRuns(t, newDatabase) })
	t.Run("Scores", func(t *testing.T) { t.Parallel(); testScoreDaysBefore(t, newDatabase) })
}

// day0 is the UTC midnight that starts today: server-wide retention works
// in whole days, and the stores only take spans near the present.
func day0() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }

// dayTrace writes a trace of a root and an llm call, both naming word in
// their input, starting at start.
func dayTrace(t *testing.T, s store.Store, projectID int64, start time.Time, word string) []store.Span {
	t.Helper()
	tid := NewTraceID()
	root := span(tid, "", "run "+word, 0, time.Second)
	root.StartTime, root.EndTime = start, start.Add(time.Second)
	root.Input = rawJSON(map[string]string{"question": "about " + word})
	llm := llmSpan(tid, root.SpanID, "m-"+word, 0, time.Second/2, store.Usage{InputTokens: 3, OutputTokens: 2}, 0.5)
	llm.StartTime, llm.EndTime = start, start.Add(time.Second/2)
	spans := []store.Span{root, llm}
	if err := s.WriteSpans(t.Context(), projectID, spans); err != nil {
		t.Fatalf("WriteSpans: %v", err)
	}
	return spans
}

// testDaysBefore applies a server-wide retention of ten days: in every
// project, the traces of days that ended at or before the cutoff go with
// every span, summary, search index entry and usage row; the rest stay
// whole; and a late span of a removed trace makes a trace of that span
// alone.
func testDaysBefore(t *testing.T, newDatabase NewDatabase) {
	s, _ := newDatabase(t)
	ctx := t.Context()
	cutoff := store.RetentionDayCutoff(time.Now(), 10)
	type kept struct {
		spans []store.Span
		word  string
	}
	var gone, stay []kept
	projects := make([]store.Project, 2)
	for i := range projects {
		p, err := s.CreateProject(ctx, fmt.Sprintf("retention-%d-%s", i, randomHex(6)))
		if err != nil {
			t.Fatal(err)
		}
		projects[i] = p
		for _, tc := range []struct {
			start time.Time
			word  string
			gone  bool
		}{
			{day0().AddDate(0, 0, -30).Add(10 * time.Hour), "ancient", true},
			{cutoff.Add(-time.Second), "lastgone", true},
			{cutoff, "firstkept", false},
			{day0().Add(-time.Hour), "recent", false},
		} {
			word := fmt.Sprintf("%s%dx%s", tc.word, i, randomHex(4))
			k := kept{dayTrace(t, s, p.ID, tc.start, word), word}
			if tc.gone {
				gone = append(gone, k)
			} else {
				stay = append(stay, k)
			}
		}
	}
	r, err := s.DeleteDaysBefore(ctx, cutoff.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r.Traces != 4 || r.Spans != 8 {
		t.Errorf("removed %+v; want the 4 traces of 8 spans of the days before the cutoff", r)
	}
	for i, p := range projects {
		for _, k := range gone[2*i : 2*i+2] {
			tid := k.spans[0].TraceID
			if _, err := s.GetTrace(ctx, p.ID, tid); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("removed trace %s: GetTrace err = %v, want ErrNotFound", k.word, err)
			}
			if _, err := s.GetSpan(ctx, p.ID, tid, k.spans[1].SpanID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("removed trace %s: GetSpan err = %v, want ErrNotFound", k.word, err)
			}
			if l, err := s.ListTraces(ctx, p.ID, store.TraceFilter{Query: k.word}, store.Page{}); err != nil || len(l.Traces) != 0 {
				t.Errorf("removed trace %s still found by its text: %+v, %v", k.word, l.Traces, err)
			}
			if l, err := s.SearchSpans(ctx, p.ID, store.SpanFilter{Query: k.word}, store.Page{}); err != nil || len(l.Spans) != 0 {
				t.Errorf("removed trace %s: its spans still found: %+v, %v", k.word, l.Spans, err)
			}
		}
		for _, k := range stay[2*i : 2*i+2] {
			d, err := s.GetTrace(ctx, p.ID, k.spans[0].TraceID)
			if err != nil || d.Trace.SpanCount != 2 || len(d.Spans) != 2 {
				t.Errorf("kept trace %s: %d spans counted, %d stored, %v; want 2", k.word, d.Trace.SpanCount, len(d.Spans), err)
			}
			if l, err := s.ListTraces(ctx, p.ID, store.TraceFilter{Query: k.word}, store.Page{}); err != nil || len(l.Traces) != 1 {
				t.Errorf("kept trace %s not found by its text: %d, %v", k.word, len(l.Traces), err)
			}
		}
		rows, err := s.UsageMetrics(ctx, p.ID, store.UsageQuery{Since: day0().AddDate(0, 0, -60), GroupBy: store.GroupByModel})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Errorf("project %d usage after retention: %+v; want the 2 kept calls' models", i, rows)
		}
	}

	// A span that arrives late for a removed trace, on a removed day or
	// a kept one, makes a trace of what is stored: itself.
	for _, late := range []store.Span{gone[0].spans[1], gone[1].spans[1]} {
		late.SpanID = NewSpanID()
		if err := s.WriteSpans(ctx, projects[0].ID, []store.Span{late}); err != nil {
			t.Fatalf("late span: %v", err)
		}
		d, err := s.GetTrace(ctx, projects[0].ID, late.TraceID)
		if err != nil || d.Trace.SpanCount != 1 || len(d.Spans) != 1 || d.Trace.Usage.InputTokens != 3 {
			t.Errorf("late span's trace: %+v, %d spans, %v; want a trace of that one span", d.Trace, len(d.Spans), err)
		}
	}
	r, err = s.DeleteDaysBefore(ctx, cutoff)
	if err != nil || r.Traces != 2 || r.Spans != 2 {
		t.Errorf("second pass removed %+v, %v; want the 2 late traces", r, err)
	}
}

// testProjectBatches deletes more traces than one batch holds through a
// project's retention, and leaves another project's alone.
func testProjectBatches(t *testing.T, newDatabase NewDatabase) {
	s, _ := newDatabase(t)
	b := &testBundle{store: s, ctx: t.Context()}
	var err error
	if b.project, err = s.CreateProject(b.ctx, "batches"); err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateProject(b.ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	old := day0().AddDate(0, 0, -20)
	n := store.RetentionBatch + 7
	spans := make([]store.Span, n)
	for i := range spans {
		spans[i] = span(NewTraceID(), "", "old", 0, time.Second)
		spans[i].StartTime, spans[i].EndTime = old.Add(time.Duration(i)*time.Second), old.Add(time.Duration(i+1)*time.Second)
	}
	b.write(t, spans...)
	if err := s.WriteSpans(b.ctx, other.ID, spans[:3]); err != nil {
		t.Fatal(err)
	}
	fresh := dayTrace(t, s, b.project.ID, day0().Add(-time.Hour), "fresh")
	r, err := s.DeleteTracesBefore(b.ctx, b.project.ID, day0().AddDate(0, 0, -5))
	if err != nil {
		t.Fatal(err)
	}
	if r.Traces != int64(n) || r.Spans != int64(n) {
		t.Errorf("removed %+v; want %d traces of one span", r, n)
	}
	if l, err := s.ListTraces(b.ctx, b.project.ID, store.TraceFilter{}, store.Page{Limit: 10}); err != nil || len(l.Traces) != 1 || l.Traces[0].TraceID != fresh[0].TraceID {
		t.Errorf("left %+v, %v; want only the fresh trace", l.Traces, err)
	}
	if l, err := s.ListTraces(b.ctx, other.ID, store.TraceFilter{}, store.Page{Limit: 10}); err != nil || len(l.Traces) != 3 {
		t.Errorf("the other project kept %d traces, %v; want its 3", len(l.Traces), err)
	}
}

// testProjectSetting: a project's retention is kept and read back by
// every way of reading projects, and refused outside its range.
func testProjectSetting(t *testing.T, newDatabase NewDatabase) {
	s, _ := newDatabase(t)
	ctx := t.Context()
	p, err := s.CreateProject(ctx, "setting")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "new project's retention", p.RetentionDays, 0)
	got, err := s.SetProjectRetention(ctx, p.ID, 7)
	if err != nil || got.RetentionDays != 7 || got.ID != p.ID || got.Name != p.Name {
		t.Fatalf("SetProjectRetention = %+v, %v", got, err)
	}
	if got, err := s.GetProject(ctx, p.ID); err != nil || got.RetentionDays != 7 {
		t.Errorf("GetProject = %+v, %v; want 7 days", got, err)
	}
	if got, err := s.GetProjectByName(ctx, p.Name); err != nil || got.RetentionDays != 7 {
		t.Errorf("GetProjectByName = %+v, %v; want 7 days", got, err)
	}
	ps, err := s.ListProjects(ctx)
	if err != nil || len(ps) != 1 || ps[0].RetentionDays != 7 {
		t.Errorf("ListProjects = %+v, %v; want the project with 7 days", ps, err)
	}
	u, err := s.CreateUser(ctx, store.User{Email: "r-" + randomHex(6) + "@example.com", PasswordHash: []byte("x"), InstanceAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	prs, err := s.ListUserProjects(ctx, u.ID)
	if err != nil || len(prs) != 1 || prs[0].Project.RetentionDays != 7 {
		t.Errorf("ListUserProjects = %+v, %v; want the project with 7 days", prs, err)
	}
	for _, days := range []int{-1, store.MaxRetentionDays + 1} {
		if _, err := s.SetProjectRetention(ctx, p.ID, days); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%d days: err = %v, want ErrInvalid", days, err)
		}
	}
	if _, err := s.SetProjectRetention(ctx, p.ID+1000, 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown project: err = %v, want ErrNotFound", err)
	}
	if got, err := s.SetProjectRetention(ctx, p.ID, 0); err != nil || got.RetentionDays != 0 {
		t.Errorf("back to 0: %+v, %v", got, err)
	}
}

// testLock: a lock taken through one store is refused to the other, and
// to the same store again, until released; other names are independent.
func testLock(t *testing.T, newDatabase NewDatabase) {
	a, b := newDatabase(t)
	ctx := t.Context()
	release, err := a.TryLock(ctx, "retention")
	if err != nil {
		t.Fatalf("first TryLock: %v", err)
	}
	for name, s := range map[string]store.Store{"the other store": b, "the same store": a} {
		if _, err := s.TryLock(ctx, "retention"); !errors.Is(err, store.ErrLocked) {
			t.Errorf("TryLock through %s while held: err = %v, want ErrLocked", name, err)
		}
	}
	other, err := b.TryLock(ctx, "another-job")
	if err != nil {
		t.Errorf("a lock of another name: %v", err)
	} else {
		other()
	}
	release()
	again, err := b.TryLock(ctx, "retention")
	if err != nil {
		t.Fatalf("TryLock after release: %v", err)
	}
	again()
	for _, bad := range []string{"", "../x", "a b", string(make([]byte, 65))} {
		if _, err := a.TryLock(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("TryLock(%q): err = %v, want ErrInvalid", bad, err)
		}
	}
}

// testRetentionRuns: the last run recorded is read back whole, from any
// store on the database.
func testRetentionRuns(t *testing.T, newDatabase NewDatabase) {
	a, b := newDatabase(t)
	ctx := t.Context()
	if _, err := b.LastRetentionRun(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("before any run: err = %v, want ErrNotFound", err)
	}
	start := time.Now().UTC().Truncate(time.Second)
	var last store.RetentionRun
	for i := range store.MaxRetentionRuns + 3 {
		run := store.RetentionRun{StartedAt: start.Add(time.Duration(i) * time.Minute), FinishedAt: start.Add(time.Duration(i)*time.Minute + time.Second),
			Projects: i % 3, Removed: store.Removed{Traces: int64(i), Spans: int64(10 * i), Scores: int64(3 * i), Partitions: int64(i % 2)}}
		if i%2 == 0 {
			run.ServerCutoff = start.AddDate(0, 0, -30)
		}
		if i == store.MaxRetentionRuns+2 {
			run.Failure = "delete day 2026-01-01: store unavailable"
		}
		got, err := a.RecordRetentionRun(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == 0 || got.ID <= last.ID {
			t.Fatalf("run %d recorded with id %d after %d", i, got.ID, last.ID)
		}
		run.ID = got.ID
		if got != run {
			t.Errorf("recorded %+v; want %+v", got, run)
		}
		last = got
	}
	got, err := b.LastRetentionRun(ctx)
	if err != nil || got != last {
		t.Errorf("LastRetentionRun = %+v, %v; want %+v", got, err, last)
	}
}
