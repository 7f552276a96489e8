// OpenLLMetry's Node SDK (@traceloop/node-server-sdk) around the openai
// client, configured as Traceloop documents for any OTLP backend
// (TRACELOOP_BASE_URL, TRACELOOP_HEADERS). The openai client finds the
// fake provider through OPENAI_BASE_URL. A workflow with a session and a
// user asks for a tool, runs it, gets the answer and streams a follow-up.
// (OpenLLMetry 0.27 ends no span for a call or an entity that fails, so
// there is no error to send.)
import * as traceloop from "@traceloop/node-server-sdk";
import OpenAI from "openai";
import { recorder, report } from "./lib.mjs";

traceloop.initialize({
  appName: "support-bot",
  disableBatch: true,
  instrumentModules: { openAI: OpenAI },
  processor: recorder,
  silenceInitializationMessage: true,
});

const openai = new OpenAI();
const tools = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
}];

await traceloop.withAssociationProperties({ session_id: "conv-42", user_id: "user-7" }, () =>
  traceloop.withWorkflow({ name: "weather_chat" }, async () => {
    const messages = [
      { role: "system", content: "You answer about the weather." },
      { role: "user", content: "Weather in Paris?" },
    ];
    const first = await openai.chat.completions.create({ model: "gpt-4o", messages, tools, temperature: 0.2 });
    const call = first.choices[0].message.tool_calls[0];
    const result = await traceloop.withTool({ name: "get_weather" }, async () => ({ forecast: "sunny", celsius: 21 }));
    messages.push(first.choices[0].message, { role: "tool", tool_call_id: call.id, content: JSON.stringify(result) });
    const second = await openai.chat.completions.create({ model: "gpt-4o", messages, tools });

    const stream = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "And tomorrow?" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
    return [second.choices[0].message.content, streamed];
  }));

await traceloop.forceFlush();
report();
