// Package otlp tests the collector's OTLP endpoints with real OpenTelemetry
// emitters: the OpenTelemetry Go SDK's OTLP exporters (HTTP with
// protobuf, HTTP with JSON, gRPC) and an exporter that sends the SDK's own
// spans as OTLP JSON the way the JavaScript and Python http/json
// exporters do. It is its own module so that the collector's module does
// not depend on the OpenTelemetry SDK.
package otlp
