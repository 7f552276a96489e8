package estimate

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/store"
)

// cookbookMessages are the openai-cookbook's example for counting chat
// tokens ("How to count tokens with tiktoken"), whose prompt_tokens the
// OpenAI API reported as 129 for gpt-3.5-turbo and gpt-4 and 124 for
// gpt-4o and gpt-4o-mini.
func cookbookMessages() []tracium.Message {
	named := func(name, text string) tracium.Message {
		return tracium.Message{Role: tracium.RoleSystem, Name: name, Parts: []tracium.Part{tracium.TextPart(text)}}
	}
	return []tracium.Message{
		tracium.TextMessage(tracium.RoleSystem, "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."),
		named("example_user", "New synergies will help drive top-line growth."),
		named("example_assistant", "Things working well together will increase revenue."),
		named("example_user", "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."),
		named("example_assistant", "Let's talk later when we're less busy about how to do better."),
		tracium.TextMessage(tracium.RoleUser, "This late pivot means we don't have time to boil the ocean for the client deliverable."),
	}
}

func TestCountPublished(t *testing.T) {
	t.Parallel()
	// The openai-cookbook's counts for cl100k_base (gpt-4) and o200k_base (gpt-4o).
	tests := []struct {
		text          string
		cl100k, o200k int64
	}{
		{"tiktoken is great!", 6, 6},
		{"antidisestablishmentarianism", 6, 6},
		{"2 + 2 = 4", 7, 7},
		{"お誕生日おめでとう", 9, 8},
		{"", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			if got := CounterFor("gpt-4").Count(tt.text); got != tt.cl100k {
				t.Errorf("cl100k_base count = %d, want %d", got, tt.cl100k)
			}
			if got := CounterFor("gpt-4o").Count(tt.text); got != tt.o200k {
				t.Errorf("o200k_base count = %d, want %d", got, tt.o200k)
			}
		})
	}
}

func TestCountChatPublished(t *testing.T) {
	t.Parallel()
	for model, want := range map[string]int64{
		"gpt-3.5-turbo": 129, "gpt-4-0613": 129, "gpt-4": 129,
		"gpt-4o": 124, "gpt-4o-mini": 124, "gpt-4o-2024-08-06": 124,
	} {
		u := CountChat(model, cookbookMessages(), nil)
		if u.InputTokens != want || u.OutputTokens != 0 || u.TotalTokens != want {
			t.Errorf("%s: %+v, want %d input tokens as the API counted", model, u, want)
		}
	}
}

func TestCounterFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		model string
		codec string
		exact bool
		scale float64
	}{
		{"gpt-4o-mini-2024-07-18", "o200k_base", true, 1},
		{"gpt-4.1", "o200k_base", true, 1},
		{"gpt-5.1-codex", "o200k_base", true, 1},
		{"o3-mini", "o200k_base", true, 1},
		{"o1", "o200k_base", true, 1},
		{"gpt-oss-120b", "o200k_base", true, 1},
		{"openai/gpt-4o", "o200k_base", true, 1},
		{"ft:gpt-4o-mini-2024-07-18:org::abc", "o200k_base", true, 1},
		{"gpt-4-0613", "cl100k_base", true, 1},
		{"gpt-4-turbo", "cl100k_base", true, 1},
		{"gpt-3.5-turbo", "cl100k_base", true, 1},
		{"text-embedding-3-small", "cl100k_base", true, 1},
		{"claude-sonnet-4-5-20250929", "o200k_base", false, 1.12},
		{"us.anthropic.claude-3-5-haiku-20241022-v1:0", "o200k_base", false, 1.12},
		{"gemini-2.5-flash", "o200k_base", false, 1.15},
		{"models/gemma-3-27b-it", "o200k_base", false, 1.15},
		{"llama-3.3-70b-versatile", "o200k_base", false, 1},
		{"omni-moderation", "o200k_base", false, 1}, // not an o-series name
		{"", "o200k_base", false, 1},
	}
	for _, tt := range tests {
		c := CounterFor(tt.model)
		if c.codec.GetName() != tt.codec || c.Exact != tt.exact || c.scale != tt.scale {
			t.Errorf("CounterFor(%q) = %s exact=%v scale=%v, want %s exact=%v scale=%v",
				tt.model, c.codec.GetName(), c.Exact, c.scale, tt.codec, tt.exact, tt.scale)
		}
	}
}

