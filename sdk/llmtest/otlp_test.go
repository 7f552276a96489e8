package llmtest

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/genai"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/server/otlp"
	"github.com/tracium/tracium/server/pricing"
	"github.com/tracium/tracium/store"
)

// The same call, captured by the SDK and sent over OTLP by an
// OpenTelemetry instrumentation, is the same span: each call here is made
// with a real client against the wire-format fake and recorded by the
// SDK; the OTLP spans are what each convention's instrumentation records
// for that call (its attribute names and counting, as in their sources),
// mapped by server/otlp. Both are then priced by server/pricing, as the
// collector's writer prices spans, and must cost the same.

// otlpEmitter is one convention's record of a call.
type otlpEmitter struct {
	name   string
	span   string // the OTel span's name
	scope  string
	attrs  map[string]any
	events map[string]map[string]any
	// sameName: the convention names the span as the SDK does
	// ("chat gpt-4o"); requestModel: it records the model asked for;
	// askedOnly: it records only that one, not the dated model that
	// answered; ownFinish: it spells finish reasons its own way (the AI
	// SDK's "tool-calls", Genkit's "stop").
	sameName, requestModel, askedOnly, ownFinish bool
}

func TestOTLPMatchesSDK(t *testing.T) {
	t.Parallel()
	for _, call := range []struct {
		name     string
		record   func(t *testing.T) (store.Span, *fakeProvider)
		emitters func(f *fakeProvider) []otlpEmitter
	}{
		{"openai chat", recordOpenAIChat(nil), openAIEmitters},
		{"openai tool call", recordOpenAIChat([]fakellm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}), openAIToolEmitters},
		{"anthropic messages", recordAnthropic, anthropicEmitters},
		{"gemini generateContent", recordGemini, geminiEmitters},
	} {
		t.Run(call.name, func(t *testing.T) {
			t.Parallel()
			sdkSpan, fake := call.record(t)
			prices := pricing.Default()
			prices.Apply(&sdkSpan)
			if sdkSpan.CostUSD == nil || *sdkSpan.CostUSD <= 0 {
				t.Fatalf("the SDK's span has no cost: %+v", sdkSpan)
			}
			for _, e := range call.emitters(fake) {
				t.Run(e.name, func(t *testing.T) {
					s := mapEmitter(t, e)
					prices.Apply(&s)
					compareSpans(t, e, sdkSpan, s)
				})
			}
		})
	}
}

func compareSpans(t *testing.T, e otlpEmitter, want, got store.Span) {
	t.Helper()
	wantModel := want.Model
	if e.askedOnly {
		wantModel = want.RequestModel
	}
	if got.Type != want.Type || got.Model != wantModel || got.Provider != want.Provider {
		t.Errorf("type/model/provider = %s/%s/%s, the SDK's %s/%s/%s", got.Type, got.Model, got.Provider, want.Type, wantModel, want.Provider)
	}
	if e.sameName && got.Name != want.Name {
		t.Errorf("name = %q, the SDK's %q", got.Name, want.Name)
	}
	if e.requestModel && got.RequestModel != want.RequestModel {
		t.Errorf("request_model = %q, the SDK's %q", got.RequestModel, want.RequestModel)
	}
	if got.Usage == nil || *got.Usage != *want.Usage {
		t.Errorf("usage = %+v, the SDK's %+v", got.Usage, *want.Usage)
	}
	for _, side := range []struct {
		what      string
		got, want []byte
	}{{"input", got.Input, want.Input}, {"output", got.Output, want.Output}} {
		if g, w := canonicalChat(t, side.got, e.ownFinish), canonicalChat(t, side.want, e.ownFinish); g != w {
			t.Errorf("%s:\n got %s\nSDK's %s", side.what, g, w)
		}
	}
	if got.CostUSD == nil || *got.CostUSD != *want.CostUSD {
		t.Errorf("cost = %v, the SDK's %v", got.CostUSD, *want.CostUSD)
	}
}

