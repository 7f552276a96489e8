package pricing

import (
	"strings"
	"testing"

	"github.com/tracium/tracium/store"
)

// reportedCost is how Tracium billed before the token convention: the
// counts as each provider reported them, and a formula per provider
// (OpenAI's prompt_tokens includes cache reads; Anthropic's input_tokens
// excludes cache reads and writes; Gemini's candidatesTokenCount excludes
// thoughts). The tests keep it to prove the one formula bills the same.
func reportedCost(provider string, p *Price, u store.Usage) float64 {
	in := counted(u.InputTokens)
	out := counted(u.OutputTokens)
	cached := counted(u.CachedTokens)
	written := counted(u.CacheCreationTokens)
	reasoning := counted(u.ReasoningTokens)
	var usd float64
	switch provider {
	case "anthropic":
		r := p.ratesFor(in + cached + written)
		usd = in*r.Input + cached*r.cachedInput() + written*r.cacheWrite() + out*r.Output
	default:
		r := p.ratesFor(in)
		cached = min(cached, in)
		usd = (in-cached)*r.Input + cached*r.cachedInput() + out*r.Output
		if provider == "google" {
			usd += reasoning * r.Output
		}
	}
	return usd / 1e6
}

// conventionCases are one call per provider in the provider's own counts
// and in Tracium's convention, as the SDK records it.
var conventionCases = []struct {
	provider  string
	name      string
	reported  store.Usage
	converted store.Usage
}{
	{
		provider: "openai", name: "cache reads and reasoning, already inside the counts",
		reported:  store.Usage{InputTokens: 1117, CachedTokens: 1024, OutputTokens: 46, ReasoningTokens: 12},
		converted: store.Usage{InputTokens: 1117, CachedTokens: 1024, OutputTokens: 46, ReasoningTokens: 12},
	},
	{
		provider: "openai", name: "long prompt",
		reported:  store.Usage{InputTokens: 300_000, CachedTokens: 100_000, OutputTokens: 2000},
		converted: store.Usage{InputTokens: 300_000, CachedTokens: 100_000, OutputTokens: 2000},
	},
	{
		// input_tokens 11 leaves out cache read 3 and cache write 5.
		provider: "anthropic", name: "input excludes the cache",
		reported:  store.Usage{InputTokens: 11, OutputTokens: 6, CachedTokens: 3, CacheCreationTokens: 5},
		converted: store.Usage{InputTokens: 19, OutputTokens: 6, CachedTokens: 3, CacheCreationTokens: 5},
	},
	{
		// 150k + 40k + 20k read: above the 200k tier only once the cache counts.
		provider: "anthropic", name: "long prompt through the cache",
		reported:  store.Usage{InputTokens: 150_000, CachedTokens: 40_000, CacheCreationTokens: 20_000, OutputTokens: 1000},
		converted: store.Usage{InputTokens: 210_000, CachedTokens: 40_000, CacheCreationTokens: 20_000, OutputTokens: 1000},
	},
	{
		// candidatesTokenCount 5 leaves out thoughtsTokenCount 3.
		provider: "google", name: "thoughts outside the candidates",
		reported:  store.Usage{InputTokens: 265, CachedTokens: 128, OutputTokens: 5, ReasoningTokens: 3},
		converted: store.Usage{InputTokens: 265, CachedTokens: 128, OutputTokens: 8, ReasoningTokens: 3},
	},
	{
		provider: "google", name: "long prompt",
		reported:  store.Usage{InputTokens: 300_000, CachedTokens: 100_000, OutputTokens: 1000, ReasoningTokens: 1000},
		converted: store.Usage{InputTokens: 300_000, CachedTokens: 100_000, OutputTokens: 2000, ReasoningTokens: 1000},
	},
}

// wireConvention says whose usage counts a model's calls report: the API
// it is called through, which for Claude on Vertex AI is Anthropic's.
func wireConvention(p *Price) string {
	switch {
	case strings.HasPrefix(p.Model, "claude"):
		return "anthropic"
	case p.Provider == "google":
		return "google"
	case p.Provider == "openai":
		return "openai"
	}
	return ""
}

// TestOneConventionCostsTheSame bills each provider's call both ways, for
// every model of that provider in the embedded table: the provider's own
// counts with its old formula, and the same call under the convention
// with the one formula.
func TestOneConventionCostsTheSame(t *testing.T) {
	t.Parallel()
	table := Default()
	seen := map[*Price]bool{}
	for _, p := range table.prices {
		if seen[p] {
			continue
		}
		seen[p] = true
		wire := wireConvention(p)
		if wire == "" {
			continue
		}
		for _, tt := range conventionCases {
			if tt.provider != wire {
				continue
			}
			before := reportedCost(wire, p, tt.reported)
			after := p.cost(tt.converted)
			if !near(after, before) {
				t.Errorf("%s (%s), %s: %.10f under the convention, %.10f as reported", p.Model, wire, tt.name, after, before)
			}
		}
	}
	for _, wire := range []string{"openai", "anthropic", "google"} {
		n := 0
		for p := range seen {
			if wireConvention(p) == wire {
				n++
			}
		}
		if n < 20 {
			t.Errorf("%d %s models in the table, want its whole list", n, wire)
		}
	}
}
