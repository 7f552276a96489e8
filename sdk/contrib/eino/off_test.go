package traciumeino_test

import (
	"context"
	"testing"
	"time"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// TestTurnedOff runs the weather graph with no trace in its context under
// a default client with WithAutoInstrumentLangGraph(false): the handler
// records nothing, and the model's HTTP call is the transport's own llm
// span, as LLM client instrumentation is a switch of its own. Turned back
// on, the same run is a trace of its own rooted at the graph span. Not
// parallel: it replaces the default client.
func TestTurnedOff(t *testing.T) {
	// The parallel tests record into clients of their own under a no-op
	// default client with every instrumentation on.
	t.Cleanup(func() { tracium.Init(tracium.WithErrorHandler(func(error) {})) })
	for _, on := range []bool{false, true} {
		spans := spantest.NewCollector(t)
		client := tracium.Init(tracium.WithAPIKey(spantest.APIKey), tracium.WithEndpoint(spans.URL),
			tracium.WithFlushInterval(10*time.Millisecond), tracium.WithAutoInstrumentLangGraph(on))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = client.Shutdown(ctx)
		})
		b := &testBundle{llm: fakellm.New(t, fakellm.Options{Replies: []fakellm.Reply{toolCallReply}})}
		if _, err := weatherGraph(t, b).Invoke(context.Background(), question, withTracium()); err != nil {
			t.Fatal(err)
		}
		spantest.Flush(t, client)
		got := spans.Spans()
		if !on {
			if len(got) != 1 || got[0].Type != tracium.SpanLLM || got[0].Name != "chat "+fakellm.OpenAIModel ||
				got[0].Attributes[tracium.AttrFramework] != nil || *got[0].Usage != fakeUsage {
				t.Errorf("turned off: want only the transport's llm span, got:\n%s", describe(got))
			}
			continue
		}
		deadline := time.Now().Add(5 * time.Second)
		for len(got) < 9 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
			spantest.Flush(t, client)
			got = spans.Spans()
		}
		if len(got) != 9 || len(ofType(got, tracium.SpanLLM)) != 1 {
			t.Fatalf("turned on: %d spans, want 9 with one llm span:\n%s", len(got), describe(got))
		}
		g := find(t, got, tracium.SpanGraph, "weather")
		if g.ParentSpanID != "" {
			t.Errorf("graph span of a run with no trace has parent %s, want none", g.ParentSpanID)
		}
		for _, s := range got {
			if s.TraceID != g.TraceID {
				t.Errorf("%s %q in trace %s, want the graph's %s", s.Type, s.Name, s.TraceID, g.TraceID)
			}
		}
	}
}