func TestCountChatParts(t *testing.T) {
	t.Parallel()
	c := CounterFor("gpt-4o")
	n := c.Count
	input := []tracium.Message{
		tracium.TextMessage(tracium.RoleUser, "Weather in Paris?"),
		{Role: tracium.RoleAssistant, Parts: []tracium.Part{tracium.ToolCallPart("call_1", "get_weather", `{"city":"Paris"}`)}},
		{Role: tracium.RoleTool, Parts: []tracium.Part{tracium.ToolResultPart("call_1", "", "sunny, 21 °C")}},
		{Role: tracium.RoleUser, Parts: []tracium.Part{{Type: tracium.PartBlob, Modality: tracium.ModalityImage, Size: 4096}}},
	}
	output := []tracium.Message{{Role: tracium.RoleAssistant, Parts: []tracium.Part{
		{Type: tracium.PartReasoning, Content: "The tool said sunny."},
		tracium.TextPart("It is sunny in Paris."),
		tracium.ToolCallPart("call_2", "get_forecast", `{"city":"Paris","days":3}`),
	}}}
	wantIn := 4*tokensPerMessage + tokensReplyStart +
		n("user") + n("Weather in Paris?") +
		n("assistant") + n("get_weather") + n(`{"city":"Paris"}`) +
		n("tool") + n("sunny, 21 °C") + // a JSON string result counts as its text
		n("user") // the image is not counted
	wantReasoning := n("The tool said sunny.")
	wantOut := wantReasoning + n("It is sunny in Paris.") + n("get_forecast") + n(`{"city":"Paris","days":3}`)
	got := CountChat("gpt-4o", input, output)
	want := store.Usage{InputTokens: wantIn, OutputTokens: wantOut, ReasoningTokens: wantReasoning, TotalTokens: wantIn + wantOut}
	if got != want {
		t.Errorf("CountChat = %+v, want %+v", got, want)
	}
}

// TestCountChatCapped checks the bound: a span far past MaxText is
// counted from its first MaxText bytes, scaled by size, and lands near
// the full count; a short group beside it still counts whole.
func TestCountChatCapped(t *testing.T) {
	t.Parallel()
	sentence := "The quick brown fox jumps over the lazy dog, and then it naps in the sun. "
	big := strings.Repeat(sentence, (4<<20)/len(sentence)) // 4 MiB
	c := CounterFor("gpt-4o")
	full := c.Count(big)
	got := CountChat("gpt-4o",
		[]tracium.Message{tracium.TextMessage(tracium.RoleUser, big)},
		[]tracium.Message{{Role: tracium.RoleAssistant, Parts: []tracium.Part{
			{Type: tracium.PartReasoning, Content: "Short thought."}, tracium.TextPart("Done.")}}})
	framing := int64(tokensPerMessage+tokensReplyStart) + c.Count("user")
	if d := float64(got.InputTokens-framing-full) / float64(full); d > 0.01 || d < -0.01 {
		t.Errorf("capped input count %d, full count %d: off by %.2f%%", got.InputTokens-framing, full, 100*d)
	}
	if want := c.Count("Short thought."); got.ReasoningTokens != want {
		t.Errorf("reasoning = %d beside a huge input, want %d", got.ReasoningTokens, want)
	}
	if want := c.Count("Short thought.") + c.Count("Done."); got.OutputTokens != want {
		t.Errorf("output = %d, want %d", got.OutputTokens, want)
	}
}

