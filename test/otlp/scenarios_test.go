package otlp

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// ids are the hex ids of the spans a scenario made, by role.
type ids struct {
	trace                         string
	root, llm, tool, failed, leaf string
}

func spanIDs(root, llm, tool, failed, leaf trace.Span) ids {
	id := func(s trace.Span) string {
		if s == nil {
			return ""
		}
		return s.SpanContext().SpanID().String()
	}
	return ids{root.SpanContext().TraceID().String(), id(root), id(llm), id(tool), id(failed), id(leaf)}
}

// The chat of the GenAI scenario, as gen_ai.input.messages and
// gen_ai.output.messages carry it (semantic conventions v1.41).
const (
	genAIInput  = `[{"role":"system","parts":[{"type":"text","content":"You are terse."}]},{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]`
	genAIOutput = `[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}],"finish_reason":"tool_calls"}]`
)

// genAITrace records, with the OpenTelemetry SDK, an agent run as an
// application instrumented with the GenAI semantic conventions does: the
// agent span, an OpenAI chat call that asks for a tool, the tool's
// execution, and a chat call that failed.
func genAITrace(r *recorder) ids {
	tr := r.tp.Tracer("genai-app")
	start := time.Now().Add(-time.Minute)
	ctx, root := tr.Start(context.Background(), "invoke_agent researcher", trace.WithTimestamp(start), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "invoke_agent"),
		attribute.String("gen_ai.agent.name", "researcher"),
		attribute.String("gen_ai.conversation.id", "conv-7"),
		attribute.String("user.id", "user-42"),
	))
	_, llm := tr.Start(ctx, "chat gpt-4o-mini", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start.Add(10*time.Millisecond)), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", "openai"),
		attribute.String("gen_ai.request.model", "gpt-4o-mini"),
		attribute.String("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
		attribute.Int("gen_ai.usage.input_tokens", 1200),
		attribute.Int("gen_ai.usage.output_tokens", 80),
		attribute.Int("gen_ai.usage.cache_read.input_tokens", 1024),
		attribute.String("gen_ai.input.messages", genAIInput),
		attribute.String("gen_ai.output.messages", genAIOutput),
	))
	llm.End(trace.WithTimestamp(start.Add(800 * time.Millisecond)))
	_, tool := tr.Start(ctx, "execute_tool get_weather", trace.WithTimestamp(start.Add(810*time.Millisecond)), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "execute_tool"),
		attribute.String("gen_ai.tool.name", "get_weather"),
		attribute.String("gen_ai.tool.call.id", "call_1"),
	))
	tool.End(trace.WithTimestamp(start.Add(900 * time.Millisecond)))
	_, failed := tr.Start(ctx, "chat gpt-4o-mini", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start.Add(910*time.Millisecond)), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", "openai"),
		attribute.String("gen_ai.request.model", "gpt-4o-mini"),
		attribute.String("error.type", "rate_limit_exceeded"),
	))
	failed.RecordError(RateLimitError{"429 Too Many Requests: rate limit reached for gpt-4o-mini"})
	failed.SetStatus(codes.Error, "rate limit reached for gpt-4o-mini")
	failed.End(trace.WithTimestamp(start.Add(950 * time.Millisecond)))
	root.End(trace.WithTimestamp(start.Add(time.Second)))
	return spanIDs(root, llm, tool, failed, nil)
}

// RateLimitError is the error a provider client returns past its rate.
type RateLimitError struct{ msg string }

func (e RateLimitError) Error() string { return e.msg }

// openInferenceTrace records an agent run as OpenInference's
// instrumentations (Arize Phoenix) record one: flattened message
// attributes, llm.token_count.*, openinference.span.kind, and a retriever
// under a chain.
func openInferenceTrace(r *recorder) ids {
	tr := r.tp.Tracer("openinference.instrumentation.openai")
	start := time.Now().Add(-time.Minute)
	ctx, root := tr.Start(context.Background(), "Agent", trace.WithTimestamp(start), trace.WithAttributes(
		attribute.String("openinference.span.kind", "AGENT"),
		attribute.String("input.value", "Weather in Paris?"),
		attribute.String("output.value", "Sunny, 21 °C."),
		attribute.String("session.id", "sess-9"),
		attribute.String("user.id", "user-7"),
	))
	chainCtx, chain := tr.Start(ctx, "RetrievalChain", trace.WithTimestamp(start.Add(5*time.Millisecond)), trace.WithAttributes(
		attribute.String("openinference.span.kind", "CHAIN"),
	))
	_, leaf := tr.Start(chainCtx, "retrieve", trace.WithTimestamp(start.Add(6*time.Millisecond)), trace.WithAttributes(
		attribute.String("openinference.span.kind", "RETRIEVER"),
		attribute.String("input.value", "Paris weather"),
	))
	leaf.End(trace.WithTimestamp(start.Add(20 * time.Millisecond)))
	chain.End(trace.WithTimestamp(start.Add(21 * time.Millisecond)))
	_, llm := tr.Start(ctx, "ChatCompletion", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start.Add(30*time.Millisecond)), trace.WithAttributes(
		attribute.String("openinference.span.kind", "LLM"),
		attribute.String("llm.model_name", "gpt-4o-mini"),
		attribute.String("llm.provider", "openai"),
		attribute.String("llm.system", "openai"),
		attribute.Int("llm.token_count.prompt", 50),
		attribute.Int("llm.token_count.completion", 10),
		attribute.Int("llm.token_count.total", 60),
		attribute.String("llm.input_messages.0.message.role", "system"),
		attribute.String("llm.input_messages.0.message.content", "You are terse."),
		attribute.String("llm.input_messages.1.message.role", "user"),
		attribute.String("llm.input_messages.1.message.content", "Weather in Paris?"),
		attribute.String("llm.output_messages.0.message.role", "assistant"),
		attribute.String("llm.output_messages.0.message.content", "Sunny, 21 °C."),
	))
	llm.End(trace.WithTimestamp(start.Add(700 * time.Millisecond)))
	_, tool := tr.Start(ctx, "get_weather", trace.WithTimestamp(start.Add(710*time.Millisecond)), trace.WithAttributes(
		attribute.String("openinference.span.kind", "TOOL"),
		attribute.String("tool.name", "get_weather"),
		attribute.String("input.value", `{"city":"Paris"}`),
	))
	tool.SetStatus(codes.Error, "weather service unreachable")
	tool.End(trace.WithTimestamp(start.Add(750 * time.Millisecond)))
	root.End(trace.WithTimestamp(start.Add(time.Second)))
	return ids{trace: root.SpanContext().TraceID().String(), root: root.SpanContext().SpanID().String(),
		llm: llm.SpanContext().SpanID().String(), tool: tool.SpanContext().SpanID().String(),
		failed: tool.SpanContext().SpanID().String(), leaf: leaf.SpanContext().SpanID().String()}
}