// canonicalChat re-encodes a recorded chat, finish reasons left out when
// the emitter spells them its own way.
func canonicalChat(t *testing.T, raw []byte, noFinish bool) string {
	t.Helper()
	c, ok := tracium.ParseChat(raw)
	if !ok {
		t.Fatalf("not a recorded chat: %s", raw)
	}
	if noFinish {
		for i := range c.Messages {
			c.Messages[i].FinishReason = ""
		}
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// mapEmitter builds the emitter's OTLP span and maps it.
func mapEmitter(t *testing.T, e otlpEmitter) store.Span {
	t.Helper()
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	ss.Scope().SetName(e.scope)
	sp := ss.Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{1, 2, 3, 4})
	sp.SetSpanID(pcommon.SpanID{5, 6, 7, 8})
	sp.SetName(e.span)
	sp.SetKind(ptrace.SpanKindClient)
	now := time.Now()
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(300 * time.Millisecond)))
	if err := sp.Attributes().FromRaw(e.attrs); err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedKeys(e.events) {
		ev := sp.Events().AppendEmpty()
		ev.SetName(name[2:])
		if err := ev.Attributes().FromRaw(e.events[name]); err != nil {
			t.Fatal(err)
		}
	}
	spans, rejected := otlp.Map(td)
	if len(spans) != 1 {
		t.Fatalf("Map: %d spans, %v", len(spans), rejected)
	}
	s := spans[0]
	s.Normalize()
	if err := s.Validate(); err != nil {
		t.Fatalf("the store refuses the mapped span: %v", err)
	}
	return s
}

