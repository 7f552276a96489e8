package ui

import (
	"strings"
	"testing"
)

func TestChatMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		raw   string
		roles []string
		check func(t *testing.T, m []Message)
	}{
		{"openai list", `[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]`,
			[]string{"system", "user"}, func(t *testing.T, m []Message) {
				if m[1].Text != "What is this?" || m[1].Images != 1 {
					t.Errorf("user message %+v; want the text and one image reference", m[1])
				}
			}},
		{"openai request", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c1","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"42"}]}`,
			[]string{"user", "assistant", "tool"}, func(t *testing.T, m []Message) {
				if len(m[1].ToolCalls) != 1 || m[1].ToolCalls[0].Name != "f" || m[2].ToolCallID != "c1" || m[2].Text != "42" {
					t.Errorf("tool call and result not read: %+v", m)
				}
			}},
		{"openai completion", `{"choices":[{"message":{"role":"assistant","content":"Hello"}}]}`, []string{"assistant"}, nil},
		{"anthropic request", `{"system":"Be kind.","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"t1","name":"search","input":{"q":"x"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"found"}]}]}`,
			[]string{"system", "user", "assistant", "user"}, func(t *testing.T, m []Message) {
				if m[2].ToolCalls[0].Arguments != `{"q":"x"}` || m[3].ToolCallID != "t1" || m[3].Text != "found" {
					t.Errorf("anthropic tool use not read: %+v", m)
				}
			}},
		{"gemini request", `{"systemInstruction":{"parts":[{"text":"sys"}]},"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}}}]}]}`,
			[]string{"system", "user", "model"}, nil},
		{"gemini response", `{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]}}]}`, []string{"model"}, nil},
		{"single message", `{"role":"assistant","content":"ok"}`, []string{"assistant"}, nil},
		{"not a conversation", `{"question":"why"}`, nil, nil},
		{"a list of numbers", `[1,2]`, nil, nil},
		{"a string", `"hello"`, nil, nil},
		{"broken", `{"messages":[`, nil, nil},
		{"empty", ``, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := chatMessages([]byte(tc.raw))
			var roles []string
			for _, x := range m {
				roles = append(roles, x.Role)
			}
			if strings.Join(roles, ",") != strings.Join(tc.roles, ",") {
				t.Fatalf("roles %v, want %v", roles, tc.roles)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

func TestPrettyJSONCut(t *testing.T) {
	t.Parallel()
	raw := []byte(`{"a":"` + strings.Repeat("x", 1000) + `"}`)
	text, cut := prettyJSON(raw, 100)
	if !cut || len(text) != 100 {
		t.Errorf("cut %v at %d bytes", cut, len(text))
	}
	if text, cut := prettyJSON(raw, 0); cut || !strings.Contains(text, "\n") {
		t.Errorf("no limit: cut %v, indented %v", cut, strings.Contains(text, "\n"))
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/traces?status=error": "/traces?status=error",
		"https://evil.example": "/traces",
		"//evil.example/x":     "/traces",
		"":                     "/traces",
		"javascript:alert(1)":  "/traces",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
