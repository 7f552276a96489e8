package store

import (
	"slices"
	"testing"
	"time"
)

func TestSummarizeAndMerge(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	u := func(n int64) *Usage { return &Usage{InputTokens: n, TotalTokens: n} }
	root := Span{TraceID: "t", SpanID: "r", Name: "root", StartTime: t0, EndTime: t0.Add(10 * time.Second), AgentName: "root-agent", Input: []byte(`"in"`)}
	early := Span{TraceID: "t", SpanID: "a", ParentSpanID: "r", Name: "early", StartTime: t0.Add(time.Second), EndTime: t0.Add(2 * time.Second),
		AgentName: "child-agent", UserID: "u1", Tags: []string{"b", "a"}, Model: "m1", Usage: u(3)}
	late := Span{TraceID: "t", SpanID: "b", ParentSpanID: "r", Name: "late", StartTime: t0.Add(3 * time.Second), EndTime: t0.Add(12 * time.Second),
		Status: StatusError, UserID: "u2", Tags: []string{"a"}, Model: "m0", Usage: u(4)}

	children := Summarize([]Span{late, early})
	if children.Root != nil || children.Name != "early" || children.UserID != "u1" || children.AgentName != "child-agent" {
		t.Errorf("children only: root %v name %q user %q agent %q", children.Root, children.Name, children.UserID, children.AgentName)
	}
	if children.SpanCount != 2 || children.ErrorCount != 1 || children.Usage.InputTokens != 7 ||
		!slices.Equal(children.Tags, []string{"a", "b"}) || !slices.Equal(children.Models, []string{"m0", "m1"}) ||
		!children.StartTime.Equal(early.StartTime) || !children.EndTime.Equal(late.EndTime) {
		t.Errorf("children summary %+v", children.Trace)
	}

	stored, newRoot := Trace{TraceID: "t", StartTime: children.StartTime, EndTime: children.EndTime}.Merge(children)
	if newRoot {
		t.Error("no root yet, but Merge says one arrived")
	}
	merged, newRoot := stored.Merge(Summarize([]Span{root}))
	if !newRoot || merged.RootSpanID != "r" || merged.Name != "root" || string(merged.Input) != `"in"` {
		t.Errorf("after the root: %+v", merged)
	}
	if merged.AgentName != "root-agent" || merged.UserID != "u1" || merged.SpanCount != 3 || merged.Status != StatusError ||
		!merged.StartTime.Equal(t0) || !merged.EndTime.Equal(late.EndTime) {
		t.Errorf("root's agent wins, first user stays, counts add: %+v", merged)
	}
	second := Span{TraceID: "t", SpanID: "z", Name: "second root", StartTime: t0.Add(-time.Second), EndTime: t0, AgentName: "other"}
	again, newRoot := merged.Merge(Summarize([]Span{second}))
	if newRoot || again.RootSpanID != "r" || again.AgentName != "root-agent" || !again.StartTime.Equal(second.StartTime) {
		t.Errorf("a second root changed the trace: %+v", again)
	}
}

func TestSummarizeModelsAndSearch(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := Span{TraceID: "t", SpanID: "b", Name: "Second By Id", StartTime: t0, EndTime: t0,
		Model: "gpt-4o-mini-2024-07-18", RequestModel: "gpt-4o-mini"}
	b := Span{TraceID: "t", SpanID: "a", Name: "First By Id", StartTime: t0.Add(time.Second), EndTime: t0.Add(time.Second),
		RequestModel: "claude-sonnet-4-5", ErrorMessage: "Overloaded"}
	d := Summarize([]Span{a, b})
	if !slices.Equal(d.Models, []string{"claude-sonnet-4-5", "gpt-4o-mini-2024-07-18"}) {
		t.Errorf("Models = %q; want each span's answering model, else its requested one", d.Models)
	}
	if !slices.Equal(d.ModelKeys, []string{"claude-sonnet-4-5", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"}) {
		t.Errorf("ModelKeys = %q", d.ModelKeys)
	}
	if d.SearchText != "second by id\nfirst by id\noverloaded" {
		t.Errorf("SearchText = %q; want the spans' texts in the order given", d.SearchText)
	}
	merged, _ := Trace{ModelKeys: []string{"x"}}.Merge(d)
	if !slices.Equal(merged.ModelKeys, []string{"claude-sonnet-4-5", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "x"}) {
		t.Errorf("merged ModelKeys = %q", merged.ModelKeys)
	}
}
