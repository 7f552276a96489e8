// @opentelemetry/exporter-trace-otlp-proto: OTLP/HTTP with protobuf,
// configured only by the OTEL_EXPORTER_OTLP_* variables.
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { run } from "./genai-scenario.mjs";

await run(new OTLPTraceExporter());
