package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/store"
)

// TestAnthropicV2OneSpan: anthropic-sdk-go v2 emits its own GenAI span of
// every call through the global TracerProvider, and the SDK's transport
// records the same HTTP exchange. The collector must store one llm span
// per call, the transport's, in the OpenTelemetry span's place (its id,
// its parent), with the usage and cost the SDK-only path stores: plain and
// streamed.
func TestAnthropicV2OneSpan(t *testing.T) {
	b := setup(t)
	fake := fakellm.New(t, fakellm.Options{})
	ant := anthropic.NewClient(option.WithBaseURL(fake.URL+"/"), option.WithAPIKey("sk-ant-fake"))
	params := anthropic.MessageNewParams{
		Model:     fakellm.AnthropicModel,
		MaxTokens: 64,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello."))},
	}

	// run makes one call inside an agent run and returns the stored trace.
	run := func(t *testing.T, stream bool, opts ...option.RequestOption) (store.TraceDetail, string) {
		t.Helper()
		ctx, agent := b.client.AgentTrace(context.Background(), "writer")
		if stream {
			s := ant.Messages.NewStreaming(ctx, params, opts...)
			for s.Next() {
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			s.Close()
		} else if _, err := ant.Messages.New(ctx, params, opts...); err != nil {
			t.Fatal(err)
		}
		agent.End()
		b.flush(t)
		return b.c.WaitTrace(t, agent.TraceID(), 2, 10*time.Second), agent.SpanID()
	}

	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "message", true: "stream"}[stream]
		t.Run(name, func(t *testing.T) {
			// The SDK-only path: the client's own spans turned off.
			plain, _ := run(t, stream, option.WithoutOpenTelemetry())
			b.rec.Reset()
			both, agentID := run(t, stream)
			b.flush(t)
			// Whatever else reaches the collector arrives by now; the
			// trace must still be the agent and one llm span.
			time.Sleep(200 * time.Millisecond)
			both, _ = b.c.Store.GetTrace(context.Background(), b.c.ProjectID, both.Trace.TraceID)
			if len(both.Spans) != 2 {
				t.Fatalf("%d spans stored, want the agent and one llm span:\n%s", len(both.Spans), describe(both.Spans))
			}
			otelSpan := b.recorded(t, "anthropic.messages.create")
			llm := want(t, byName(t, both.Spans), "chat "+fakellm.AnthropicModel, store.SpanLLM, agentID)
			if llm.SpanID != otelSpan.SpanContext().SpanID().String() || llm.TraceID != otelSpan.SpanContext().TraceID().String() {
				t.Errorf("llm span %s in %s, want the OpenTelemetry span's id %s and trace %s", llm.SpanID, llm.TraceID,
					otelSpan.SpanContext().SpanID(), otelSpan.SpanContext().TraceID())
			}
			ref := byName(t, plain.Spans)["chat "+fakellm.AnthropicModel]
			wantUsage := store.Usage{InputTokens: fakellm.AnthropicInput + fakellm.AnthropicCacheRead + fakellm.AnthropicCacheCreation,
				OutputTokens: fakellm.AnthropicOutput, CachedTokens: fakellm.AnthropicCacheRead,
				CacheCreationTokens: fakellm.AnthropicCacheCreation, TotalTokens: fakellm.AnthropicTotal}
			for _, s := range []store.Span{ref, llm} {
				if s.Usage == nil || *s.Usage != wantUsage {
					t.Errorf("usage %+v, want %+v", s.Usage, wantUsage)
				}
				if s.Model != fakellm.AnthropicAnswerModel || s.RequestModel != fakellm.AnthropicModel || s.Provider != "anthropic" {
					t.Errorf("model %q request model %q provider %q", s.Model, s.RequestModel, s.Provider)
				}
				if s.CostUSD == nil || *s.CostUSD <= 0 {
					t.Errorf("cost %v, want the priced call", s.CostUSD)
				}
			}
			if *llm.CostUSD != *ref.CostUSD || string(llm.Output) != string(ref.Output) || string(llm.Input) != string(ref.Input) {
				t.Errorf("beside the SDK-only path: cost %v vs %v, output %s vs %s", *llm.CostUSD, *ref.CostUSD, llm.Output, ref.Output)
			}
			if stream && (llm.TimeToFirstTokenMS == nil || *llm.TimeToFirstTokenMS <= 0) {
				t.Errorf("streamed call without time to first token")
			}
		})
	}
}
