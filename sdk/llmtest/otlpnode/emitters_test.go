package otlpnode

import (
	"testing"

	"github.com/tracium/tracium/internal/collectortest"
	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/store"
)

// The conversation every openai script has with the fake: the model asks
// for the weather tool, then answers; a streamed follow-up gets the
// fake's default words.
const (
	system    = "You answer about the weather."
	question  = "Weather in Paris?"
	reply     = "It is sunny in Paris."
	followUp  = "And tomorrow?"
	toolJSON  = `{"forecast":"sunny","celsius":21}`
	session   = "conv-42"
	user      = "user-7"
	askedFor  = fakellm.OpenAIModel
	answering = fakellm.OpenAIAnswerModel
)

// newFake starts the fake OpenAI server with the scripted tool loop and
// returns the variables that point the openai npm client at it.
func newFake(t *testing.T) []string {
	t.Helper()
	f := fakellm.New(t, fakellm.Options{Replies: []fakellm.Reply{
		{ToolCalls: []fakellm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
		{Text: reply},
	}})
	return []string{"OPENAI_BASE_URL=" + f.URL + "/v1", "OPENAI_API_KEY=sk-fake"}
}

// openAIUsage is what the fake reports for each call, in Tracium's token
// convention: 12 prompt tokens (4 read from the cache), 7 completion
// tokens (2 of them reasoning).
func openAIUsage() *store.Usage {
	return &store.Usage{InputTokens: fakellm.OpenAIPrompt, OutputTokens: fakellm.OpenAICompletion,
		CachedTokens: fakellm.OpenAICached, ReasoningTokens: fakellm.OpenAIReasoning, TotalTokens: fakellm.OpenAITotal}
}

func firstCallInput() tracium.Chat {
	return chat(tracium.TextMessage(tracium.RoleSystem, system), tracium.TextMessage(tracium.RoleUser, question))
}

// TestOpenTelemetryJSExporters: an application instrumented by hand with
// the OpenTelemetry JS API and the GenAI conventions, on
// @opentelemetry/sdk-trace-node, sent by the protobuf and by the JSON
// OTLP/HTTP exporters, which read nothing but the README's
// OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS (the key
// URL-encoded). Both encodings store the same spans.
func TestOpenTelemetryJSExporters(t *testing.T) {
	t.Parallel()
	for _, script := range []string{"otel-proto.mjs", "otel-json.mjs"} {
		t.Run(script, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, c *collectortest.Collector) {
				e := runNode(t, script, otlpEnv(c)...)
				got, traces := stored(t, c, e)
				if len(traces) != 1 {
					t.Errorf("spans in %d traces, want one", len(traces))
				}
				sameTree(t, e, got)
				agent := one(t, e, got, "invoke_agent support")
				if agent.ParentSpanID != "" {
					t.Errorf("agent span has parent %s, want none", agent.ParentSpanID)
				}
				scope := map[string]any{"service.name": "support-bot", "service.version": "1.4.2", "otel.scope.name": "support-bot.agent", "otel.scope.version": "0.3.0"}
				check(t, "agent", agent, want{typ: store.SpanAgent, agent: "support", session: session, user: user, attrs: scope})
				chats := named(e, "chat gpt-4o")
				if len(chats) != 2 {
					t.Fatalf("%d chat spans emitted, want 2", len(chats))
				}
				check(t, "chat", got[chats[0].SpanID], want{
					typ: store.SpanLLM, model: answering, requestModel: askedFor, provider: "openai", usage: openAIUsage(),
					input:  firstCallInput(),
					output: chat(answer("tool_call", tracium.ToolCallPart("call_1", "get_weather", `{"city":"Paris"}`))),
					attrs: map[string]any{"temperature": 0.2, "max_tokens": 256, "gen_ai.response.id": "chatcmpl-1",
						"gen_ai.response.finish_reasons": []string{"tool_call"}, "otel.span.kind": "client"},
				})
				check(t, "tool", one(t, e, got, "execute_tool get_weather"), want{
					typ: store.SpanTool, input: map[string]any{"city": "Paris"}, output: map[string]any{"forecast": "sunny", "celsius": 21},
					attrs: map[string]any{"gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "call_1"},
				})
				failed := got[chats[1].SpanID]
				check(t, "failed chat", failed, want{
					typ: store.SpanLLM, model: askedFor, requestModel: askedFor, provider: "openai",
					status: store.StatusError, errorType: "RateLimitError", errorMessage: "Rate limit reached for gpt-4o",
					attrs: map[string]any{"error.type": "429"},
				})
				if failed.Attributes == nil || !containsJSON(failed.Attributes, "exception.stacktrace") {
					t.Errorf("failed chat: no exception.stacktrace in %s", failed.Attributes)
				}
			})
		})
	}
}

