package otlp

import (
	"encoding/json"

	"github.com/tracium/tracium/store"
)

// Token counts, converted to Tracium's convention (store.Usage): input
// counts every prompt token, cache reads and writes included; output
// counts every generated token, reasoning included.
//
// Each convention's counts are read together, the first convention
// present wins, and its attributes leave the span's attributes (another
// convention's stay). What each convention counts:
//
//   - OpenTelemetry GenAI (gen_ai.usage.*) and OpenLLMetry: input includes
//     the cache, output includes reasoning (semantic conventions v1.37+;
//     OpenLLMetry adds Anthropic's cache into its input itself).
//   - OpenInference (llm.token_count.*): the same; its instrumentors sum
//     Anthropic's cache into the prompt and Gemini's thoughts into the
//     completion.
//   - Vercel AI SDK 6 and later (ai.usage.* with inputTokenDetails or
//     outputTokenDetails): the same. AI SDK 4 and 5 pass the provider's
//     own counts: Anthropic's input leaves the cache out (the cache
//     write is only in ai.response.providerMetadata), Gemini's output
//     leaves thoughts out; they are added back.
//   - Genkit (usage in genkit:output): its Gemini plugin reports
//     candidates without thoughts, its Anthropic plugin input without
//     cache reads; they are added back.
//
// Whatever the convention, counts that cannot be parts of their total (a
// cache read larger than the input, reasoning larger than the output)
// mean the emitter left them out, and they are added.

// usageKeys lists, per convention, the keys read, for the documentation
// and for marking them used.
var (
	genAIUsageKeys = []key{kGenAIInputTokens, kGenAIPromptTokens, kGenAIOutputTokens, kGenAICompletionTokens,
		kGenAICacheReadTokens, kGenAICacheReadTokensOld, kGenAICacheCreationTokens, kGenAICacheCreationTokensOld,
		kGenAIReasoningTokens, kGenAIReasoningTokensOld, kGenAITotalTokens, kLLMUsageTotalTokens}
	openInferenceUsageKeys = []key{kLLMTokenPrompt, kLLMTokenCompletion, kLLMTokenCacheRead, kLLMTokenCacheWrite,
		kLLMTokenReasoning, kLLMTokenTotal}
	vercelUsageKeys = []key{kAIUsageInputTokens, kAIUsagePromptTokens, kAIUsageOutputTokens, kAIUsageCompletionTokens,
		kAIUsageCacheReadTokens, kAIUsageCachedInputTokens, kAIUsageCacheWriteTokens,
		kAIUsageOutputReasoningTokens, kAIUsageReasoningTokens, kAIUsageTotalTokens, kAIUsageTokens,
		kAIUsageNoCacheTokens, kAIUsageTextTokens}
)

// counts is one convention's reading before conversion.
type counts struct {
	in, out, cacheRead, cacheWrite, reasoning, total int64
	any                                              bool
}

// first reads the first of keys present into *dst and marks it used.
func (c *counts) first(a *spanAttrs, dst *int64, keys ...key) {
	for _, k := range keys {
		if n, ok := a.count(k); ok {
			*dst = n
			c.any = true
			a.use(k)
			return
		}
	}
}

// mapUsage sets the span's usage. Only llm and embedding spans carry
// usage, as the SDK's do: an agent or chain span's counts (the Vercel AI
// SDK's and Genkit's sums over their steps) would count every token
// twice in the trace's totals, and stay in its attributes.
func (m *mapper) mapUsage(s *store.Span) {
	if s.Type != store.SpanLLM && s.Type != store.SpanEmbedding {
		return
	}
	a := &m.attrs
	vercel := a.present(kAIOperationID)
	var c counts
	switch {
	case vercel && m.vercelCounts(&c, s.Provider):
	case m.genAICounts(&c):
	case m.openInferenceCounts(&c):
	case m.vercelCounts(&c, s.Provider):
	case m.genkitCounts(&c, s.Provider):
	default:
		return
	}
	s.Usage = c.usage()
}

func (m *mapper) genAICounts(c *counts) bool {
	a := &m.attrs
	c.first(a, &c.in, kGenAIInputTokens, kGenAIPromptTokens)
	c.first(a, &c.out, kGenAIOutputTokens, kGenAICompletionTokens)
	c.first(a, &c.cacheRead, kGenAICacheReadTokens, kGenAICacheReadTokensOld)
	c.first(a, &c.cacheWrite, kGenAICacheCreationTokens, kGenAICacheCreationTokensOld)
	c.first(a, &c.reasoning, kGenAIReasoningTokens, kGenAIReasoningTokensOld)
	if c.any {
		c.first(a, &c.total, kGenAITotalTokens, kLLMUsageTotalTokens)
	}
	return c.any
}

