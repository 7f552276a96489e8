package traciumotel

import (
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// genAIOperation is the GenAI semantic conventions' attribute naming what
// a span's call to a model does.
const genAIOperation = "gen_ai.operation.name"

// isLLMCall reports whether s is an LLM client's own span of one call to a
// model, as the GenAI conventions describe it: a client span whose
// operation, known when it starts, is a model call (anthropic-sdk-go v2's
// "anthropic.messages.create" is one). The SDK's transport records the
// same call from the wire, and its span takes this one's place.
func isLLMCall(s sdktrace.ReadWriteSpan) bool {
	if s.SpanKind() != trace.SpanKindClient {
		return false
	}
	for _, kv := range s.Attributes() {
		if kv.Key == genAIOperation {
			switch kv.Value.AsString() {
			case "chat", "text_completion", "generate_content", "embeddings":
				return true
			}
			return false
		}
	}
	return false
}