// TestOpenLLMetry: @traceloop/node-server-sdk around the openai npm client
// against the fake, sent as Traceloop documents for any OTLP backend
// (TRACELOOP_BASE_URL and TRACELOOP_HEADERS). A workflow with association
// properties for the session and the user holds two calls of a tool loop,
// the tool and a streamed call.
func TestOpenLLMetry(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, c *collectortest.Collector) {
		e := runNode(t, "traceloop.mjs", append(newFake(t),
			"TRACELOOP_BASE_URL="+c.URL, "TRACELOOP_HEADERS=Authorization=Bearer "+c.APIKey)...)
		got, traces := stored(t, c, e)
		if len(traces) != 1 || len(e.Spans) != 5 {
			t.Fatalf("%d spans in %d traces, want the workflow, three calls and the tool in one", len(e.Spans), len(traces))
		}
		sameTree(t, e, got)
		workflow := one(t, e, got, "weather_chat.workflow")
		for _, s := range e.Spans {
			if s.SpanID != workflow.SpanID && s.ParentSpanID != workflow.SpanID {
				t.Errorf("%s %q is not under the workflow", s.SpanID, s.Name)
			}
		}
		check(t, "workflow", workflow, want{typ: store.SpanChain, session: session, user: user,
			input: map[string]any{"args": []any{}, "kwargs": map[string]any{}}, output: []string{reply, "Hello from the fake model."}})
		check(t, "tool", one(t, e, got, "get_weather.tool"), want{typ: store.SpanTool, session: session, user: user,
			input: map[string]any{"args": []any{}, "kwargs": map[string]any{}}, output: map[string]any{"forecast": "sunny", "celsius": 21},
			attrs: map[string]any{"gen_ai.tool.name": "get_weather"}})
		calls := named(e, "chat gpt-4o")
		if len(calls) != 3 {
			t.Fatalf("%d chat spans, want 3", len(calls))
		}
		// OpenLLMetry 0.27 reports OpenAI's prompt and completion tokens,
		// not the cached and reasoning parts.
		usage := &store.Usage{InputTokens: fakellm.OpenAIPrompt, OutputTokens: fakellm.OpenAICompletion, TotalTokens: fakellm.OpenAITotal}
		check(t, "first call", got[calls[0].SpanID], want{
			typ: store.SpanLLM, model: answering, requestModel: askedFor, provider: "openai", usage: usage, session: session, user: user,
			input:  firstCallInput(),
			output: chat(answer("tool_call", tracium.ToolCallPart("call_1", "get_weather", `{"city":"Paris"}`))),
			attrs:  map[string]any{"temperature": 0.2, "gen_ai.response.id": "chatcmpl-fake1"},
		})
		check(t, "second call", got[calls[1].SpanID], want{
			typ: store.SpanLLM, model: answering, requestModel: askedFor, provider: "openai", usage: usage, session: session, user: user,
			input:  chat(tracium.TextMessage(tracium.RoleSystem, system), tracium.TextMessage(tracium.RoleUser, question), toolCall(), toolResult("", toolJSON)),
			output: chat(answer("stop", tracium.TextPart(reply))),
		})
		// For a stream it counts the text itself with tiktoken (its
		// enrichTokens default) and sends that, not the usage chunk.
		check(t, "streamed call", got[calls[2].SpanID], want{
			typ: store.SpanLLM, model: answering, requestModel: askedFor, provider: "openai", session: session, user: user,
			usage:  &store.Usage{InputTokens: 3, OutputTokens: 6, TotalTokens: 9},
			input:  chat(tracium.TextMessage(tracium.RoleUser, followUp)),
			output: chat(answer("stop", tracium.TextPart("Hello from the fake model."))),
		})
	})
}

