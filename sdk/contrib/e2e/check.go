package e2e

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/store"
)

// Job is what the stored trace of one request must show of its job.
type Job struct {
	System, Name, Queue, ID string
	MaxRetries              int
	// Failures are the errors of the attempts that failed before the one
	// that succeeded, in order.
	Failures []string
	// QueuedOnRetries says whether retries record the time queued (River
	// knows when a retry became due; asynq does not).
	QueuedOnRetries bool
}

// CheckTrace waits for the request's trace and asserts every stored span
// field by field: the request span, the enqueue span under it, one attempt
// span per attempt under that, and the LLM call under the last attempt.
func (f *Flow) CheckTrace(t *testing.T, traceID string, ticket int, job Job) {
	t.Helper()
	attempts := len(job.Failures) + 1
	spans := f.WaitTrace(t, traceID, 3+attempts)
	byType := map[store.SpanType][]store.Span{}
	for _, s := range spans {
		if s.TraceID != traceID {
			t.Errorf("span %q in trace %s, want %s", s.Name, s.TraceID, traceID)
		}
		if s.EndTime.Before(s.StartTime) {
			t.Errorf("span %q ends %v before it starts %v", s.Name, s.EndTime, s.StartTime)
		}
		byType[s.Type] = append(byType[s.Type], s)
	}
	if len(byType["http"]) != 1 || len(byType["task"]) != 1+attempts || len(byType["llm"]) != 1 {
		t.Fatalf("want 1 http, %d task and 1 llm span:\n%s", 1+attempts, Describe(spans))
	}
	req := byType["http"][0]
	checkSpan(t, req, "POST "+Route, "", map[string]any{
		"http.request.method":       "POST",
		"http.route":                Route,
		"url.path":                  fmt.Sprintf("/tickets/%d/summarise", ticket),
		"http.response.status_code": float64(202),
		"http.response.body.size":   float64(32),
	})
	if req.AgentName != f.Client.DefaultAgentName() {
		t.Errorf("request span agent %q, want the client's default %q", req.AgentName, f.Client.DefaultAgentName())
	}

	var enqueue store.Span
	var tries []store.Span
	for _, s := range byType["task"] {
		if s.Name == "enqueue "+job.Name {
			enqueue = s
		} else {
			tries = append(tries, s)
		}
	}
	checkSpan(t, enqueue, "enqueue "+job.Name, req.SpanID, enqueueAttrs(job))

	slices.SortFunc(tries, func(a, b store.Span) int { return a.StartTime.Compare(b.StartTime) })
	if len(tries) != attempts {
		t.Fatalf("%d attempt spans, want %d:\n%s", len(tries), attempts, Describe(spans))
	}
	for i, a := range tries {
		want := attemptAttrs(job, i+1)
		got := Attributes(t, a)
		if q, ok := got["task.queued_ms"].(float64); ok && q >= 0 {
			want["task.queued_ms"] = q // any wait: it is the queue's to say
		}
		if i > 0 && !job.QueuedOnRetries {
			delete(want, "task.queued_ms")
		} else if _, ok := want["task.queued_ms"]; !ok {
			t.Errorf("attempt %d: no task.queued_ms in %s", i+1, a.Attributes)
		}
		errMsg := ""
		if i < len(job.Failures) {
			errMsg = job.Failures[i]
		}
		checkSpanFailed(t, a, job.Name, enqueue.SpanID, want, errMsg)
	}

	llm := byType["llm"][0]
	last := tries[len(tries)-1]
	checkSpan(t, llm, "chat "+fakellm.OpenAIModel, last.SpanID, map[string]any{})
	wantUsage := store.Usage{
		InputTokens: fakellm.OpenAIPrompt, OutputTokens: fakellm.OpenAICompletion,
		CachedTokens: fakellm.OpenAICached, ReasoningTokens: fakellm.OpenAIReasoning, TotalTokens: fakellm.OpenAITotal,
	}
	if llm.Model != fakellm.OpenAIAnswerModel || llm.RequestModel != fakellm.OpenAIModel || llm.Provider != "openai" ||
		llm.Usage == nil || *llm.Usage != wantUsage {
		t.Errorf("llm span model %q request model %q provider %q usage %+v", llm.Model, llm.RequestModel, llm.Provider, llm.Usage)
	}
	if !bytes.Contains(llm.Input, fmt.Appendf(nil, "Summarise ticket %d", ticket)) || !bytes.Contains(llm.Output, []byte(f.LLM.Reply())) {
		t.Errorf("llm span input %s output %s", llm.Input, llm.Output)
	}
	if llm.StartTime.Before(last.StartTime) || llm.EndTime.After(last.EndTime) {
		t.Errorf("llm span %v..%v outside its attempt %v..%v", llm.StartTime, llm.EndTime, last.StartTime, last.EndTime)
	}
}

func enqueueAttrs(job Job) map[string]any {
	attrs := map[string]any{
		"messaging.system":           job.System,
		"messaging.operation.type":   "send",
		"messaging.destination.name": job.Queue,
	}
	if job.System == "river" {
		attrs["messaging.message.id"] = job.ID // River has the id once the row is in
	}
	return attrs
}

func attemptAttrs(job Job, attempt int) map[string]any {
	return map[string]any{
		"messaging.system":           job.System,
		"messaging.operation.type":   "process",
		"messaging.destination.name": job.Queue,
		"messaging.message.id":       job.ID,
		"task.attempt":               float64(attempt),
		"task.max_retries":           float64(job.MaxRetries),
	}
}

func checkSpan(t *testing.T, s store.Span, name, parent string, attrs map[string]any) {
	t.Helper()
	checkSpanFailed(t, s, name, parent, attrs, "")
}

// checkSpanFailed asserts a span's name, parent, status and exact
// attributes; errMsg "" means the span is ok.
func checkSpanFailed(t *testing.T, s store.Span, name, parent string, attrs map[string]any, errMsg string) {
	t.Helper()
	if s.Name != name || s.ParentSpanID != parent {
		t.Errorf("span %q parent %q, want %q parent %q", s.Name, s.ParentSpanID, name, parent)
	}
	wantStatus, wantType := store.StatusOK, ""
	if errMsg != "" {
		wantStatus, wantType = store.StatusError, "error"
	}
	if s.Status != wantStatus || s.ErrorType != wantType || s.ErrorMessage != errMsg {
		t.Errorf("span %q: status %q error %q %q, want %q %q %q", s.Name, s.Status, s.ErrorType, s.ErrorMessage, wantStatus, wantType, errMsg)
	}
	if got := Attributes(t, s); !maps.Equal(got, attrs) {
		t.Errorf("span %q attributes\n got %v\nwant %v", s.Name, got, attrs)
	}
}
