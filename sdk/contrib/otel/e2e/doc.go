// Package e2e runs the OpenTelemetry bridge end to end with real emitters
// against the real collector: anthropic-sdk-go v2's own OpenTelemetry
// spans beside the SDK's transport (one span per call), and otelhttp's
// server and client spans around and inside Tracium spans. The trace the
// collector stores must hold every span once, in one trace, nested as the
// program ran. A Genkit flow runs in ../genkite2e, a module of its own.
// The module has no code a program would import.
package e2e
