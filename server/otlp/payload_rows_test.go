package otlp

import (
	"testing"

	"github.com/tracium/tracium/store"
)

// The input and output rows of the table test, in the order of
// inputRules and outputRules. Each row's span also carries the next
// rule's attributes where that makes sense; the first must win.

func chatRow(id string, o spanOpts, what string, want string, kept ...string) precedenceRow {
	return precedenceRow{id: id, span: o, check: func(t *testing.T, s store.Span) {
		raw := s.Input
		if what == "output" {
			raw = s.Output
		}
		wantChat(t, what, raw, want)
		for _, k := range kept {
			if _, ok := attrsOf(t, s)[k]; !ok {
				t.Errorf("the losing attribute %s is not kept", k)
			}
		}
	}}
}

func jsonRow(id string, o spanOpts, what string, want string, kept ...string) precedenceRow {
	return precedenceRow{id: id, span: o, check: func(t *testing.T, s store.Span) {
		raw := s.Input
		if what == "output" {
			raw = s.Output
		}
		if string(raw) != want {
			t.Errorf("%s = %s, want %s", what, raw, want)
		}
		for _, k := range kept {
			if _, ok := attrsOf(t, s)[k]; !ok {
				t.Errorf("the losing attribute %s is not kept", k)
			}
		}
	}}
}

const userHi = `{"messages":[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]}`

