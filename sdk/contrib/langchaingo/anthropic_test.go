package traciumlangchaingo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/anthropic"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
)

// LangChainGo's Anthropic provider fires HandleLLMGenerateContentStart
// and never its end: the span still ends, once, with the wire's view.
func TestAnthropicModelIsOneLLMSpan(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "sse"}[stream], func(t *testing.T) {
			t.Parallel()
			e := setup(t, fakellm.Options{})
			llm, err := anthropic.New(anthropic.WithBaseURL(e.fake.URL+"/v1"), anthropic.WithToken("sk-ant-fake"), anthropic.WithModel(fakellm.AnthropicModel))
			if err != nil {
				t.Fatal(err)
			}
			llm.CallbacksHandler = e.h
			opts := []llms.CallOption{llms.WithMaxTokens(100)}
			if stream {
				opts = append(opts, llms.WithStreamingFunc(func(context.Context, []byte) error { return nil }))
			}
			res, err := llm.GenerateContent(e.ctx, question(), opts...)
			if err != nil || res.Choices[0].Content != e.fake.Reply() {
				t.Fatalf("answer %+v, %v", res, err)
			}
			tr := e.finish()
			if len(tr.spans) != 2 {
				t.Fatalf("%d spans, want the run and one llm span:\n%s", len(tr.spans), tr)
			}
			s := tr.only(tracium.SpanLLM)
			if s.Name != "llm" || s.ParentSpanID != e.run.SpanID() || s.Status != "ok" || s.Attributes[tracium.AttrFramework] != "langchaingo" {
				t.Errorf("llm span %q under %s (%s), attributes %v", s.Name, s.ParentSpanID, s.Status, s.Attributes)
			}
			want := tracium.Usage{
				InputTokens: fakellm.AnthropicInput + fakellm.AnthropicCacheRead + fakellm.AnthropicCacheCreation, OutputTokens: fakellm.AnthropicOutput,
				CachedTokens: fakellm.AnthropicCacheRead, CacheCreationTokens: fakellm.AnthropicCacheCreation, TotalTokens: fakellm.AnthropicTotal,
			}
			if s.Usage == nil || *s.Usage != want {
				t.Errorf("usage %+v, want %+v", s.Usage, want)
			}
			if s.Provider != "anthropic" || s.Model != fakellm.AnthropicAnswerModel || s.RequestModel != fakellm.AnthropicModel {
				t.Errorf("provider %q model %q asked %q", s.Provider, s.Model, s.RequestModel)
			}
			if got := chatLines(t, s.Input); !slices.Equal(got, questionLines) {
				t.Errorf("input %q, want %q", got, questionLines)
			}
			finish, lines := "end_turn", []string{"assistant: " + e.fake.Reply()}
			if stream {
				finish, lines = "tool_use", []string{"assistant: " + e.fake.Reply() + ` call get_weather({"city":"Paris"})`}
			}
			out, _ := tracium.ParseChat(s.Output)
			if got := chatLines(t, s.Output); !slices.Equal(got, lines) || len(out.Messages) != 1 || out.Messages[0].FinishReason != finish {
				t.Errorf("output %q, want %q finishing %q", got, lines, finish)
			}
			if stream != (s.TimeToFirstTokenMS != nil) || stream && *s.TimeToFirstTokenMS < float64(fakellm.FirstChunkDelay)/float64(time.Millisecond) {
				t.Errorf("time to first token %v on a call that streamed: %t", s.TimeToFirstTokenMS, stream)
			}
		})
	}
}
