package tracium

import (
	"encoding/json"
	"testing"
)

func TestJSONValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"city":"Paris"}`: `{"city":"Paris"}`,
		` [1,2] `:          `[1,2]`,
		`{"city": "Par`:    `"{\"city\": \"Par"`,
		`sunny`:            `"sunny"`,
		``:                 ``,
	} {
		if got := string(JSONValue(in)); got != want {
			t.Errorf("JSONValue(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseChat(t *testing.T) {
	t.Parallel()
	c := Chat{Messages: []Message{
		TextMessage(RoleUser, "Weather in Paris?"),
		{Role: RoleAssistant, Parts: []Part{ToolCallPart("call_1", "get_weather", `{"city":"Paris"}`)}, FinishReason: "tool_calls"},
	}}
	raw, _ := json.Marshal(c)
	got, ok := ParseChat(raw)
	if !ok || len(got.Messages) != 2 || got.Messages[0].Text() != "Weather in Paris?" ||
		string(got.Messages[1].Parts[0].Arguments) != `{"city":"Paris"}` || got.Messages[1].FinishReason != "tool_calls" {
		t.Errorf("ParseChat(%s) = %+v, %v", raw, got, ok)
	}
	for _, notChat := range []string{`{"q":"x"}`, `[{"role":"user"}]`, `{"messages":"x"}`, `{"messages":[{"parts":[]}]}`, `"messages"`, ``} {
		if _, ok := ParseChat([]byte(notChat)); ok {
			t.Errorf("ParseChat(%s) is a chat", notChat)
		}
	}
}
