package otlp

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracium/tracium/store"
)

// One test per convention, with attribute sets as the emitters write
// them (their sources: opentelemetry semantic-conventions gen-ai, the
// openinference instrumentors, openllmetry's instrumentations, the AI
// SDK's otel package, genkit's go/core/tracing, adk-go's
// internal/telemetry).

// OpenTelemetry GenAI v1.37+: a tool round trip, messages as JSON strings.
func TestGenAIMessages(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "chat gpt-4o", kind: ptrace.SpanKindClient, attrs: map[string]any{
		"gen_ai.operation.name":      "chat",
		"gen_ai.provider.name":       "openai",
		"gen_ai.request.model":       "gpt-4o",
		"gen_ai.response.model":      "gpt-4o-2024-08-06",
		"gen_ai.response.id":         "chatcmpl-123",
		"gen_ai.system_instructions": `[{"type":"text","content":"You are terse."}]`,
		"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"},` +
			`{"type":"blob","modality":"image","mime_type":"image/png","content":"iVBORw0KGgo="}]},` +
			`{"role":"assistant","parts":[{"type":"tool_call","id":"call_VSPygqKTWdrhaFErNvMV18Yl","name":"get_weather","arguments":{"location":"Paris"}}]},` +
			`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_VSPygqKTWdrhaFErNvMV18Yl","result":"rainy, 57°F"}]}]`,
		"gen_ai.output.messages":               `[{"role":"assistant","parts":[{"type":"text","content":"It is rainy."}],"finish_reason":"stop"}]`,
		"gen_ai.usage.input_tokens":            120,
		"gen_ai.usage.output_tokens":           9,
		"gen_ai.usage.cache_read.input_tokens": 100,
		"gen_ai.response.time_to_first_chunk":  0.5,
		"gen_ai.conversation.id":               "conv_5j66UpCpwteGg4YSxUnt7lPY",
		"server.address":                       "api.openai.com",
	}})
	if s.Type != store.SpanLLM || s.Model != "gpt-4o-2024-08-06" || s.RequestModel != "gpt-4o" || s.Provider != "openai" {
		t.Errorf("type %s model %s/%s provider %s", s.Type, s.Model, s.RequestModel, s.Provider)
	}
	wantUsage(t, s, store.Usage{InputTokens: 120, OutputTokens: 9, CachedTokens: 100, TotalTokens: 129})
	wantChat(t, "input", s.Input, `{"messages":[`+
		`{"role":"system","parts":[{"type":"text","content":"You are terse."}]},`+
		`{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"},{"type":"blob","modality":"image","mime_type":"image/png","size":8}]},`+
		`{"role":"assistant","parts":[{"type":"tool_call","id":"call_VSPygqKTWdrhaFErNvMV18Yl","name":"get_weather","arguments":{"location":"Paris"}}]},`+
		`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_VSPygqKTWdrhaFErNvMV18Yl","response":"rainy, 57°F"}]}]}`)
	wantChat(t, "output", s.Output, `{"messages":[{"role":"assistant","parts":[{"type":"text","content":"It is rainy."}],"finish_reason":"stop"}]}`)
	if s.TimeToFirstTokenMS == nil || *s.TimeToFirstTokenMS != 500 || s.SessionID != "conv_5j66UpCpwteGg4YSxUnt7lPY" {
		t.Errorf("ttft %v session %q", s.TimeToFirstTokenMS, s.SessionID)
	}
	wantAttr(t, s, "server.address", "api.openai.com")
	wantAttr(t, s, "gen_ai.response.id", "chatcmpl-123")
	wantAttr(t, s, "gen_ai.input.messages", nil)
	wantAttr(t, s, "otel.span.kind", "client")
}

