// An application instrumented by hand with the OpenTelemetry API and the
// GenAI semantic conventions (v1.37+: messages as JSON attributes), run on
// @opentelemetry/sdk-trace-node and sent by the exporter given: an agent
// run that asks a model, runs the tool it asked for, and fails a second
// call. otel-proto.mjs and otel-json.mjs run it with the protobuf and the
// JSON OTLP/HTTP exporters.
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { recorder, report } from "./lib.mjs";

export async function run(exporter) {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": "support-bot", "service.version": "1.4.2" }),
    spanProcessors: [new BatchSpanProcessor(exporter), recorder],
  });
  provider.register();
  const tracer = provider.getTracer("support-bot.agent", "0.3.0");

  await tracer.startActiveSpan("invoke_agent support", {
    attributes: {
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "support",
      "gen_ai.conversation.id": "conv-42",
      "user.id": "user-7",
    },
  }, async (agent) => {
    await tracer.startActiveSpan("chat gpt-4o", {
      kind: SpanKind.CLIENT,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 256,
        "gen_ai.system_instructions": JSON.stringify([{ type: "text", content: "You answer about the weather." }]),
        "gen_ai.input.messages": JSON.stringify([
          { role: "user", parts: [{ type: "text", content: "Weather in Paris?" }] },
        ]),
      },
    }, async (chat) => {
      chat.setAttributes({
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.response.id": "chatcmpl-1",
        "gen_ai.response.finish_reasons": ["tool_call"],
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 7,
        "gen_ai.usage.cache_read.input_tokens": 4,
        "gen_ai.usage.reasoning.output_tokens": 2,
        "gen_ai.output.messages": JSON.stringify([{
          role: "assistant",
          parts: [{ type: "tool_call", id: "call_1", name: "get_weather", arguments: { city: "Paris" } }],
          finish_reason: "tool_call",
        }]),
      });
      chat.end();
    });

    await tracer.startActiveSpan("execute_tool get_weather", {
      attributes: {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": "call_1",
        "gen_ai.tool.call.arguments": JSON.stringify({ city: "Paris" }),
      },
    }, async (tool) => {
      tool.setAttribute("gen_ai.tool.call.result", JSON.stringify({ forecast: "sunny", celsius: 21 }));
      tool.end();
    });

    await tracer.startActiveSpan("chat gpt-4o", {
      kind: SpanKind.CLIENT,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
      },
    }, async (chat) => {
      const err = new Error("Rate limit reached for gpt-4o");
      err.name = "RateLimitError";
      chat.recordException(err);
      chat.setAttribute("error.type", "429");
      chat.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      chat.end();
    });
    agent.end();
  });

  await provider.shutdown();
  report();
}
