// OpenInference's openai instrumentation
// (@arizeai/openinference-instrumentation-openai) on
// @opentelemetry/sdk-trace-node, exported with the protobuf OTLP/HTTP
// exporter configured by the OTEL_EXPORTER_OTLP_* variables, with
// openinference-core's agent and tool wrappers and its session and user
// context. An agent asks for a tool, runs it, gets the answer, streams a
// follow-up and runs a tool that fails. (The instrumentation 4.2.7 ends no
// span for a call the API refuses, so the error is the tool's.)
import { context } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { setSession, setUser, traceAgent, traceTool } from "@arizeai/openinference-core";
import { OpenAIInstrumentation } from "@arizeai/openinference-instrumentation-openai";
import OpenAI from "openai";
import { recorder, report } from "./lib.mjs";

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ "service.name": "support-bot" }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter()), recorder],
});
provider.register();
const instrumentation = new OpenAIInstrumentation();
instrumentation.setTracerProvider(provider);
instrumentation.manuallyInstrument(OpenAI);

const openai = new OpenAI();
const tools = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
}];

const getWeather = traceTool(async ({ city }) => ({ forecast: "sunny", celsius: 21, city }), { name: "get_weather" });
const getForecast = traceTool(async () => { throw new Error("forecast service unavailable"); }, { name: "get_forecast" });

const agent = traceAgent(async (question) => {
  const messages = [
    { role: "system", content: "You answer about the weather." },
    { role: "user", content: question },
  ];
  const first = await openai.chat.completions.create({ model: "gpt-4o", messages, tools, temperature: 0.2 });
  const call = first.choices[0].message.tool_calls[0];
  const result = await getWeather(JSON.parse(call.function.arguments));
  messages.push(first.choices[0].message, { role: "tool", tool_call_id: call.id, content: JSON.stringify(result) });
  const second = await openai.chat.completions.create({ model: "gpt-4o", messages, tools });

  const stream = await openai.chat.completions.create({
    model: "gpt-4o",
    messages: [{ role: "user", content: "And tomorrow?" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const _ of stream) { /* read it all */ }
  await getForecast({ city: "Paris", days: 2 }).then(() => { throw new Error("the failing tool answered"); }, () => {});
  return second.choices[0].message.content;
}, { name: "weather-agent" });

await context.with(setUser(setSession(context.active(), { sessionId: "conv-42" }), { userId: "user-7" }), () => agent("Weather in Paris?"));

await provider.shutdown();
report();