// The conventions prefer structured values; OTLP carries them as maps and
// arrays.
func TestGenAIStructuredMessages(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "chat", attrs: map[string]any{
		"gen_ai.operation.name": "chat",
		"gen_ai.input.messages": []any{map[string]any{"role": "user", "parts": []any{
			map[string]any{"type": "text", "content": "Hi"},
			map[string]any{"type": "uri", "modality": "image", "mime_type": "image/jpeg", "uri": "https://example.com/a.jpg"}}}},
		"gen_ai.output.messages": []any{map[string]any{"role": "assistant", "parts": []any{
			map[string]any{"type": "reasoning", "content": "greet back"},
			map[string]any{"type": "tool_call", "id": "c1", "name": "wave", "arguments": map[string]any{"times": 2}}}}},
		"gen_ai.response.finish_reasons": []any{"tool_calls"},
	}})
	wantChat(t, "input", s.Input, `{"messages":[{"role":"user","parts":[{"type":"text","content":"Hi"},`+
		`{"type":"uri","modality":"image","mime_type":"image/jpeg","uri":"https://example.com/a.jpg"}]}]}`)
	wantChat(t, "output", s.Output, `{"messages":[{"role":"assistant","parts":[{"type":"reasoning","content":"greet back"},`+
		`{"type":"tool_call","id":"c1","name":"wave","arguments":{"times":2}}],"finish_reason":"tool_calls"}]}`)
}

