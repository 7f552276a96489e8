package traciumlangchaingo

import (
	"testing"

	tracium "github.com/tracium/tracium/sdk"
)

// The usage each provider puts in GenerationInfo, mapped to the token
// convention. LangChainGo's Anthropic provider never fires
// HandleLLMGenerateContentEnd, so only this table reaches its keys.
func TestUsageFromGenerationInfo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		info     map[string]any
		want     tracium.Usage
		provider string
		ok       bool
	}{
		{
			name: "openai",
			info: map[string]any{"PromptTokens": 12, "CompletionTokens": 7, "TotalTokens": 19, "ReasoningTokens": 2, "PromptCachedTokens": 4,
				"PromptAudioTokens": 0, "ThinkingTokens": 2, "CompletionReasoningTokens": 2},
			want:     tracium.Usage{InputTokens: 12, OutputTokens: 7, CachedTokens: 4, ReasoningTokens: 2, TotalTokens: 19},
			provider: "openai", ok: true,
		},
		{
			name:     "anthropic: cache reads and writes are input",
			info:     map[string]any{"InputTokens": 11, "OutputTokens": 6, "CacheCreationInputTokens": 5, "CacheReadInputTokens": 3},
			want:     tracium.Usage{InputTokens: 19, OutputTokens: 6, CachedTokens: 3, CacheCreationTokens: 5, TotalTokens: 25},
			provider: "anthropic", ok: true,
		},
		{
			name:     "anthropic without cache",
			info:     map[string]any{"InputTokens": int64(30), "OutputTokens": int64(9)},
			want:     tracium.Usage{InputTokens: 30, OutputTokens: 9, TotalTokens: 39},
			provider: "anthropic", ok: true,
		},
		{
			name: "prompt and completion counts of another provider",
			info: map[string]any{"PromptTokens": int32(8), "CompletionTokens": int32(3)},
			want: tracium.Usage{InputTokens: 8, OutputTokens: 3, TotalTokens: 11},
			ok:   true,
		},
		{
			name: "lower-case whole counts",
			info: map[string]any{"input_tokens": float64(40), "output_tokens": float32(2)},
			want: tracium.Usage{InputTokens: 40, OutputTokens: 2, TotalTokens: 42},
			ok:   true,
		},
		{
			name: "unsigned counts",
			info: map[string]any{"PromptTokens": uint32(5), "CompletionTokens": uint64(1)},
			want: tracium.Usage{InputTokens: 5, OutputTokens: 1, TotalTokens: 6},
			ok:   true,
		},
		{
			name:     "zeros stand for no counts",
			info:     map[string]any{"PromptTokens": 0, "CompletionTokens": 0, "PromptCachedTokens": 0},
			provider: "openai",
		},
		{name: "no keys", info: map[string]any{"StopReason": "stop"}},
		{name: "counts that are not numbers", info: map[string]any{"PromptTokens": "12", "CompletionTokens": nil}},
		{name: "nil", info: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, provider, ok := usage(tc.info)
			if u != tc.want || provider != tc.provider || ok != tc.ok {
				t.Errorf("usage(%v) = %+v, %q, %t; want %+v, %q, %t", tc.info, u, provider, ok, tc.want, tc.provider, tc.ok)
			}
		})
	}
}