// TestOpenInference: @arizeai/openinference-instrumentation-openai around
// the openai npm client against the fake, with openinference-core's agent
// and tool wrappers and its session and user context, sent by the
// protobuf exporter the OTEL_EXPORTER_OTLP_* variables configure.
func TestOpenInference(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, c *collectortest.Collector) {
		e := runNode(t, "openinference.mjs", append(newFake(t), otlpEnv(c)...)...)
		got, traces := stored(t, c, e)
		if len(traces) != 1 || len(e.Spans) != 6 {
			t.Fatalf("%d spans in %d traces, want the agent, three calls and two tools in one", len(e.Spans), len(traces))
		}
		sameTree(t, e, got)
		agent := one(t, e, got, "weather-agent")
		for _, s := range e.Spans {
			if s.SpanID != agent.SpanID && s.ParentSpanID != agent.SpanID {
				t.Errorf("%s %q is not under the agent", s.SpanID, s.Name)
			}
		}
		check(t, "agent", agent, want{typ: store.SpanAgent, session: session, user: user, input: question, output: reply})
		check(t, "tool", one(t, e, got, "get_weather"), want{typ: store.SpanTool, session: session, user: user,
			input: map[string]any{"city": "Paris"}, output: map[string]any{"forecast": "sunny", "celsius": 21, "city": "Paris"}})
		check(t, "failed tool", one(t, e, got, "get_forecast"), want{typ: store.SpanTool, session: session, user: user,
			status: store.StatusError, errorType: "Error", errorMessage: "forecast service unavailable",
			input: map[string]any{"city": "Paris", "days": 2}})
		calls := named(e, "OpenAI Chat Completions")
		if len(calls) != 3 {
			t.Fatalf("%d chat spans, want 3", len(calls))
		}
		// OpenInference records the model that answered (llm.model_name is
		// overwritten with it), not the one asked for.
		check(t, "first call", got[calls[0].SpanID], want{
			typ: store.SpanLLM, model: answering, requestModel: askedFor, provider: "openai", usage: openAIUsage(), session: session, user: user,
			input:  firstCallInput(),
			output: chat(answer("tool_calls", tracium.ToolCallPart("call_1", "get_weather", `{"city":"Paris"}`))),
		})
		check(t, "second call", got[calls[1].SpanID], want{
			typ: store.SpanLLM, model: answering, requestModel: askedFor, provider: "openai", usage: openAIUsage(), session: session, user: user,
			input: chat(tracium.TextMessage(tracium.RoleSystem, system), tracium.TextMessage(tracium.RoleUser, question), toolCall(),
				toolResult("", `{"forecast":"sunny","celsius":21,"city":"Paris"}`)),
			output: chat(answer("stop", tracium.TextPart(reply))),
		})
		// Of a stream, 4.2.7 records the text and the model asked for, and
		// no usage.
		check(t, "streamed call", got[calls[2].SpanID], want{
			typ: store.SpanLLM, model: askedFor, requestModel: askedFor, provider: "openai", session: session, user: user,
			input:  chat(tracium.TextMessage(tracium.RoleUser, followUp)),
			output: chat(answer("stop", tracium.TextPart("Hello from the fake model."))),
		})
	})
}