// The v1.28–v1.36 events, as Azure's SDKs put them on spans: the body as
// the JSON of gen_ai.event.content.
func TestGenAIEvents(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "chat gpt-4o", attrs: map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.system": "az.ai.inference", "gen_ai.request.model": "gpt-4o",
		"gen_ai.usage.prompt_tokens": 20, "gen_ai.usage.completion_tokens": 4,
	}, events: []eventOpts{
		{name: "gen_ai.system.message", attrs: map[string]any{"gen_ai.system": "az.ai.inference",
			"gen_ai.event.content": `{"role":"system","content":"You are terse."}`}},
		{name: "gen_ai.user.message", attrs: map[string]any{"gen_ai.event.content": `{"role":"user","content":"Weather?"}`}},
		{name: "gen_ai.choice", attrs: map[string]any{"gen_ai.event.content": `{"message":{"content":null,` +
			`"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
			`"finish_reason":"tool_calls","index":0}`}},
		{name: "custom.event", attrs: map[string]any{"k": "v"}},
	}})
	wantChat(t, "input", s.Input, `{"messages":[{"role":"system","parts":[{"type":"text","content":"You are terse."}]},`+
		`{"role":"user","parts":[{"type":"text","content":"Weather?"}]}]}`)
	wantChat(t, "output", s.Output, `{"messages":[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather",`+
		`"arguments":{"city":"Paris"}}],"finish_reason":"tool_calls"}]}`)
	wantUsage(t, s, store.Usage{InputTokens: 20, OutputTokens: 4, TotalTokens: 24})
	if s.Provider != "az.ai.inference" {
		t.Errorf("provider %q", s.Provider)
	}
	events, _ := attrsOf(t, s)[attrEvents].([]any)
	if len(events) != 1 || events[0].(map[string]any)["name"] != "custom.event" {
		t.Errorf("otel.events = %v, want only the event no rule read", events)
	}
}

// ADK for Go: no provider on its spans (its scope is gcp.vertex.agent),
// messages in log records whose body arrives as the event's attributes,
// Gemini contents; an execute_tool span with its own attributes.
func TestADKGo(t *testing.T) {
	t.Parallel()
	td := traces(t,
		spanOpts{name: "generate_content gemini-2.5-flash", attrs: map[string]any{
			"gen_ai.operation.name": "generate_content", "gen_ai.request.model": "gemini-2.5-flash",
			"gcp.vertex.agent.invocation_id": "e-1", "gcp.vertex.agent.event_id": "ev-1",
			"gen_ai.response.finish_reasons": []any{"STOP"},
			"gen_ai.usage.input_tokens":      9, "gen_ai.usage.output_tokens": 8,
			"gen_ai.usage.cache_read.input_tokens": 2, "gen_ai.usage.reasoning.output_tokens": 3,
		}, events: []eventOpts{
			{name: "gen_ai.system.message", attrs: map[string]any{"content": "you are helpful"}},
			{name: "gen_ai.user.message", attrs: map[string]any{"content": map[string]any{"role": "user", "parts": []any{map[string]any{"text": "hello"}}}}},
			{name: "gen_ai.choice", attrs: map[string]any{"index": 0, "content": map[string]any{"role": "model", "parts": []any{
				map[string]any{"functionCall": map[string]any{"name": "some_tool", "args": map[string]any{"arg1": "val1"}}}}}}},
		}},
		spanOpts{name: "execute_tool some_tool", attrs: map[string]any{
			"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "some_tool", "gen_ai.tool.description": "A sample tool.",
			"gen_ai.tool.call.id": "adk-1", "gcp.vertex.agent.tool_call_args": `{"arg1":"val1"}`,
			"gcp.vertex.agent.tool_response": `{"result":"processed val1"}`,
		}},
	)
	td.ResourceSpans().At(0).ScopeSpans().At(0).Scope().SetName("gcp.vertex.agent")
	spans, rejected := Map(td)
	if len(spans) != 2 || len(rejected) != 0 {
		t.Fatalf("%d spans, %v", len(spans), rejected)
	}
	llm, tool := spans[0], spans[1]
	if llm.Type != store.SpanLLM || llm.Provider != "google" || llm.Model != "gemini-2.5-flash" {
		t.Errorf("llm span: %s %s %s", llm.Type, llm.Provider, llm.Model)
	}
	wantUsage(t, llm, store.Usage{InputTokens: 9, OutputTokens: 8, CachedTokens: 2, ReasoningTokens: 3, TotalTokens: 17})
	wantChat(t, "input", llm.Input, `{"messages":[{"role":"system","parts":[{"type":"text","content":"you are helpful"}]},`+
		`{"role":"user","parts":[{"type":"text","content":"hello"}]}]}`)
	wantChat(t, "output", llm.Output, `{"messages":[{"role":"assistant","parts":[{"type":"tool_call","name":"some_tool",`+
		`"arguments":{"arg1":"val1"}}],"finish_reason":"STOP"}]}`)
	if tool.Type != store.SpanTool || string(tool.Input) != `{"arg1":"val1"}` || string(tool.Output) != `{"result":"processed val1"}` {
		t.Errorf("tool span: %s %s %s", tool.Type, tool.Input, tool.Output)
	}
	wantAttr(t, tool, "gen_ai.tool.name", "some_tool")
	wantAttr(t, tool, "gen_ai.tool.call.id", "adk-1")
}

// ADK for Python: call_llm with its request and response as JSON, in
// snake case.
func TestADKPython(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "call_llm", attrs: map[string]any{
		"gen_ai.system": "gcp.vertex.agent", "gen_ai.request.model": "gemini-2.0-flash",
		"gcp.vertex.agent.llm_request": `{"model":"gemini-2.0-flash","config":{"system_instruction":"Be brief.","tools":[]},` +
			`"contents":[{"role":"user","parts":[{"text":"Weather?"}]},` +
			`{"role":"model","parts":[{"function_call":{"id":"f1","name":"get_weather","args":{"city":"Paris"}}}]},` +
			`{"role":"user","parts":[{"function_response":{"id":"f1","name":"get_weather","response":{"temp_c":21}}}]}]}`,
		"gcp.vertex.agent.llm_response": `{"content":{"role":"model","parts":[{"text":"21 °C."}]},"finish_reason":"STOP",` +
			`"usage_metadata":{"prompt_token_count":30,"candidates_token_count":4}}`,
		"gen_ai.usage.input_tokens": 30, "gen_ai.usage.output_tokens": 4,
	}})
	if s.Type != store.SpanLLM || s.Provider != "google" {
		t.Errorf("type %s provider %q", s.Type, s.Provider)
	}
	wantChat(t, "input", s.Input, `{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},`+
		`{"role":"user","parts":[{"type":"text","content":"Weather?"}]},`+
		`{"role":"assistant","parts":[{"type":"tool_call","id":"f1","name":"get_weather","arguments":{"city":"Paris"}}]},`+
		`{"role":"tool","parts":[{"type":"tool_call_response","id":"f1","name":"get_weather","response":{"temp_c":21}}]}]}`)
	wantChat(t, "output", s.Output, `{"messages":[{"role":"assistant","parts":[{"type":"text","content":"21 °C."}],"finish_reason":"STOP"}]}`)
}

