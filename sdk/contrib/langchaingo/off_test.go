package traciumlangchaingo_test

import (
	"context"
	"testing"
	"time"

	"github.com/tmc/langchaingo/chains"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// The toggles live on the default client, so this test replaces it and
// cannot run beside the others: it is the one test that is not parallel
// (Go runs it before resuming the parallel ones).
func TestTurnedOff(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []tracium.Option
		// wireSpan says the model call is still traced, as any LLM
		// client's call is: one llm span of the SDK's own.
		wireSpan bool
	}{
		{name: "langchain off", opts: []tracium.Option{tracium.WithAutoInstrumentLangChain(false)}, wireSpan: true},
		{name: "langchain and llm clients off", opts: []tracium.Option{
			tracium.WithAutoInstrumentLangChain(false), tracium.WithAutoInstrumentLLMClients(false),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off := initDefault(tc.opts...)
			t.Cleanup(func() {
				initDefault()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = off.Shutdown(ctx)
			})
			e := setup(t, fakellm.Options{})
			if _, err := chains.Call(e.ctx, factsChain(e.llm, e.h), map[string]any{"topic": "otters"}); err != nil {
				t.Fatal(err)
			}
			if _, err := chains.Call(context.Background(), factsChain(e.llm, e.h), map[string]any{"topic": "badgers"}); err != nil {
				t.Fatal(err)
			}
			tr := e.finish()
			flushDefault(t)
			for _, s := range defaultCollector.Spans() {
				if s.Attributes[tracium.AttrFramework] == "langchaingo" && s.StartTime.After(tr.spans[0].StartTime) {
					t.Errorf("the default client got span %s %q while LangChain instrumentation is off", s.Type, s.Name)
				}
			}
			if e.modelCalls() != 2 {
				t.Fatalf("%d model calls, want 2", e.modelCalls())
			}
			if !tc.wireSpan {
				if len(tr.spans) != 1 {
					t.Fatalf("%d spans, want the run alone:\n%s", len(tr.spans), tr)
				}
				return
			}
			if len(tr.spans) != 2 {
				t.Fatalf("%d spans, want the run and the model call's own llm span:\n%s", len(tr.spans), tr)
			}
			s := tr.only(tracium.SpanLLM)
			if s.Name != "chat "+fakellm.OpenAIModel || s.ParentSpanID != e.run.SpanID() || s.Attributes[tracium.AttrFramework] != nil {
				t.Errorf("llm span %q under %s, framework %v: want the SDK's own %q under the run", s.Name, s.ParentSpanID,
					s.Attributes[tracium.AttrFramework], "chat "+fakellm.OpenAIModel)
			}
			if s.Usage == nil || *s.Usage != wireUsage || s.Model != fakellm.OpenAIAnswerModel {
				t.Errorf("llm span usage %+v model %q, want the wire's", s.Usage, s.Model)
			}
		})
	}
}