// Events are named "N:name" so that their order is kept.
func sortedKeys(m map[string]map[string]any) []string {
	var keys []string
	for i := 0; i < 10; i++ {
		for k := range m {
			if k[0] == byte('0'+i) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// sdkSpan waits for the test's one llm span and reads it as the
// collector stores it.
func sdkSpan(t *testing.T, b *testBundle) store.Span {
	t.Helper()
	data := onlySpan(t, b.finish(t), tracium.SpanLLM)
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	var s store.Span
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	s.Normalize()
	return s
}

func recordOpenAIChat(calls []fakellm.ToolCall) func(t *testing.T) (store.Span, *fakeProvider) {
	return func(t *testing.T) (store.Span, *fakeProvider) {
		opts := fakeOptions{}
		if calls != nil {
			opts.Replies = []fakellm.Reply{{ToolCalls: calls}}
		}
		b := setup(t, opts)
		oc := newOpenAI(b.fake.URL)
		if _, err := oc.Chat.Completions.New(b.ctx, openAIParams()); err != nil {
			t.Fatalf("New: %v", err)
		}
		return sdkSpan(t, b), b.fake
	}
}

func recordAnthropic(t *testing.T) (store.Span, *fakeProvider) {
	b := setup(t, fakeOptions{})
	ac := newAnthropic(b.fake.URL)
	if _, err := ac.Messages.New(b.ctx, anthropicParams()); err != nil {
		t.Fatalf("Messages.New: %v", err)
	}
	return sdkSpan(t, b), b.fake
}

func recordGemini(t *testing.T) (store.Span, *fakeProvider) {
	b := setup(t, fakeOptions{})
	gc := newGenAI(t, b.fake.URL)
	if _, err := gc.Models.GenerateContent(b.ctx, geminiModel, genai.Text(prompt), nil); err != nil {
		t.Fatalf("GenerateContent: %v", err)
	}
	return sdkSpan(t, b), b.fake
}

func merge(maps ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The request of openAIParams: a system and a user message.
func openAIEmitters(f *fakeProvider) []otlpEmitter {
	reply := f.Reply()
	genAI := map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
		"gen_ai.request.model": openAIModel, "gen_ai.response.model": openAIAnswerModel,
		"gen_ai.request.temperature": 0.2, "gen_ai.request.max_tokens": 64,
		"gen_ai.input.messages": js([]any{
			map[string]any{"role": "system", "parts": []any{map[string]any{"type": "text", "content": "Be brief."}}},
			map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": prompt}}}}),
		"gen_ai.output.messages": js([]any{map[string]any{"role": "assistant", "finish_reason": "stop",
			"parts": []any{map[string]any{"type": "text", "content": reply}}}}),
		"gen_ai.usage.input_tokens": openAIPrompt, "gen_ai.usage.output_tokens": openAICompletion,
		"gen_ai.usage.cache_read.input_tokens": openAICached, "gen_ai.usage.reasoning.output_tokens": openAIReasoning,
	}
	return []otlpEmitter{
		{name: "OpenTelemetry GenAI", span: "chat " + openAIModel, attrs: genAI, sameName: true, requestModel: true},
		{name: "OpenInference openai-go", span: "openai.chat.completions.create", attrs: map[string]any{
			"openinference.span.kind": "LLM", "llm.system": "openai", "llm.provider": "openai",
			"llm.model_name":                    openAIAnswerModel,
			"llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "Be brief.",
			"llm.input_messages.1.message.role": "user", "llm.input_messages.1.message.content": prompt,
			"input.value":                        prompt,
			"llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": reply,
			"llm.finish_reason": "stop", "output.value": reply,
			"llm.token_count.prompt": openAIPrompt, "llm.token_count.completion": openAICompletion, "llm.token_count.total": openAITotal,
			"llm.token_count.prompt_details.cache_read": openAICached, "llm.token_count.completion_details.reasoning": openAIReasoning,
		}},
		{name: "OpenLLMetry 0.54", span: "openai.chat", attrs: map[string]any{
			"llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": openAIModel, "gen_ai.response.model": openAIAnswerModel,
			"gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "Be brief.",
			"gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": prompt,
			"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": reply, "gen_ai.completion.0.finish_reason": "stop",
			"gen_ai.usage.prompt_tokens": openAIPrompt, "gen_ai.usage.completion_tokens": openAICompletion, "llm.usage.total_tokens": openAITotal,
			"gen_ai.usage.cache_read_input_tokens": openAICached, "gen_ai.usage.reasoning_tokens": openAIReasoning,
		}, requestModel: true},
		{name: "OpenTelemetry GenAI v1.28 events", span: "chat " + openAIModel, attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": openAIModel,
			"gen_ai.response.model": openAIAnswerModel, "gen_ai.response.finish_reasons": []any{"stop"},
			"gen_ai.usage.input_tokens": openAIPrompt, "gen_ai.usage.output_tokens": openAICompletion,
			"gen_ai.usage.cache_read.input_tokens": openAICached, "gen_ai.usage.reasoning.output_tokens": openAIReasoning,
		}, events: map[string]map[string]any{
			"0:gen_ai.system.message": {"gen_ai.system": "openai", "content": "Be brief."},
			"1:gen_ai.user.message":   {"gen_ai.system": "openai", "content": prompt},
			"2:gen_ai.choice":         {"gen_ai.system": "openai", "index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": reply}},
		}, sameName: true, requestModel: true},
	}
}

// The reply is one tool call with no text.
func openAIToolEmitters(*fakeProvider) []otlpEmitter {
	args := `{"city":"Paris"}`
	usage := map[string]any{"gen_ai.usage.input_tokens": openAIPrompt, "gen_ai.usage.output_tokens": openAICompletion,
		"gen_ai.usage.cache_read.input_tokens": openAICached, "gen_ai.usage.reasoning.output_tokens": openAIReasoning}
	input := js([]any{
		map[string]any{"role": "system", "parts": []any{map[string]any{"type": "text", "content": "Be brief."}}},
		map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": prompt}}}})
	return []otlpEmitter{
		{name: "OpenTelemetry GenAI", span: "chat " + openAIModel, attrs: merge(usage, map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": openAIModel, "gen_ai.response.model": openAIAnswerModel,
			"gen_ai.input.messages": input,
			"gen_ai.output.messages": js([]any{map[string]any{"role": "assistant", "finish_reason": "tool_calls",
				"parts": []any{map[string]any{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": map[string]any{"city": "Paris"}}}}}),
		}), sameName: true, requestModel: true},
		{name: "OpenInference openai-go", span: "openai.chat.completions.create", attrs: map[string]any{
			"openinference.span.kind": "LLM", "llm.provider": "openai", "llm.model_name": openAIAnswerModel,
			"llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "Be brief.",
			"llm.input_messages.1.message.role": "user", "llm.input_messages.1.message.content": prompt,
			"llm.output_messages.0.message.role":                                      "assistant",
			"llm.output_messages.0.message.tool_calls.0.tool_call.id":                 "call_1",
			"llm.output_messages.0.message.tool_calls.0.tool_call.function.name":      "get_weather",
			"llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": args,
			"llm.finish_reason":      "tool_calls",
			"llm.token_count.prompt": openAIPrompt, "llm.token_count.completion": openAICompletion,
			"llm.token_count.prompt_details.cache_read": openAICached, "llm.token_count.completion_details.reasoning": openAIReasoning,
		}},
		{name: "Vercel AI SDK 5", span: "ai.generateText.doGenerate", attrs: map[string]any{
			"ai.operationId": "ai.generateText.doGenerate", "ai.model.provider": "openai.chat", "ai.model.id": openAIModel,
			"ai.response.model": openAIAnswerModel, "gen_ai.system": "openai.chat", "gen_ai.request.model": openAIModel,
			"ai.prompt.messages": js([]any{map[string]any{"role": "system", "content": "Be brief."},
				map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": prompt}}}}),
			"ai.response.toolCalls":    js([]any{map[string]any{"toolCallId": "call_1", "toolName": "get_weather", "input": args}}),
			"ai.response.finishReason": "tool-calls",
			"ai.usage.inputTokens":     openAIPrompt, "ai.usage.outputTokens": openAICompletion, "ai.usage.totalTokens": openAITotal,
			"ai.usage.cachedInputTokens": openAICached, "ai.usage.reasoningTokens": openAIReasoning,
			"gen_ai.usage.input_tokens": openAIPrompt, "gen_ai.usage.output_tokens": openAICompletion,
		}, requestModel: true, ownFinish: true},
	}
}

// anthropicParams: system "Be brief." apart, one user message. The fake
// counts input 11, cache read 3, cache write 5, output 6.
func anthropicEmitters(f *fakeProvider) []otlpEmitter {
	reply := f.Reply()
	in := anthropicInput + anthropicCacheRead + anthropicCacheCreation
	return []otlpEmitter{
		{name: "OpenTelemetry GenAI", span: "chat " + anthropicModel, attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
			"gen_ai.request.model": anthropicModel, "gen_ai.response.model": anthropicAnswerModel,
			"gen_ai.system_instructions": js([]any{map[string]any{"type": "text", "content": "Be brief."}}),
			"gen_ai.input.messages":      js([]any{map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": prompt}}}}),
			"gen_ai.output.messages": js([]any{map[string]any{"role": "assistant", "finish_reason": "end_turn",
				"parts": []any{map[string]any{"type": "text", "content": reply}}}}),
			"gen_ai.usage.input_tokens": in, "gen_ai.usage.output_tokens": anthropicOutput,
			"gen_ai.usage.cache_read.input_tokens": anthropicCacheRead, "gen_ai.usage.cache_creation.input_tokens": anthropicCacheCreation,
		}, sameName: true, requestModel: true},
		{name: "OpenInference Python", span: "Messages", attrs: map[string]any{
			"openinference.span.kind": "LLM", "llm.provider": "anthropic", "llm.system": "anthropic", "llm.model_name": anthropicAnswerModel,
			"llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "Be brief.",
			"llm.input_messages.1.message.role": "user", "llm.input_messages.1.message.content": prompt,
			"llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": reply,
			"llm.token_count.prompt": in, "llm.token_count.completion": anthropicOutput, "llm.token_count.total": in + anthropicOutput,
			"llm.token_count.prompt_details.cache_read": anthropicCacheRead, "llm.token_count.prompt_details.cache_write": anthropicCacheCreation,
		}, ownFinish: true},
		{name: "OpenLLMetry 0.54", span: "anthropic.chat", attrs: map[string]any{
			"llm.request.type": "chat", "gen_ai.system": "Anthropic", "gen_ai.request.model": anthropicModel,
			"gen_ai.response.model": anthropicAnswerModel,
			"gen_ai.prompt.0.role":  "system", "gen_ai.prompt.0.content": "Be brief.",
			"gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": prompt,
			"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": reply, "gen_ai.completion.0.finish_reason": "end_turn",
			"gen_ai.usage.prompt_tokens": in, "gen_ai.usage.completion_tokens": anthropicOutput,
			"gen_ai.usage.cache_read_input_tokens": anthropicCacheRead, "gen_ai.usage.cache_creation_input_tokens": anthropicCacheCreation,
		}, requestModel: true},
		{name: "Vercel AI SDK 5", span: "ai.generateText.doGenerate", attrs: map[string]any{
			"ai.operationId": "ai.generateText.doGenerate", "ai.model.provider": "anthropic.messages", "ai.model.id": anthropicModel,
			"ai.response.model": anthropicAnswerModel, "gen_ai.system": "anthropic.messages",
			"ai.prompt.messages": js([]any{map[string]any{"role": "system", "content": "Be brief."},
				map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": prompt}}}}),
			"ai.response.text": reply, "ai.response.finishReason": "stop",
			"ai.usage.inputTokens": anthropicInput, "ai.usage.outputTokens": anthropicOutput,
			"ai.usage.totalTokens": anthropicInput + anthropicOutput, "ai.usage.cachedInputTokens": anthropicCacheRead,
			"ai.response.providerMetadata": `{"anthropic":{"cacheCreationInputTokens":` + strconv.Itoa(anthropicCacheCreation) + `}}`,
			"gen_ai.usage.input_tokens":    anthropicInput, "gen_ai.usage.output_tokens": anthropicOutput,
		}, requestModel: true, ownFinish: true},
	}
}

// genai.Text(prompt): one user content. The fake counts prompt 9 (2
// cached), candidates 5, thoughts 3.
func geminiEmitters(f *fakeProvider) []otlpEmitter {
	reply := f.Reply()
	return []otlpEmitter{
		{name: "ADK for Go", span: "generate_content " + geminiModel, scope: "gcp.vertex.agent", attrs: map[string]any{
			"gen_ai.operation.name": "generate_content", "gen_ai.request.model": geminiModel,
			"gcp.vertex.agent.invocation_id": "e-1", "gcp.vertex.agent.event_id": "ev-1",
			"gen_ai.response.finish_reasons": []any{"STOP"},
			"gen_ai.usage.input_tokens":      geminiPrompt, "gen_ai.usage.output_tokens": geminiCandidates + geminiThoughts,
			"gen_ai.usage.cache_read.input_tokens": geminiCached, "gen_ai.usage.reasoning.output_tokens": geminiThoughts,
		}, events: map[string]map[string]any{
			"0:gen_ai.user.message": {"content": map[string]any{"role": "user", "parts": []any{map[string]any{"text": prompt}}}},
			"1:gen_ai.choice": {"index": 0, "finish_reason": "STOP",
				"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": reply}}}},
		}, askedOnly: true},
		{name: "OpenTelemetry GenAI (google-genai)", span: "chat " + geminiModel, attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "gcp.gemini",
			"gen_ai.request.model": geminiModel, "gen_ai.response.model": geminiAnswerModel,
			"gen_ai.input.messages": js([]any{map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": prompt}}}}),
			"gen_ai.output.messages": js([]any{map[string]any{"role": "assistant", "finish_reason": "STOP",
				"parts": []any{map[string]any{"type": "text", "content": reply}}}}),
			"gen_ai.usage.input_tokens": geminiPrompt, "gen_ai.usage.output_tokens": geminiCandidates + geminiThoughts,
			"gen_ai.usage.cache_read.input_tokens": geminiCached, "gen_ai.usage.reasoning.output_tokens": geminiThoughts,
		}, sameName: true, requestModel: true},
		{name: "Genkit", span: "googleai/" + geminiModel, attrs: map[string]any{
			"genkit:type": "action", "genkit:metadata:subtype": "model", "genkit:name": "googleai/" + geminiModel,
			"genkit:input": js(map[string]any{"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"text": prompt}}}}}),
			"genkit:output": js(map[string]any{"message": map[string]any{"role": "model", "content": []any{map[string]any{"text": reply}}},
				"finishReason": "stop", "usage": map[string]any{"inputTokens": geminiPrompt, "outputTokens": geminiCandidates,
					"totalTokens": geminiTotal, "cachedContentTokens": geminiCached, "thoughtsTokens": geminiThoughts}}),
		}, requestModel: true, askedOnly: true, ownFinish: true},
		{name: "Vercel AI SDK 4", span: "ai.generateText.doGenerate", attrs: map[string]any{
			"ai.operationId": "ai.generateText.doGenerate", "ai.model.provider": "google.generative-ai", "ai.model.id": geminiModel,
			"ai.response.model":  geminiAnswerModel,
			"ai.prompt.messages": js([]any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": prompt}}}}),
			"ai.response.text":   reply, "ai.response.finishReason": "stop",
			"ai.usage.promptTokens": geminiPrompt, "ai.usage.completionTokens": geminiCandidates,
			"ai.usage.reasoningTokens": geminiThoughts, "ai.usage.cachedInputTokens": geminiCached,
		}, requestModel: true, ownFinish: true},
	}
}