func (m *mapper) openInferenceCounts(c *counts) bool {
	a := &m.attrs
	c.first(a, &c.in, kLLMTokenPrompt)
	c.first(a, &c.out, kLLMTokenCompletion)
	c.first(a, &c.cacheRead, kLLMTokenCacheRead)
	c.first(a, &c.cacheWrite, kLLMTokenCacheWrite)
	c.first(a, &c.reasoning, kLLMTokenReasoning)
	c.first(a, &c.total, kLLMTokenTotal)
	return c.any
}

func (m *mapper) vercelCounts(c *counts, provider string) bool {
	a := &m.attrs
	details := a.present(kAIUsageNoCacheTokens) || a.present(kAIUsageCacheReadTokens) ||
		a.present(kAIUsageCacheWriteTokens) || a.present(kAIUsageTextTokens) || a.present(kAIUsageOutputReasoningTokens)
	c.first(a, &c.in, kAIUsageInputTokens, kAIUsagePromptTokens, kAIUsageTokens)
	c.first(a, &c.out, kAIUsageOutputTokens, kAIUsageCompletionTokens)
	c.first(a, &c.cacheRead, kAIUsageCacheReadTokens, kAIUsageCachedInputTokens)
	c.first(a, &c.cacheWrite, kAIUsageCacheWriteTokens)
	c.first(a, &c.reasoning, kAIUsageOutputReasoningTokens, kAIUsageReasoningTokens)
	if !c.any {
		return false
	}
	c.first(a, &c.total, kAIUsageTotalTokens)
	for _, k := range [...]key{kAIUsageNoCacheTokens, kAIUsageTextTokens} {
		if _, ok := a.count(k); ok {
			a.use(k) // parts of counts already read
		}
	}
	if details {
		return true
	}
	switch provider {
	case providerAnthropic:
		read, write := m.anthropicCacheMetadata()
		if c.cacheRead == 0 {
			c.cacheRead = read
		}
		if c.cacheWrite == 0 {
			c.cacheWrite = write
		}
		c.in += c.cacheRead + c.cacheWrite
	case providerGoogle:
		c.out += c.reasoning
	}
	return true
}

// anthropicCacheMetadata reads the cache counts AI SDK 4 and 5 report for
// Anthropic only in the provider metadata. The attribute stays.
func (m *mapper) anthropicCacheMetadata() (read, write int64) {
	raw, ok := m.attrs.text(kAIProviderMetadata)
	if !ok {
		return 0, 0
	}
	var md struct {
		Anthropic struct {
			CacheRead  *float64 `json:"cacheReadInputTokens"`
			CacheWrite *float64 `json:"cacheCreationInputTokens"`
		} `json:"anthropic"`
	}
	if json.Unmarshal(raw, &md) != nil {
		return 0, 0
	}
	return countFloat(md.Anthropic.CacheRead), countFloat(md.Anthropic.CacheWrite)
}

func (m *mapper) genkitCounts(c *counts, provider string) bool {
	out := m.genkitOutput()
	if out == nil || out.Usage == nil {
		return false
	}
	u := out.Usage
	c.in, c.out = countFloat(u.InputTokens), countFloat(u.OutputTokens)
	c.cacheRead, c.reasoning = countFloat(u.CachedContentTokens), countFloat(u.ThoughtsTokens)
	c.total, c.any = countFloat(u.TotalTokens), true
	switch provider {
	case providerGoogle:
		c.out += c.reasoning
	case providerAnthropic:
		c.in += c.cacheRead
	}
	return true
}

func countFloat(f *float64) int64 {
	if f == nil || *f < 0 || *f > maxCount || *f != float64(int64(*f)) {
		return 0
	}
	return int64(*f)
}

// usage completes the counts by the convention: parts that exceed their
// total were left out of it, and the total is input plus output. A sum
// past store.MaxTokenCount is capped there.
func (c *counts) usage() *store.Usage {
	if c.cacheRead+c.cacheWrite > c.in {
		c.in += c.cacheRead + c.cacheWrite
	}
	if c.reasoning > c.out {
		c.out += c.reasoning
	}
	u := store.Usage{InputTokens: c.in, OutputTokens: c.out, CachedTokens: c.cacheRead,
		CacheCreationTokens: c.cacheWrite, ReasoningTokens: c.reasoning, TotalTokens: c.in + c.out}
	if u.TotalTokens == 0 {
		u.TotalTokens = c.total
	}
	for _, n := range [...]*int64{&u.InputTokens, &u.OutputTokens, &u.CachedTokens, &u.CacheCreationTokens, &u.ReasoningTokens} {
		*n = min(*n, maxCount)
	}
	u.TotalTokens = min(u.TotalTokens, 2*maxCount)
	return &u
}