// OpenInference, as openinference-instrumentation-openai-go writes a
// chat completion with a tool round trip, and as the Python instrumentors
// write typed contents.
func TestOpenInference(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "openai.chat.completions.create", attrs: map[string]any{
		"openinference.span.kind": "LLM", "llm.system": "openai", "llm.provider": "openai", "llm.model_name": "gpt-4o-2024-08-06",
		"llm.invocation_parameters":                                               `{"model":"gpt-4o","temperature":0.2}`,
		"llm.input_messages.0.message.role":                                       "system",
		"llm.input_messages.0.message.content":                                    "Be brief.",
		"llm.input_messages.1.message.role":                                       "user",
		"llm.input_messages.1.message.contents.0.message_content.type":            "text",
		"llm.input_messages.1.message.contents.0.message_content.text":            "What is in this image?",
		"llm.input_messages.1.message.contents.1.message_content.type":            "image",
		"llm.input_messages.1.message.contents.1.message_content.image.image.url": "https://example.com/cat.png",
		"llm.input_messages.2.message.role":                                       "assistant",
		"llm.input_messages.2.message.tool_calls.0.tool_call.id":                  "call_1",
		"llm.input_messages.2.message.tool_calls.0.tool_call.function.name":       "lookup",
		"llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments":  `{"q":"cat"}`,
		"llm.input_messages.3.message.role":                                       "tool",
		"llm.input_messages.3.message.tool_call_id":                               "call_1",
		"llm.input_messages.3.message.content":                                    `{"found":true}`,
		"llm.output_messages.0.message.role":                                      "assistant",
		"llm.output_messages.0.message.content":                                   "A cat.",
		"input.value":                                                             "What is in this image?",
		"output.value":                                                            `{"id":"chatcmpl-1"}`,
		"output.mime_type":                                                        "application/json",
		"llm.token_count.prompt":                                                  40, "llm.token_count.completion": 3, "llm.token_count.total": 43,
		"session.id": "sess-1", "user.id": "user-1", "tag.tags": []any{"beta"}, "metadata": `{"tenant":"acme"}`,
	}})
	wantChat(t, "input", s.Input, `{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},`+
		`{"role":"user","parts":[{"type":"text","content":"What is in this image?"},{"type":"uri","modality":"image","uri":"https://example.com/cat.png"}]},`+
		`{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"lookup","arguments":{"q":"cat"}}]},`+
		`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":{"found":true}}]}]}`)
	wantChat(t, "output", s.Output, `{"messages":[{"role":"assistant","parts":[{"type":"text","content":"A cat."}]}]}`)
	// The model asked for is the invocation parameters'; llm.model_name
	// is the one that answered.
	if s.Model != "gpt-4o-2024-08-06" || s.RequestModel != "gpt-4o" || s.Provider != "openai" || s.SessionID != "sess-1" || s.UserID != "user-1" ||
		len(s.Tags) != 1 || string(s.Metadata) != `{"tenant":"acme"}` {
		t.Errorf("fields: %+v", s)
	}
	wantUsage(t, s, store.Usage{InputTokens: 40, OutputTokens: 3, TotalTokens: 43})
	wantAttr(t, s, "input.value", "What is in this image?")
	wantAttr(t, s, "output.mime_type", "application/json")
	wantAttr(t, s, "llm.invocation_parameters", `{"model":"gpt-4o","temperature":0.2}`)
	wantAttr(t, s, "llm.input_messages.0.message.role", nil)
}

