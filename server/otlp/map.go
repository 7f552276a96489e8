// Package otlp maps OpenTelemetry traces (OTLP) onto Tracium spans: the one
// mapping the collector's OTLP endpoints and the Go bridge share. It reads
// the GenAI semantic conventions and the conventions of the common emitters
// (OpenInference, OpenLLMetry, the Vercel AI SDK, Genkit, ADK) and writes
// spans in the recorded chat shape and token convention, as the SDK records
// them. docs/opentelemetry.md lists the rules.
package otlp

import (
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracium/tracium/store"
)

// Rejection names a span that was not mapped and why.
type Rejection struct {
	TraceID, SpanID string // hex, as sent ("" when unreadable)
	Reason          string
}

// Map turns the spans of one OTLP export into Tracium spans in the recorded
// shape and token convention. Spans it cannot map are returned as rejections
// (never a panic, whatever the input); the others are mapped regardless.
// Map is safe for concurrent use; it does not modify td.
func Map(td ptrace.Traces) (spans []store.Span, rejected []Rejection) {
	return nil, nil
}
