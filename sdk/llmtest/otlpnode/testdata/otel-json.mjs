// @opentelemetry/exporter-trace-otlp-http: OTLP/HTTP with JSON, configured
// only by the OTEL_EXPORTER_OTLP_* variables.
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { run } from "./genai-scenario.mjs";

await run(new OTLPTraceExporter());