// OpenLLMetry up to 0.54: flattened prompts and completions, capitalised
// system names, the deprecated usage names; for Anthropic, content as the
// JSON of its blocks.
func TestOpenLLMetry(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "anthropic.chat", attrs: map[string]any{
		"llm.request.type": "chat", "gen_ai.system": "Anthropic", "gen_ai.request.model": "claude-3-5-sonnet-latest",
		"gen_ai.response.model":             "claude-3-5-sonnet-20241022",
		"gen_ai.prompt.0.role":              "system",
		"gen_ai.prompt.0.content":           "Be brief.",
		"gen_ai.prompt.1.role":              "user",
		"gen_ai.prompt.1.content":           `[{"type":"text","text":"Weather?"}]`,
		"gen_ai.prompt.2.role":              "assistant",
		"gen_ai.prompt.2.content":           `[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]`,
		"gen_ai.prompt.3.role":              "user",
		"gen_ai.prompt.3.content":           `[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]`,
		"gen_ai.completion.0.role":          "assistant",
		"gen_ai.completion.0.content":       "Sunny.",
		"gen_ai.completion.0.finish_reason": "end_turn",
		"gen_ai.usage.prompt_tokens":        19, "gen_ai.usage.completion_tokens": 6,
		"gen_ai.usage.cache_read_input_tokens": 3, "gen_ai.usage.cache_creation_input_tokens": 5,
		"llm.usage.total_tokens": 25,
		"gen_ai.prompt.name":     "weather-v2",
	}})
	if s.Type != store.SpanLLM || s.Provider != "anthropic" || s.Model != "claude-3-5-sonnet-20241022" {
		t.Errorf("type %s provider %q model %q", s.Type, s.Provider, s.Model)
	}
	wantChat(t, "input", s.Input, `{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},`+
		`{"role":"user","parts":[{"type":"text","content":"Weather?"}]},`+
		`{"role":"assistant","parts":[{"type":"tool_call","id":"toolu_1","name":"get_weather","arguments":{"city":"Paris"}}]},`+
		`{"role":"tool","parts":[{"type":"tool_call_response","id":"toolu_1","response":"sunny"}]}]}`)
	wantChat(t, "output", s.Output, `{"messages":[{"role":"assistant","parts":[{"type":"text","content":"Sunny."}],"finish_reason":"end_turn"}]}`)
	wantUsage(t, s, store.Usage{InputTokens: 19, OutputTokens: 6, CachedTokens: 3, CacheCreationTokens: 5, TotalTokens: 25})
	wantAttr(t, s, "gen_ai.prompt.name", "weather-v2")

	// OpenAI tool calls flattened on a completion; a decorated workflow.
	s = mapOne(t, spanOpts{name: "openai.chat", attrs: map[string]any{
		"llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
		"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Weather?",
		"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls",
		"gen_ai.completion.0.tool_calls.0.id": "call_1", "gen_ai.completion.0.tool_calls.0.name": "get_weather",
		"gen_ai.completion.0.tool_calls.0.arguments": `{"city":"Paris"}`,
	}})
	wantChat(t, "output", s.Output, `{"messages":[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather",`+
		`"arguments":{"city":"Paris"}}],"finish_reason":"tool_calls"}]}`)
	s = mapOne(t, spanOpts{name: "joke_workflow.workflow", attrs: map[string]any{
		"traceloop.span.kind": "workflow", "traceloop.workflow.name": "joke_workflow", "traceloop.entity.name": "joke_workflow",
		"traceloop.entity.input": `{"args":[],"kwargs":{"topic":"cats"}}`, "traceloop.entity.output": `"A joke."`,
	}})
	if s.Type != store.SpanChain || string(s.Input) != `{"args":[],"kwargs":{"topic":"cats"}}` || string(s.Output) != `"A joke."` {
		t.Errorf("workflow: %s %s %s", s.Type, s.Input, s.Output)
	}

	// The session and the user as association properties
	// (withAssociationProperties), on every span under them.
	s = mapOne(t, spanOpts{name: "get_weather.tool", attrs: map[string]any{
		"traceloop.span.kind": "tool", "traceloop.entity.name": "get_weather",
		"traceloop.association.properties.session_id": "conv-42", "traceloop.association.properties.user_id": "user-7",
		"traceloop.association.properties.tenant": "acme",
	}})
	if s.SessionID != "conv-42" || s.UserID != "user-7" {
		t.Errorf("session %q user %q, want the association properties'", s.SessionID, s.UserID)
	}
	wantAttr(t, s, "traceloop.association.properties.tenant", "acme")
	// The tool is named by its entity, which stays.
	wantAttr(t, s, "gen_ai.tool.name", "get_weather")
	wantAttr(t, s, "traceloop.entity.name", "get_weather")
}

