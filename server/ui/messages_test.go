package ui

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	tracium "github.com/tracium/tracium/sdk"
)

func TestChatMessages(t *testing.T) {
	t.Parallel()
	chat := tracium.Chat{Messages: []tracium.Message{
		tracium.TextMessage(tracium.RoleSystem, "Be brief."),
		{Role: tracium.RoleUser, Parts: []tracium.Part{
			tracium.TextPart("What is here?"),
			{Type: tracium.PartBlob, Modality: tracium.ModalityImage, MIMEType: "image/png", Size: 48 << 10},
			{Type: tracium.PartURI, Modality: tracium.ModalityImage, URI: "https://example.com/a.png"},
		}},
		{Role: tracium.RoleAssistant, FinishReason: "tool_calls", Parts: []tracium.Part{
			{Type: tracium.PartReasoning, Content: "The user wants a lookup."},
			tracium.ToolCallPart("call_1", "lookup", `{ "q": "Portugal" }`),
		}},
		{Role: tracium.RoleTool, Parts: []tracium.Part{tracium.ToolResultPart("call_1", "lookup", `"Lisbon"`)}},
		{Role: tracium.RoleAssistant, Parts: []tracium.Part{{Type: tracium.PartRefusal, Content: "I cannot."}, {Type: "web_search_call"}}},
	}}
	raw, _ := json.Marshal(chat)
	got := chatMessages(raw, 0)
	want := []Message{
		{Role: "system", Parts: []PartView{{Kind: "text", Text: "Be brief."}}},
		{Role: "user", Parts: []PartView{{Kind: "text", Text: "What is here?"},
			{Kind: "media", Label: "image · image/png · 48 KB"}, {Kind: "media", Label: "image · https://example.com/a.png"}}},
		{Role: "assistant", FinishReason: "tool_calls", Parts: []PartView{{Kind: "reasoning", Text: "The user wants a lookup."},
			{Kind: "tool_call", Text: `{"q":"Portugal"}`, ToolID: "call_1", ToolName: "lookup"}}},
		{Role: "tool", Parts: []PartView{{Kind: "tool_result", Text: "Lisbon", ToolID: "call_1", ToolName: "lookup"}}},
		{Role: "assistant", Parts: []PartView{{Kind: "refusal", Text: "I cannot."}, {Kind: "other", Label: "web_search_call"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("chatMessages =\n%+v\nwant\n%+v", got, want)
	}
	for _, notChat := range []string{`{"question":"Plan three days"}`, `[{"role":"user","content":"raw OpenAI"}]`, `"text"`, ``} {
		if m := chatMessages([]byte(notChat), 0); m != nil {
			t.Errorf("chatMessages(%s) = %v, want nil: only the recorded chat is read as messages", notChat, m)
		}
	}
}

func TestChatMessagesCut(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 40_000) // 80,000 bytes
	raw, _ := json.Marshal(tracium.Chat{Messages: []tracium.Message{tracium.TextMessage("assistant", long)}, Truncated: true})
	m := chatMessages(raw, rawLimit)
	p := m[0].Parts[0]
	if !p.Cut || len(p.Text) > rawLimit || !strings.HasPrefix(long, p.Text) {
		t.Errorf("a 80 KB text cut at 64 KB: cut=%v len=%d", p.Cut, len(p.Text))
	}
	if last := m[0].Parts[len(m[0].Parts)-1]; !strings.Contains(last.Label, "cut at the SDK's 1 MB limit") {
		t.Errorf("a truncated chat does not say so: %+v", m[0].Parts)
	}
	if full := chatMessages(raw, 0); full[0].Parts[0].Text != long {
		t.Errorf("the uncut view lost text")
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for c, want := range map[float64]string{0.0151: "$0.0151", 0.000445: "$0.000445", 0.5: "$0.50", 0.01: "$0.01",
		0.123456: "$0.123", 12.3456: "$12.35", 1234.5: "$1,234.50", 0: "–"} {
		if got := formatCost(c); got != want {
			t.Errorf("formatCost(%v) = %q, want %q", c, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 7544: "7,544", 18700: "18,700", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

// FuzzChatMessages: whatever a span's input holds, reading it neither
// panics nor takes more than one pass.
func FuzzChatMessages(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","parts":[{"type":"text","content":"hi"}]}]}`))
	f.Add([]byte(`{"messages":[{"role":"assistant","parts":[{"type":"tool_call","name":"x","arguments":{"a":[1,{"b":null}]}}]}],"truncated":true}`))
	f.Add([]byte(`{"messages":[{"role":"tool","parts":[{"type":"tool_call_response","response":"` + strings.Repeat(`\"`, 10) + `"}]}]}`))
	f.Add([]byte(`[{"role":"user"}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, m := range chatMessages(raw, 64) {
			for _, p := range m.Parts {
				if len(p.Text) > 64 {
					t.Fatalf("a part of %d bytes passed the 64-byte cut", len(p.Text))
				}
			}
		}
	})
}
