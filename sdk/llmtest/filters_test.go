package llmtest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tracium/tracium/store"
)

// TestFiltersFindCapturedCalls: on captured calls, model= finds the model
// asked for though the provider answered with a dated release, and q=
// finds the trace by text that only a child span's output holds — in the
// REST traces, spans and metrics, and in the traces page.
func TestFiltersFindCapturedCalls(t *testing.T) {
	t.Parallel()
	app := startDemo(t)
	run := app.ask(t)
	var traces struct {
		Traces []store.Trace `json:"traces"`
	}
	var spans struct {
		Spans []store.Span `json:"spans"`
	}
	var usage struct {
		Rows []store.UsageRow `json:"rows"`
	}
	for _, m := range []string{openAIModel, anthropicModel, strings.ToUpper(geminiModel)} {
		api(t, app, "/api/v1/traces?model="+url.QueryEscape(m), &traces)
		if len(traces.Traces) != 1 || traces.Traces[0].TraceID != run.traceID {
			t.Errorf("traces?model=%s: %d traces, want the demo's", m, len(traces.Traces))
		}
		api(t, app, "/api/v1/spans?model="+url.QueryEscape(m), &spans)
		if len(spans.Spans) == 0 {
			t.Errorf("spans?model=%s: none", m)
		}
		for _, s := range spans.Spans {
			if !strings.HasPrefix(strings.ToLower(s.Model), strings.ToLower(m)) {
				t.Errorf("spans?model=%s found %s", m, s.Model)
			}
		}
	}
	api(t, app, "/api/v1/metrics/usage?group_by=model&model="+openAIModel, &usage)
	if len(usage.Rows) != 1 || usage.Rows[0].Key != openAIAnswerModel || usage.Rows[0].Count != 4 {
		t.Errorf("metrics?model=%s: %+v, want the four calls answered by %s", openAIModel, usage.Rows, openAIAnswerModel)
	}
	api(t, app, "/api/v1/traces?model=gpt-4", &traces)
	if len(traces.Traces) != 0 {
		t.Errorf("model=gpt-4 found %d traces: only releases of the name given match", len(traces.Traces))
	}

	// "Seine" is only in the Anthropic spans' answers, far below the HTTP root.
	api(t, app, "/api/v1/traces?q=SEINE", &traces)
	if len(traces.Traces) != 1 || traces.Traces[0].TraceID != run.traceID {
		t.Errorf("q=SEINE: %d traces, want the demo's", len(traces.Traces))
	}
	api(t, app, "/api/v1/traces?q=parts", &traces)
	if len(traces.Traces) != 0 {
		t.Errorf("q=parts matched a key of the recorded chat: %d traces", len(traces.Traces))
	}
	u := signIn(t, app.c.URL)
	doc, _ := u.page(t, "/traces?q=seine&model="+anthropicModel)
	if n := doc.Find("table.traces tbody tr").Length(); n != 1 {
		t.Errorf("the traces page with q and model: %d rows, want 1", n)
	}
}
