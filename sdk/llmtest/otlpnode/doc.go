// Package otlpnode runs Node's OpenTelemetry emitters against the real
// Tracium collector: the OpenTelemetry JS SDK with its protobuf and JSON
// OTLP/HTTP exporters, OpenLLMetry (@traceloop/node-server-sdk) and
// OpenInference (@arizeai/openinference-instrumentation-openai) around the
// openai npm client talking to the local fake OpenAI server, and the
// Vercel AI SDK's telemetry with its mock model. Each emitter is a script
// in testdata, installed from its committed lockfile by scripts/deps.sh;
// the tests check what the collector stored, field by field, on SQLite
// and on PostgreSQL. It has no non-test code.
package otlpnode
