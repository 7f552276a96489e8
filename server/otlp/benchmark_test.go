package otlp

import (
	"encoding/json"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracium/tracium/store"
)

// benchSpan is a GenAI chat span of about 1 KB of messages, as an
// OpenTelemetry GenAI instrumentation records one call.
func benchSpan(b *testing.B) ptrace.Traces {
	question := strings.Repeat("What is the weather in Paris today? ", 12)
	answer := strings.Repeat("It is sunny and 21 degrees. ", 12)
	return traces(b, spanOpts{name: "chat gpt-4o", kind: ptrace.SpanKindClient,
		resource: map[string]any{"service.name": "agent", "host.name": "box-1", "telemetry.sdk.language": "go"},
		attrs: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
			"gen_ai.response.id": "chatcmpl-123", "gen_ai.response.finish_reasons": []any{"stop"},
			"gen_ai.request.temperature": 0.2, "gen_ai.request.max_tokens": 256,
			"gen_ai.system_instructions": `[{"type":"text","content":"You are a terse assistant."}]`,
			"gen_ai.input.messages":      `[{"role":"user","parts":[{"type":"text","content":"` + question + `"}]}]`,
			"gen_ai.output.messages":     `[{"role":"assistant","parts":[{"type":"text","content":"` + answer + `"}],"finish_reason":"stop"}]`,
			"gen_ai.usage.input_tokens":  120, "gen_ai.usage.output_tokens": 80, "gen_ai.usage.cache_read.input_tokens": 64,
			"gen_ai.conversation.id": "conv-1", "server.address": "api.openai.com", "server.port": 443,
		}})
}

// BenchmarkMap maps the span, beside two peers on the same span: pdata's
// own JSON encoding of the export (the least a re-encoding costs), and
// the decoding /v1/ingest does of the Tracium span the mapping gives
// (json.Unmarshal into store.Span, what the native path pays per span).
func BenchmarkMap(b *testing.B) {
	td := benchSpan(b)
	spans, _ := Map(td)
	native, _ := json.Marshal(spans[0])
	b.Logf("OTLP protobuf %d bytes, Tracium JSON %d bytes", (&ptrace.ProtoMarshaler{}).TracesSize(td), len(native))

	b.Run("otlp.Map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			spans, rejected := Map(td)
			if len(spans) != 1 || rejected != nil {
				b.Fatal(rejected)
			}
		}
	})
	b.Run("peer=ptrace.JSONMarshaler", func(b *testing.B) {
		b.ReportAllocs()
		var m ptrace.JSONMarshaler
		for b.Loop() {
			if _, err := m.MarshalTraces(td); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("peer=ingest.json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s store.Span
			if err := json.Unmarshal(native, &s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