// TestVercelAISDK: the AI SDK's experimental_telemetry with its own mock
// model (ai/test's MockLanguageModelV3) answering as gpt-4o: a
// generateText tool loop, a streamText and a generateText that fails, with
// the session and the user in the telemetry metadata.
func TestVercelAISDK(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, c *collectortest.Collector) {
		e := runNode(t, "vercel-ai.mjs", otlpEnv(c)...)
		got, traces := stored(t, c, e)
		if len(traces) != 3 || len(e.Spans) != 8 {
			t.Fatalf("%d spans in %d traces, want the tool loop's four, the stream's two and the failure's two", len(e.Spans), len(traces))
		}
		sameTree(t, e, got)
		by := func(name string, i int) store.Span {
			t.Helper()
			s := named(e, name)
			if len(s) <= i {
				t.Fatalf("%d spans named %q, want more than %d", len(s), name, i)
			}
			return got[s[i].SpanID]
		}
		loop := by("ai.generateText", 0)
		common := func(w want) want {
			w.session, w.user = session, user
			return w
		}
		check(t, "generateText", loop, common(want{typ: store.SpanAgent, model: askedFor, requestModel: askedFor, provider: "openai",
			input:  firstCallInput(),
			output: chat(answer("stop", tracium.TextPart(reply))),
			attrs:  map[string]any{"ai.telemetry.functionId": "weather-chat"},
		}))
		first, second := by("ai.generateText.doGenerate", 0), by("ai.generateText.doGenerate", 1)
		tool := by("ai.toolCall", 0)
		for _, s := range []store.Span{first, tool, second} {
			if s.ParentSpanID != loop.SpanID {
				t.Errorf("%q %s is not under generateText", s.Name, s.SpanID)
			}
		}
		check(t, "first call", first, common(want{typ: store.SpanLLM, model: answering, requestModel: askedFor, provider: "openai", usage: openAIUsage(),
			input:  firstCallInput(),
			output: chat(answer("tool-calls", tracium.ToolCallPart("call_1", "get_weather", `{"city":"Paris"}`))),
			attrs:  map[string]any{"temperature": 0.2},
		}))
		check(t, "tool", tool, common(want{typ: store.SpanTool,
			input: map[string]any{"city": "Paris"}, output: map[string]any{"forecast": "sunny", "celsius": 21, "city": "Paris"},
			attrs: map[string]any{"gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "call_1"},
		}))
		check(t, "second call", second, common(want{typ: store.SpanLLM, model: answering, requestModel: askedFor, provider: "openai", usage: openAIUsage(),
			input: chat(tracium.TextMessage(tracium.RoleSystem, system), tracium.TextMessage(tracium.RoleUser, question), toolCall(),
				toolResult("get_weather", `{"forecast":"sunny","celsius":21,"city":"Paris"}`)),
			output: chat(answer("stop", tracium.TextPart(reply))),
		}))
		streamed := by("ai.streamText", 0)
		check(t, "streamText", streamed, common(want{typ: store.SpanAgent, model: askedFor, requestModel: askedFor, provider: "openai",
			input: chat(tracium.TextMessage(tracium.RoleUser, followUp)), output: chat(answer("stop", tracium.TextPart("Hello from the fake model.")))}))
		doStream := by("ai.streamText.doStream", 0)
		if doStream.ParentSpanID != streamed.SpanID {
			t.Errorf("doStream %s is not under streamText", doStream.SpanID)
		}
		check(t, "streamed call", doStream, common(want{typ: store.SpanLLM, model: answering, requestModel: askedFor, provider: "openai", usage: openAIUsage(), ttft: true,
			input: chat(tracium.TextMessage(tracium.RoleUser, followUp)), output: chat(answer("stop", tracium.TextPart("Hello from the fake model.")))}))
		refused, refusedCall := by("ai.generateText", 1), by("ai.generateText.doGenerate", 2)
		if refusedCall.ParentSpanID != refused.SpanID {
			t.Errorf("the refused call %s is not under its generateText", refusedCall.SpanID)
		}
		for name, s := range map[string]store.Span{"refused generateText": refused, "refused call": refusedCall} {
			check(t, name, s, common(want{typ: s.Type, model: askedFor, requestModel: askedFor, provider: "openai",
				status: store.StatusError, errorType: "AI_APICallError", errorMessage: "Rate limit reached for gpt-4o",
				input: chat(tracium.TextMessage(tracium.RoleUser, "Once more?"))}))
		}
		if refused.Type != store.SpanAgent || refusedCall.Type != store.SpanLLM {
			t.Errorf("refused spans typed %s and %s, want agent and llm", refused.Type, refusedCall.Type)
		}
	})
}