// The Vercel AI SDK's ai.* spans: a streamed provider call with an image,
// a tool round trip and AI SDK 6 usage; the generateText span around it;
// a tool call.
func TestVercelAISDK(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "ai.streamText.doStream", attrs: map[string]any{
		"operation.name": "ai.streamText.doStream weather-agent", "ai.operationId": "ai.streamText.doStream",
		"ai.model.provider": "openai.chat", "ai.model.id": "gpt-4o", "ai.response.model": "gpt-4o-2024-08-06",
		"ai.prompt.messages": `[{"role":"system","content":"Be brief."},` +
			`{"role":"user","content":[{"type":"text","text":"And here?"},{"type":"file","mediaType":"image/png","data":"iVBORw0KGgo="}]},` +
			`{"role":"assistant","content":[{"type":"tool-call","toolCallId":"call_1","toolName":"weather","input":{"city":"Paris"}}]},` +
			`{"role":"tool","content":[{"type":"tool-result","toolCallId":"call_1","toolName":"weather","output":{"type":"json","value":{"temp":21}}}]}]`,
		"ai.response.text": "21 °C.", "ai.response.finishReason": "stop", "ai.response.msToFirstChunk": 180.5,
		"ai.usage.inputTokens": 50, "ai.usage.outputTokens": 12, "ai.usage.totalTokens": 62,
		"ai.usage.inputTokenDetails.noCacheTokens": 10, "ai.usage.inputTokenDetails.cacheReadTokens": 40,
		"ai.usage.outputTokenDetails.reasoningTokens": 4, "ai.usage.outputTokenDetails.textTokens": 8,
		"gen_ai.system": "openai.chat", "gen_ai.request.model": "gpt-4o",
		"ai.telemetry.functionId": "weather-agent", "ai.telemetry.metadata.userId": "u-9",
	}})
	if s.Type != store.SpanLLM || s.Provider != "openai" || s.Model != "gpt-4o-2024-08-06" || s.RequestModel != "gpt-4o" {
		t.Errorf("type %s provider %q model %q/%q", s.Type, s.Provider, s.Model, s.RequestModel)
	}
	wantChat(t, "input", s.Input, `{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},`+
		`{"role":"user","parts":[{"type":"text","content":"And here?"},{"type":"blob","modality":"image","mime_type":"image/png","size":8}]},`+
		`{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"weather","arguments":{"city":"Paris"}}]},`+
		`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","name":"weather","response":{"temp":21}}]}]}`)
	wantChat(t, "output", s.Output, `{"messages":[{"role":"assistant","parts":[{"type":"text","content":"21 °C."}],"finish_reason":"stop"}]}`)
	wantUsage(t, s, store.Usage{InputTokens: 50, OutputTokens: 12, CachedTokens: 40, ReasoningTokens: 4, TotalTokens: 62})
	if s.TimeToFirstTokenMS == nil || *s.TimeToFirstTokenMS != 180.5 {
		t.Errorf("ttft %v", s.TimeToFirstTokenMS)
	}
	if s.UserID != "u-9" {
		t.Errorf("user_id %q, want the telemetry metadata's userId", s.UserID)
	}
	wantAttr(t, s, "ai.telemetry.functionId", "weather-agent")
	wantAttr(t, s, "ai.model.provider", "openai.chat") // a later source of the provider stays

	root := mapOne(t, spanOpts{name: "ai.streamText", attrs: map[string]any{
		"ai.operationId": "ai.streamText", "ai.model.provider": "openai.chat", "ai.model.id": "gpt-4o",
		"ai.prompt": `{"system":"Be brief.","prompt":"Weather in Paris?"}`, "ai.response.text": "21 °C.",
		"ai.usage.inputTokens": 90, "ai.usage.outputTokens": 20,
	}})
	if root.Type != store.SpanAgent || root.Usage != nil {
		t.Errorf("generateText span: type %s usage %+v (its sums count its steps twice)", root.Type, root.Usage)
	}
	wantAttr(t, root, "ai.usage.inputTokens", 90)
	wantChat(t, "input", root.Input, `{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},`+
		`{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]}`)

	tool := mapOne(t, spanOpts{name: "ai.toolCall", attrs: map[string]any{
		"ai.operationId": "ai.toolCall", "ai.toolCall.name": "weather", "ai.toolCall.id": "call_1",
		"ai.toolCall.args": `{"city":"Paris"}`, "ai.toolCall.result": `{"temp":21}`,
	}})
	if tool.Type != store.SpanTool || string(tool.Input) != `{"city":"Paris"}` || string(tool.Output) != `{"temp":21}` {
		t.Errorf("tool: %s %s %s", tool.Type, tool.Input, tool.Output)
	}
	wantAttr(t, tool, "gen_ai.tool.name", "weather")
	wantAttr(t, tool, "gen_ai.tool.call.id", "call_1")
}

