package traciumlangchaingo

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tmc/langchaingo/llms"
	tracium "github.com/tracium/tracium/sdk"
)

func TestInputChat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []llms.MessageContent
		want string
	}{
		{"roles", []llms.MessageContent{
			llms.TextParts(llms.ChatMessageTypeSystem, "Be brief."),
			llms.TextParts(llms.ChatMessageTypeHuman, "Hi"),
			llms.TextParts(llms.ChatMessageTypeGeneric, "Also hi"),
			llms.TextParts(llms.ChatMessageTypeAI, "Hello"),
		}, `{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},{"role":"user","parts":[{"type":"text","content":"Hi"}]},` +
			`{"role":"user","parts":[{"type":"text","content":"Also hi"}]},{"role":"assistant","parts":[{"type":"text","content":"Hello"}]}]}`},
		{"tool call and its result", []llms.MessageContent{
			{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{llms.ToolCall{ID: "call_1", Type: "function", FunctionCall: &llms.FunctionCall{Name: "search", Arguments: `{"q":"otters"}`}}}},
			{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{llms.ToolCallResponse{ToolCallID: "call_1", Name: "search", Content: "fish"}}},
			{Role: llms.ChatMessageTypeFunction, Parts: []llms.ContentPart{llms.ToolCallResponse{Name: "calc", Content: "5"}}},
		}, `{"messages":[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"search","arguments":{"q":"otters"}}]},` +
			`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","name":"search","response":"fish"}]},` +
			`{"role":"tool","parts":[{"type":"tool_call_response","name":"calc","response":5}]}]}`},
		{"media are references, never payloads", []llms.MessageContent{{Role: llms.ChatMessageTypeHuman, Parts: []llms.ContentPart{
			llms.ImageURLContent{URL: "https://example.com/otter.png"},
			llms.ImageURLContent{URL: "data:image/png;base64,aGVsbG8="},
			llms.BinaryContent{MIMEType: "audio/wav", Data: []byte("RIFF....")},
			llms.BinaryContent{MIMEType: "application/pdf", Data: []byte("%PDF")},
		}}}, `{"messages":[{"role":"user","parts":[{"type":"uri","modality":"image","uri":"https://example.com/otter.png"},` +
			`{"type":"blob","modality":"image","mime_type":"image/png","size":8},{"type":"blob","modality":"audio","mime_type":"audio/wav","size":8},` +
			`{"type":"blob","modality":"document","mime_type":"application/pdf","size":4}]}]}`},
		{"a tool call without a function is left out", []llms.MessageContent{{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{llms.ToolCall{ID: "x"}}}},
			`{"messages":[{"role":"assistant","parts":[]}]}`},
		{"no messages", nil, `{"messages":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _ := json.Marshal(inputChat(tc.in))
			if string(got) != tc.want {
				t.Errorf("inputChat =\n  %s\nwant\n  %s", got, tc.want)
			}
			if _, ok := tracium.ParseChat(got); !ok && len(tc.in) > 0 {
				t.Errorf("not a recorded chat: %s", got)
			}
		})
	}
}

func TestOutputChat(t *testing.T) {
	t.Parallel()
	res := &llms.ContentResponse{Choices: []*llms.ContentChoice{
		{Content: "Fish.", ReasoningContent: "Otters are mustelids.", StopReason: "stop"},
		{StopReason: "tool_calls", ToolCalls: []llms.ToolCall{{ID: "call_1", FunctionCall: &llms.FunctionCall{Name: "search", Arguments: "{bad json"}}}},
		{StopReason: "function_call", FuncCall: &llms.FunctionCall{Name: "calc", Arguments: `{"x":1}`}},
		nil,
		{StopReason: "length"},
	}}
	got, _ := json.Marshal(outputChat(res))
	want := `{"messages":[{"role":"assistant","parts":[{"type":"reasoning","content":"Otters are mustelids."},{"type":"text","content":"Fish."}],"finish_reason":"stop"},` +
		`{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"search","arguments":"{bad json"}],"finish_reason":"tool_calls"},` +
		`{"role":"assistant","parts":[{"type":"tool_call","name":"calc","arguments":{"x":1}}],"finish_reason":"function_call"},` +
		`{"role":"assistant","parts":[],"finish_reason":"length"}]}`
	if string(got) != want {
		t.Errorf("outputChat =\n  %s\nwant\n  %s", got, want)
	}
}

// The text one chat records is bounded; past the bound it says so.
func TestChatTextIsBounded(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("é", maxRecordedText/3)
	c := inputChat([]llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, big, big), llms.TextParts(llms.ChatMessageTypeHuman, big)})
	n := 0
	for _, m := range c.Messages {
		n += len(m.Text()) - strings.Count(m.Text(), "\n")
	}
	if !c.Truncated || n > maxRecordedText || n < maxRecordedText-2 {
		t.Errorf("recorded %d bytes of text, truncated %t; want at most %d and truncated", n, c.Truncated, maxRecordedText)
	}
	if small := inputChat([]llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "hi")}); small.Truncated {
		t.Error("a short chat marked truncated")
	}
}