func TestCutUTF8(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"héllo", 2, "h"}, {"héllo", 3, "hé"}, {"abc", 5, "abc"}, {"日本", 4, "日"}, {"日本", 0, ""},
	} {
		if got := cutUTF8(tt.s, tt.n); got != tt.want {
			t.Errorf("cutUTF8(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func chatJSON(t testing.TB, msgs ...tracium.Message) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(tracium.Chat{Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSpan(t *testing.T) {
	t.Parallel()
	in := chatJSON(t, tracium.TextMessage(tracium.RoleUser, "tiktoken is great!"))
	out := chatJSON(t, tracium.Message{Role: tracium.RoleAssistant, FinishReason: "stop", Parts: []tracium.Part{tracium.TextPart("2 + 2 = 4")}})
	reported := &store.Usage{InputTokens: 1, OutputTokens: 1, TotalTokens: 2}
	missing := json.RawMessage(`{"stream":true, "usage_missing":true,"temperature":0.2}`)
	base := store.Span{Type: store.SpanLLM, Model: "gpt-4o-mini-2024-07-18", Input: in, Output: out, Attributes: missing}
	with := func(f func(*store.Span)) store.Span {
		s := base
		f(&s)
		return s
	}
	// 3 + "user" (1) + 6 + 3 in, and "2 + 2 = 4" (7) out: published counts.
	estimated := &store.Usage{InputTokens: 13, OutputTokens: 7, TotalTokens: 20}
	tests := []struct {
		name      string
		span      store.Span
		want      *store.Usage // nil: the span is left as it was
		wantAttrs string
	}{
		{name: "stream without usage", span: base, want: estimated,
			wantAttrs: `{"stream":true, "usage_missing":true,"temperature":0.2,"usage_estimated":true}`},
		{name: "request model when the answer named none", span: with(func(s *store.Span) { s.Model, s.RequestModel = "", "gpt-4o-mini" }), want: estimated,
			wantAttrs: `{"stream":true, "usage_missing":true,"temperature":0.2,"usage_estimated":true}`},
		{name: "output only", span: with(func(s *store.Span) { s.Input = json.RawMessage(`{"prompt":"raw"}`) }),
			want: &store.Usage{OutputTokens: 7, TotalTokens: 7}, wantAttrs: `{"stream":true, "usage_missing":true,"temperature":0.2,"usage_estimated":true}`},
		{name: "reported usage is never touched", span: with(func(s *store.Span) { s.Usage = reported })},
		{name: "usage not said to be missing", span: with(func(s *store.Span) { s.Attributes = json.RawMessage(`{"stream":true}`) })},
		{name: "usage_missing not true", span: with(func(s *store.Span) { s.Attributes = json.RawMessage(`{"usage_missing":"yes"}`) })},
		{name: "no attributes", span: with(func(s *store.Span) { s.Attributes = nil })},
		{name: "embedding span", span: with(func(s *store.Span) { s.Type = store.SpanEmbedding })},
		{name: "tool span", span: with(func(s *store.Span) { s.Type = store.SpanTool })},
		{name: "nothing in the chat shape", span: with(func(s *store.Span) { s.Input, s.Output = json.RawMessage(`"hi"`), nil })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.span
			before := tt.span
			did := Span(&s)
			if tt.want == nil {
				if did || !reflect.DeepEqual(s, before) {
					t.Errorf("Span changed a span it must leave: %v, %+v", did, s)
				}
				return
			}
			if !did || s.Usage == nil || *s.Usage != *tt.want {
				t.Fatalf("Span = %v, usage %+v; want %+v", did, s.Usage, *tt.want)
			}
			if string(s.Attributes) != tt.wantAttrs {
				t.Errorf("attributes = %s, want %s", s.Attributes, tt.wantAttrs)
			}
			s.Usage, s.Attributes = before.Usage, before.Attributes
			if !reflect.DeepEqual(s, before) {
				t.Errorf("Span changed more than usage and attributes: %+v", s)
			}
		})
	}
	if Span(nil) {
		t.Error("Span(nil) = true")
	}
}

func TestWithEstimated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attrs, want string
	}{
		{``, `{"usage_estimated":true}`},
		{`null`, `{"usage_estimated":true}`},
		{`{}`, `{"usage_estimated":true}`},
		{` { } `, `{ "usage_estimated":true}`},
		{`{"a":1}`, `{"a":1,"usage_estimated":true}`},
		{"{\n  \"a\": [1, {\"usage_estimated\": false}]\n}", "{\n  \"a\": [1, {\"usage_estimated\": false}]\n,\"usage_estimated\":true}"},
		{`{"usage_estimated":false,"b":"}"}`, `{"usage_estimated":true,"b":"}"}`},
		{`{"b":2, "usage_estimated" :  "no" }`, `{"b":2, "usage_estimated" :  true }`},
	}
	for _, tt := range tests {
		got, err := withEstimated(json.RawMessage(tt.attrs))
		if err != nil || string(got) != tt.want {
			t.Errorf("withEstimated(%s) = %s, %v; want %s", tt.attrs, got, err, tt.want)
			continue
		}
		if !json.Valid(got) {
			t.Errorf("withEstimated(%s) = %s, not valid JSON", tt.attrs, got)
		}
	}
	for _, bad := range []string{`[1]`, `"x"`, `{"a":`, `{"a":1}}`, `7`} {
		if got, err := withEstimated(json.RawMessage(bad)); err == nil {
			t.Errorf("withEstimated(%s) = %s, want an error", bad, got)
		}
	}
}

// FuzzWithEstimated feeds attributes as a client may send them: the
// result is a valid object with usage_estimated true and every other
// member as it was.
func FuzzWithEstimated(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"usage_estimated":false}`, ` {"a":{"usage_estimated":1},"b":[]} `, `[]`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, attrs []byte) {
		got, err := withEstimated(attrs)
		if err != nil {
			return
		}
		var after map[string]json.RawMessage
		if err := json.Unmarshal(got, &after); err != nil {
			t.Fatalf("withEstimated(%q) = %q: %v", attrs, got, err)
		}
		if string(after[tracium.AttrUsageEstimated]) != "true" {
			t.Fatalf("withEstimated(%q) = %q: usage_estimated is %s", attrs, got, after[tracium.AttrUsageEstimated])
		}
		var before map[string]json.RawMessage
		if len(bytes.TrimSpace(attrs)) > 0 && json.Unmarshal(attrs, &before) == nil {
			for k, v := range before {
				if k != tracium.AttrUsageEstimated && !bytes.Equal(after[k], v) {
					t.Fatalf("withEstimated(%q): member %q became %s", attrs, k, after[k])
				}
			}
		}
	})
}
