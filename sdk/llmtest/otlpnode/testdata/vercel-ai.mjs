// The Vercel AI SDK's telemetry (experimental_telemetry) with the SDK's
// own mock language model (ai/test), on @opentelemetry/sdk-trace-node as
// the global provider, exported with the protobuf OTLP/HTTP exporter
// configured by the OTEL_EXPORTER_OTLP_* variables. The mock answers as
// OpenAI's gpt-4o would: generateText with a tool loop (a tool call, the
// tool, the answer), streamText, and a generateText the model refuses.
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { APICallError, generateText, stepCountIs, streamText, tool } from "ai";
import { MockLanguageModelV3, simulateReadableStream } from "ai/test";
import { z } from "zod";
import { recorder, report } from "./lib.mjs";

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ "service.name": "support-bot" }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter()), recorder],
});
provider.register();

// The counts of the fake OpenAI server's answers: 12 prompt tokens, 4 of
// them read from the cache; 7 completion tokens, 2 of them reasoning.
const usage = {
  inputTokens: { total: 12, noCache: 8, cacheRead: 4, cacheWrite: undefined },
  outputTokens: { total: 7, text: 5, reasoning: 2 },
};
const response = { id: "chatcmpl-fake1", modelId: "gpt-4o-2024-08-06", timestamp: new Date(1700000000000) };
const telemetry = { isEnabled: true, functionId: "weather-chat", metadata: { sessionId: "conv-42", userId: "user-7" } };

const model = new MockLanguageModelV3({
  provider: "openai.chat",
  modelId: "gpt-4o",
  doGenerate: [
    {
      content: [{ type: "tool-call", toolCallId: "call_1", toolName: "get_weather", input: JSON.stringify({ city: "Paris" }) }],
      finishReason: { unified: "tool-calls", raw: "tool_calls" },
      usage, response, warnings: [],
    },
    {
      content: [{ type: "text", text: "It is sunny in Paris." }],
      finishReason: { unified: "stop", raw: "stop" },
      usage, response, warnings: [],
    },
  ],
  doStream: async () => ({
    stream: simulateReadableStream({
      initialDelayInMs: 5,
      chunkDelayInMs: 1,
      chunks: [
        { type: "stream-start", warnings: [] },
        { type: "response-metadata", ...response },
        { type: "text-start", id: "t1" },
        { type: "text-delta", id: "t1", delta: "Hello" },
        { type: "text-delta", id: "t1", delta: " from the fake model." },
        { type: "text-end", id: "t1" },
        { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage },
      ],
    }),
  }),
});

const weather = tool({
  description: "The weather in a city",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ forecast: "sunny", celsius: 21, city }),
});

const answer = await generateText({
  model,
  system: "You answer about the weather.",
  prompt: "Weather in Paris?",
  tools: { get_weather: weather },
  stopWhen: stepCountIs(2),
  temperature: 0.2,
  experimental_telemetry: telemetry,
});
if (answer.text !== "It is sunny in Paris.") throw new Error("generateText answered " + answer.text);

const stream = streamText({ model, prompt: "And tomorrow?", experimental_telemetry: telemetry });
if ((await stream.text) !== "Hello from the fake model.") throw new Error("streamText answered otherwise");

const refusing = new MockLanguageModelV3({
  provider: "openai.chat",
  modelId: "gpt-4o",
  doGenerate: async () => {
    throw new APICallError({
      message: "Rate limit reached for gpt-4o",
      url: "https://api.openai.com/v1/chat/completions",
      requestBodyValues: {},
      statusCode: 429,
      isRetryable: false,
    });
  },
});
await generateText({ model: refusing, prompt: "Once more?", maxRetries: 0, experimental_telemetry: telemetry })
  .then(() => { throw new Error("the refusing model answered"); }, () => {});

await provider.shutdown();
report();
