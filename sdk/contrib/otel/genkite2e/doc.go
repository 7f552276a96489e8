// Package genkite2e runs a Genkit (Go, v1.4) flow through the
// OpenTelemetry bridge to the real collector: Genkit's own spans of the
// flow, its generate loop, its model and its tool, with the Tracium spans
// inside and around them, must be stored as one trace, nested as the
// program ran, with the model calls as llm spans (usage, cost, the
// recorded chat). It is a module of its own, outside go.work: Genkit's
// dependencies cannot share a build with anthropic-sdk-go v2's
// (invopop/jsonschema v0.13 beside v0.14), so scripts/test.sh runs it with
// GOWORK=off. The module has no code a program would import.
package genkite2e
