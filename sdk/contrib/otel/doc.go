// Package traciumotel sends a program's OpenTelemetry spans to Tracium and
// nests them with Tracium's spans in one trace. One line, after
// tracium.Trace():
//
//	otel.SetTracerProvider(traciumotel.NewTracerProvider())
//
// or, on a TracerProvider the program already has (Genkit's, for one):
//
//	tracing.TracerProvider().RegisterSpanProcessor(traciumotel.NewSpanProcessor())
//
// What that gives:
//
//   - The spans go as OTLP to the default Tracium client's collector with
//     its API key, batched like the client's own, and the client's Flush
//     and Shutdown send them. The collector's OTLP mapping reads them (the
//     GenAI conventions, Genkit, OpenInference and others), so the bridge
//     holds no mapping of its own. A disabled client, or
//     tracium.WithAutoInstrumentOpenTelemetry(false), sends nothing.
//   - An OpenTelemetry span started under a Tracium span is its child, and
//     a Tracium span started under an OpenTelemetry span is its child; with
//     both in the context the one started last is the parent. Spans of
//     NewTracerProvider take the Tracium trace id; on another provider they
//     keep their ids and carry the markers tracium.trace_id and
//     tracium.parent_span_id, which the collector applies.
//   - An LLM client's own span of a call (anthropic-sdk-go v2 emits one)
//     and the span the SDK's transport records of the same HTTP exchange
//     are one span: the transport's, with the exact usage, time to first
//     token and payloads from the wire, in the OpenTelemetry span's place
//     (its id and parent); the OpenTelemetry span is not sent.
package traciumotel