func payloadRows() []precedenceRow {
	chatSpan := func(attrs map[string]any, events ...eventOpts) spanOpts {
		attrs["gen_ai.operation.name"] = "chat"
		return spanOpts{name: "chat gpt-4o", attrs: attrs, events: events}
	}
	return []precedenceRow{
		chatRow("input 1", chatSpan(map[string]any{
			"gen_ai.system_instructions": `[{"type":"text","content":"Be brief."}]`,
			"gen_ai.input.messages":      `[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]`,
		}, eventOpts{name: "gen_ai.user.message", attrs: map[string]any{"content": "other"}}), "input",
			`{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},{"role":"user","parts":[{"type":"text","content":"Hi"}]}]}`,
			attrEvents),
		chatRow("input 2", chatSpan(map[string]any{"gen_ai.prompt": `[{"role":"user","content":"other"}]`},
			eventOpts{name: "gen_ai.system.message", attrs: map[string]any{"content": "Be brief."}},
			eventOpts{name: "gen_ai.user.message", attrs: map[string]any{"content": "Hi"}}), "input",
			`{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},{"role":"user","parts":[{"type":"text","content":"Hi"}]}]}`,
			"gen_ai.prompt"),
		chatRow("input 3", chatSpan(map[string]any{"gen_ai.prompt": `[{"role":"user","content":"Hi"}]`,
			"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "other"}), "input", userHi, "gen_ai.prompt.0.content"),
		chatRow("input 4", spanOpts{name: "openai.chat", attrs: map[string]any{"llm.request.type": "chat",
			"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Hi",
			"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": "other"}}, "input", userHi,
			"llm.input_messages.0.message.content"),
		chatRow("input 5", spanOpts{name: "ChatCompletion", attrs: map[string]any{"openinference.span.kind": "LLM",
			"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": "Hi",
			"ai.prompt.messages": `[{"role":"user","content":"other"}]`}}, "input", userHi, "ai.prompt.messages"),
		chatRow("input 6", spanOpts{name: "ai.generateText.doGenerate", attrs: map[string]any{"ai.operationId": "ai.generateText.doGenerate",
			"ai.prompt.messages": `[{"role":"user","content":[{"type":"text","text":"Hi"}]}]`,
			"ai.prompt":          `{"prompt":"other"}`}}, "input", userHi, "ai.prompt"),
		chatRow("input 7", spanOpts{name: "googleai/gemini-2.5-flash", attrs: map[string]any{"genkit:type": "action",
			"genkit:metadata:subtype": "model", "genkit:name": "googleai/gemini-2.5-flash",
			"genkit:input":                 `{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"config":{}}`,
			"gcp.vertex.agent.llm_request": `{"contents":[{"role":"user","parts":[{"text":"other"}]}]}`}}, "input", userHi,
			"gcp.vertex.agent.llm_request"),
		chatRow("input 8", spanOpts{name: "call_llm", attrs: map[string]any{"gen_ai.system": "gcp.vertex.agent",
			"gen_ai.request.model":         "gemini-2.5-flash",
			"gcp.vertex.agent.llm_request": `{"model":"gemini-2.5-flash","config":{"system_instruction":"Be brief."},"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}`,
			"input.value":                  "other"}}, "input",
			`{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},{"role":"user","parts":[{"type":"text","content":"Hi"}]}]}`,
			"input.value"),
		chatRow("input 9", spanOpts{name: "ai.embedMany.doEmbed", attrs: map[string]any{"ai.operationId": "ai.embedMany.doEmbed",
			"ai.values": []any{`"sunny day"`, `"rainy day"`}}}, "input",
			`{"messages":[{"role":"user","parts":[{"type":"text","content":"sunny day"},{"type":"text","content":"rainy day"}]}]}`),
		jsonRow("input 10", spanOpts{name: "execute_tool get_weather", attrs: map[string]any{"gen_ai.operation.name": "execute_tool",
			"gen_ai.tool.call.arguments": `{"location":"Paris"}`, "input.value": "other"}}, "input", `{"location":"Paris"}`, "input.value"),
		jsonRow("input 11", spanOpts{name: "RunnableSequence", attrs: map[string]any{"openinference.span.kind": "CHAIN",
			"input.value": `{"question":"Hi"}`, "input.mime_type": "application/json", "traceloop.entity.input": "other"}}, "input",
			`{"question":"Hi"}`, "traceloop.entity.input"),

		chatRow("output 1", chatSpan(map[string]any{
			"gen_ai.output.messages":         `[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}]`,
			"gen_ai.completion.0.content":    "other",
			"gen_ai.response.finish_reasons": []any{"length"},
		}), "output", `{"messages":[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}]}`,
			"gen_ai.completion.0.content"),
		chatRow("output 2", chatSpan(map[string]any{"gen_ai.completion": `[{"role":"assistant","content":"other"}]`},
			eventOpts{name: "gen_ai.choice", attrs: map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": "Hello"}}}), "output",
			`{"messages":[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}]}`, "gen_ai.completion"),
		chatRow("output 3", chatSpan(map[string]any{"gen_ai.completion": `[{"role":"assistant","content":"Hello"}]`,
			"gen_ai.response.finish_reasons": []any{"stop"}}), "output",
			`{"messages":[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}]}`),
		chatRow("output 4", spanOpts{name: "openai.chat", attrs: map[string]any{"llm.request.type": "chat",
			"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Hello", "gen_ai.completion.0.finish_reason": "stop",
			"llm.output_messages.0.message.content": "other"}}, "output",
			`{"messages":[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}]}`,
			"llm.output_messages.0.message.content"),
		chatRow("output 5", spanOpts{name: "ChatCompletion", attrs: map[string]any{"openinference.span.kind": "LLM",
			"llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": "Hello",
			"ai.response.text": "other"}}, "output", `{"messages":[{"role":"assistant","parts":[{"type":"text","content":"Hello"}]}]}`,
			"ai.response.text"),
		chatRow("output 6", spanOpts{name: "ai.generateText.doGenerate", attrs: map[string]any{"ai.operationId": "ai.generateText.doGenerate",
			"ai.response.text": "Hello", "ai.response.finishReason": "stop",
			"ai.response.toolCalls": `[{"toolCallId":"call_1","toolName":"get_weather","input":"{\"city\":\"Paris\"}"}]`}}, "output",
			`{"messages":[{"role":"assistant","parts":[{"type":"text","content":"Hello"},{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}],"finish_reason":"stop"}]}`),
		chatRow("output 7", spanOpts{name: "googleai/gemini-2.5-flash", attrs: map[string]any{"genkit:type": "action",
			"genkit:metadata:subtype": "model", "genkit:name": "googleai/gemini-2.5-flash",
			"genkit:output": `{"message":{"role":"model","content":[{"text":"Hello"}]},"finishReason":"stop"}`}}, "output",
			`{"messages":[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}]}`),
		chatRow("output 8", spanOpts{name: "call_llm", attrs: map[string]any{"gen_ai.system": "gcp.vertex.agent",
			"gcp.vertex.agent.llm_response": `{"content":{"role":"model","parts":[{"text":"Hello"}]},"finish_reason":"STOP"}`,
			"output.value":                  "other"}}, "output",
			`{"messages":[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"STOP"}]}`, "output.value"),
		jsonRow("output 9", spanOpts{name: "execute_tool get_weather", attrs: map[string]any{"gen_ai.operation.name": "execute_tool",
			"gen_ai.tool.call.result": map[string]any{"temp_c": 21}, "output.value": "other"}}, "output", `{"temp_c":21}`, "output.value"),
		jsonRow("output 10", spanOpts{name: "RunnableSequence", attrs: map[string]any{"openinference.span.kind": "CHAIN",
			"output.value": "Paris is the capital.", "output.mime_type": "text/plain"}}, "output", `"Paris is the capital."`),
	}
}