// AI SDK 4 with Gemini: the provider's counts, thoughts apart.
func TestVercelAISDK4Gemini(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "ai.generateText.doGenerate", attrs: map[string]any{
		"ai.operationId": "ai.generateText.doGenerate", "ai.model.provider": "google.generative-ai", "ai.model.id": "gemini-2.5-flash",
		"ai.usage.promptTokens": 9, "ai.usage.completionTokens": 5, "ai.usage.reasoningTokens": 3,
	}})
	wantUsage(t, s, store.Usage{InputTokens: 9, OutputTokens: 8, ReasoningTokens: 3, TotalTokens: 17})
}

// Genkit: a model action with a tool round trip and media, a tool action,
// a flow.
func TestGenkit(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "googleai/gemini-2.5-flash", attrs: map[string]any{
		"genkit:type": "action", "genkit:metadata:subtype": "model", "genkit:name": "googleai/gemini-2.5-flash",
		"genkit:path":  "/{weatherFlow,t:flow}/{generate,t:util}/{googleai/gemini-2.5-flash,t:action,s:model}",
		"genkit:state": "success",
		"genkit:input": `{"messages":[{"role":"system","content":[{"text":"Be brief."}]},` +
			`{"role":"user","content":[{"text":"Weather here?"},{"media":{"url":"data:image/jpeg;base64,/9j/4AAQ","contentType":"image/jpeg"}}]},` +
			`{"role":"model","content":[{"toolRequest":{"ref":"r1","name":"getWeather","input":{"city":"Paris"}}}]},` +
			`{"role":"tool","content":[{"toolResponse":{"ref":"r1","name":"getWeather","output":"sunny"}}]}],"config":{"temperature":0.1}}`,
		"genkit:output": `{"message":{"role":"model","content":[{"reasoning":"It said sunny."},{"text":"Sunny."}]},"finishReason":"stop",` +
			`"usage":{"inputTokens":30,"outputTokens":2,"thoughtsTokens":4}}`,
	}})
	if s.Type != store.SpanLLM || s.Provider != "google" || s.Model != "gemini-2.5-flash" {
		t.Errorf("type %s provider %q model %q", s.Type, s.Provider, s.Model)
	}
	wantChat(t, "input", s.Input, `{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},`+
		`{"role":"user","parts":[{"type":"text","content":"Weather here?"},{"type":"blob","modality":"image","mime_type":"image/jpeg","size":6}]},`+
		`{"role":"assistant","parts":[{"type":"tool_call","id":"r1","name":"getWeather","arguments":{"city":"Paris"}}]},`+
		`{"role":"tool","parts":[{"type":"tool_call_response","id":"r1","name":"getWeather","response":"sunny"}]}]}`)
	wantChat(t, "output", s.Output, `{"messages":[{"role":"assistant","parts":[{"type":"reasoning","content":"It said sunny."},`+
		`{"type":"text","content":"Sunny."}],"finish_reason":"stop"}]}`)
	wantUsage(t, s, store.Usage{InputTokens: 30, OutputTokens: 6, ReasoningTokens: 4, TotalTokens: 36})
	wantAttr(t, s, "genkit:name", "googleai/gemini-2.5-flash")

	tool := mapOne(t, spanOpts{name: "getWeather", attrs: map[string]any{
		"genkit:type": "action", "genkit:metadata:subtype": "tool", "genkit:name": "getWeather",
		"genkit:input": `{"city":"Paris"}`, "genkit:output": `"sunny"`,
	}})
	if tool.Type != store.SpanTool || string(tool.Input) != `{"city":"Paris"}` || string(tool.Output) != `"sunny"` {
		t.Errorf("tool: %s %s %s", tool.Type, tool.Input, tool.Output)
	}
	wantAttr(t, tool, "gen_ai.tool.name", "getWeather")

	// Genkit Go 1.4 runs every tool as a tool.v2 action, whose output is a
	// MultipartToolResponse: the result is its output; with content parts
	// the whole response stays.
	for _, c := range []struct{ output, want string }{
		{`{"output":"sunny in Paris"}`, `"sunny in Paris"`},
		{`{"output":{"celsius":21},"content":[]}`, `{"celsius":21}`},
		{`{"output":"sunny","content":[{"text":"see the map"}]}`, `{"output":"sunny","content":[{"text":"see the map"}]}`},
		{`{"forecast":"sunny"}`, `{"forecast":"sunny"}`},
	} {
		tool := mapOne(t, spanOpts{name: "weather", attrs: map[string]any{
			"genkit:type": "action", "genkit:metadata:subtype": "tool.v2", "genkit:name": "weather",
			"genkit:input": `{"city":"Paris"}`, "genkit:output": c.output,
		}})
		if tool.Type != store.SpanTool || string(tool.Output) != c.want {
			t.Errorf("tool.v2 output %s: %s %s, want %s", c.output, tool.Type, tool.Output, c.want)
		}
	}

	flow := mapOne(t, spanOpts{name: "weatherFlow", attrs: map[string]any{
		"genkit:type": "action", "genkit:metadata:subtype": "flow", "genkit:name": "weatherFlow", "genkit:isRoot": true,
		"genkit:input": `"Paris"`, "genkit:output": `{"forecast":"sunny"}`,
	}})
	if flow.Type != store.SpanChain || string(flow.Input) != `"Paris"` || string(flow.Output) != `{"forecast":"sunny"}` {
		t.Errorf("flow: %s %s %s", flow.Type, flow.Input, flow.Output)
	}
}

// An HTTP server span keeps the attributes the SDK's web integrations
// record, under the same names.
func TestHTTPSpan(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "GET /users/{id}", kind: ptrace.SpanKindServer, resource: map[string]any{
		"service.name": "api", "service.version": "1.4.0", "host.name": "box-1", "process.pid": 42,
	}, attrs: map[string]any{
		"http.request.method": "GET", "http.route": "/users/{id}", "http.response.status_code": 200, "url.path": "/users/7",
	}})
	if s.Type != store.SpanHTTP {
		t.Errorf("type %s", s.Type)
	}
	for k, v := range map[string]any{"http.route": "/users/{id}", "http.response.status_code": 200, "service.name": "api",
		"service.version": "1.4.0", "otel.scope.name": "test.scope", "otel.scope.version": "1.2.3", "otel.span.kind": "server"} {
		wantAttr(t, s, k, v)
	}
	wantAttr(t, s, "host.name", nil)
}
