// What every script shares: a span processor that notes the ids of the
// spans the emitter ended, printed as one JSON line on stdout when the
// script is done, so that the Go test knows what was sent and can find
// each span in the collector's store.

import { diag, DiagConsoleLogger, DiagLogLevel } from "@opentelemetry/api";

// An export the collector refused or that failed is logged on stderr,
// which the Go test shows.
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

const ended = [];

/** A SpanProcessor that keeps the ids and names of ended spans. */
export const recorder = {
  onStart() {},
  onEnd(span) {
    const sc = span.spanContext();
    ended.push({
      name: span.name,
      trace_id: sc.traceId,
      span_id: sc.spanId,
      parent_span_id: span.parentSpanContext?.spanId ?? "",
    });
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};

/** Prints the spans ended so far and anything else the test needs. */
export function report(extra = {}) {
  process.stdout.write(JSON.stringify({ spans: ended, ...extra }) + "\n");
}
