package pricing

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracium/tracium/store"
)

// testPrices has round prices that do not change when prices.json does, so
// the expected costs below can be checked by hand.
const testPrices = `{
  "as_of": "2025-01-01",
  "models": [
    {"name": "oai", "provider": "openai", "input": 2, "cached_input": 0.5, "output": 8},
    {"name": "oai-nocache", "provider": "openai", "input": 1, "output": 2},
    {"name": "ant", "provider": "anthropic", "input": 3, "cached_input": 0.3, "cache_write": 3.75, "output": 15,
     "tiers": [{"above_prompt_tokens": 200000, "input": 6, "cached_input": 0.6, "cache_write": 7.5, "output": 22.5}]},
    {"name": "gem", "provider": "google", "input": 1.25, "cached_input": 0.125, "output": 10,
     "tiers": [{"above_prompt_tokens": 200000, "input": 2.5, "cached_input": 0.25, "output": 15}]}
  ]
}`

type testBundle struct {
	table *Table
}

func setup(t *testing.T) testBundle {
	t.Helper()
	table, err := Load(strings.NewReader(testPrices))
	if err != nil {
		t.Fatalf("load test prices: %v", err)
	}
	return testBundle{table: table}
}

func TestLookupNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want string // "" when no price should be found
	}{
		{"gpt-4o", "gpt-4o"},
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"gpt-4o-mini", "gpt-4o-mini"},
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
		{"gpt-4o-2024-05-13", "gpt-4o-2024-05-13"},
		{"gpt-5-2025-08-07", "gpt-5"},
		{"o1-2024-12-17", "o1"},
		{"o3-mini-2025-01-31", "o3-mini"},
		{"gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"},
		{"gpt-5.1-codex", "gpt-5.1"},
		{"gpt-35-turbo", "gpt-3.5-turbo"}, // Azure's spelling, an alias in the dataset
		{"text-embedding-3-small", "text-embedding-3-small"},
		{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},
		{"claude-sonnet-4-20250514", "claude-sonnet-4-0"},
		{"claude-opus-4-1-20250805", "claude-opus-4-1"},
		{"claude-opus-4", "claude-opus-4-0"},
		{"claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"},
		{"claude-3-5-haiku@20241022", "claude-3-5-haiku-latest"},
		{"claude-opus-4-7", "claude-opus-4-7"},
		{"gemini-2.5-flash-001", "gemini-2.5-flash"},
		{"gemini-2.5-flash-lite", "gemini-2.5-flash-lite"},
		{"gemini-2.5-flash-preview-05-20", "gemini-2.5-flash-preview"},
		{"gemini-2.0-flash-001", "gemini-2.0-flash"},
		{"models/gemini-2.5-pro", "gemini-2.5-pro"},
		{"publishers/google/models/gemini-2.5-pro", "gemini-2.5-pro"},
		{"anthropic/claude-haiku-4-5", "claude-haiku-4-5"},
		// OpenRouter's own ids are entries of their own, at its prices.
		{"openai/gpt-5-mini", "openai/gpt-5-mini"},
		{"anthropic/claude-sonnet-4.5", "anthropic/claude-sonnet-4.5"},
		{"meta-llama/llama-3.3-70b-instruct", "meta-llama/llama-3.3-70b-instruct"},
		{"mistral-large-2411", "mistral-large"},
		{"deepseek-chat", "deepseek-chat"},
		{"grok-4", "grok-4-0709"},
		{"llama-3.3-70b-versatile", "llama-3.3-70b-versatile"},
		{"amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"},
		{"global.anthropic.claude-sonnet-4-5-20250929-v1:0", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"GPT-4O-2024-08-06", "gpt-4o"},
		{"  Claude-Haiku-4-5 ", "claude-haiku-4-5"},

		{"", ""},
		{"openai/", ""},
		{"llama-3.1-70b", ""},
		{"gpt-4o-mini-foo", ""},              // not a release suffix: another model
		{"claude-opus-4-9", ""},              // "-9" is not a release of claude-opus-4
		{"whisper-1", ""},                    // priced by audio duration, not tokens
		{"gemini-2.5-pro-preview-06-05", ""}, // the dataset's prefix match is wider than a release
	}
	table := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, ok := table.Lookup(tt.name)
			if ok != (tt.want != "") || p.Model != tt.want {
				t.Errorf("Lookup(%q) = %q, %v; want %q", tt.name, p.Model, ok, tt.want)
			}
		})
	}
}

func TestCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		model string
		usage store.Usage
		want  float64
	}{
		{
			// Cached tokens are part of the input; reasoning is part of the output.
			name: "cache reads", model: "oai",
			usage: store.Usage{InputTokens: 1000, CachedTokens: 400, OutputTokens: 500, ReasoningTokens: 300},
			want:  (600*2 + 400*0.5 + 500*8) / 1e6,
		},
		{
			name: "no cache price bills cache reads as input", model: "oai-nocache",
			usage: store.Usage{InputTokens: 1000, CachedTokens: 400, OutputTokens: 100},
			want:  (1000*1 + 100*2) / 1e6,
		},
		{
			// Cache reads and writes are both parts of the input.
			name: "cache reads and writes", model: "ant",
			usage: store.Usage{InputTokens: 3100, CachedTokens: 2000, CacheCreationTokens: 1000, OutputTokens: 500, ReasoningTokens: 200},
			want:  (100*3 + 2000*0.3 + 1000*3.75 + 500*15) / 1e6,
		},
		{
			name: "no cache write price bills writes as input", model: "oai",
			usage: store.Usage{InputTokens: 1000, CacheCreationTokens: 400},
			want:  1000 * 2 / 1e6,
		},
		{
			name: "at the threshold stays in the base tier", model: "ant",
			usage: store.Usage{InputTokens: 200_000, CachedTokens: 150_000, OutputTokens: 1000},
			want:  (50_000*3 + 150_000*0.3 + 1000*15) / 1e6,
		},
		{
			// The tier is chosen on the whole input, cache included.
			name: "long input", model: "ant",
			usage: store.Usage{InputTokens: 210_000, CachedTokens: 150_000, CacheCreationTokens: 10_000, OutputTokens: 1000},
			want:  (50_000*6 + 150_000*0.6 + 10_000*7.5 + 1000*22.5) / 1e6,
		},
		{
			name: "google long prompt", model: "gem",
			usage: store.Usage{InputTokens: 300_000, CachedTokens: 100_000, OutputTokens: 2000, ReasoningTokens: 1000},
			want:  (200_000*2.5 + 100_000*0.25 + 2000*15) / 1e6,
		},
		{
			// Each part is clamped at zero: more cache than input bills
			// the cache and no uncached input.
			name: "cache beyond the input", model: "oai",
			usage: store.Usage{InputTokens: 100, CachedTokens: 500},
			want:  500 * 0.5 / 1e6,
		},
		{
			name: "negative counts are none", model: "oai",
			usage: store.Usage{InputTokens: -5, CachedTokens: -1, CacheCreationTokens: -3, OutputTokens: 1000},
			want:  1000 * 8 / 1e6,
		},
		{name: "no usage", model: "ant", want: 0},
	}
	b := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := b.table.Cost(tt.model, "", tt.usage)
			if !ok {
				t.Fatalf("Cost(%q) found no price", tt.model)
			}
			if !near(got, tt.want) {
				t.Errorf("Cost(%q, %+v) = %.10f, want %.10f", tt.model, tt.usage, got, tt.want)
			}
		})
	}
}

func TestCostModelChoice(t *testing.T) {
	t.Parallel()
	u := store.Usage{InputTokens: 100_000} // below every tier
	tests := []struct {
		name                string
		model, requestModel string
		want                float64
		wantOK              bool
	}{
		{"model wins", "oai", "ant", 0.2, true},
		{"request model when model is unknown", "oai-turbo", "ant", 0.3, true},
		{"request model when model is empty", "", "gem", 0.125, true},
		{"neither known", "mystery", "enigma", 0, false},
	}
	b := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := b.table.Cost(tt.model, tt.requestModel, u)
			if ok != tt.wantOK || !near(got, tt.want) {
				t.Errorf("Cost(%q, %q) = %v, %v; want %v, %v", tt.model, tt.requestModel, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCostOverflowIsUnknown(t *testing.T) {
	t.Parallel()
	table, err := Load(strings.NewReader(`{"models":[{"name":"x","provider":"openai","input":1e308}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if usd, ok := table.Cost("x", "", store.Usage{InputTokens: math.MaxInt64}); ok {
		t.Errorf("Cost = %v, true; want no cost for an infinite sum", usd)
	}
}

func TestDefaultGeminiProTier(t *testing.T) {
	t.Parallel()
	p, ok := Default().Lookup("gemini-2.5-pro")
	if !ok {
		t.Fatal("gemini-2.5-pro has no price")
	}
	if len(p.Tiers) != 1 || p.Tiers[0].AbovePromptTokens != 200_000 {
		t.Fatalf("tiers = %+v, want one above 200000 prompt tokens", p.Tiers)
	}
	short, _ := Default().Cost("gemini-2.5-pro", "", store.Usage{InputTokens: 200_000})
	long, _ := Default().Cost("gemini-2.5-pro", "", store.Usage{InputTokens: 200_001})
	if long < 1.9*short {
		t.Errorf("cost of 200001 prompt tokens = %v, want about twice that of 200000 (%v)", long, short)
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	given := 0.42
	usage := &store.Usage{InputTokens: 100_000} // below every tier
	tests := []struct {
		name string
		span store.Span
		want *float64
	}{
		{"llm", store.Span{Type: store.SpanLLM, Model: "oai", Usage: usage}, ptr(0.2)},
		{"embedding", store.Span{Type: store.SpanEmbedding, Model: "oai", Usage: usage}, ptr(0.2)},
		{"request model", store.Span{Type: store.SpanLLM, Model: "oai-turbo", RequestModel: "ant", Usage: usage}, ptr(0.3)},
		{"client cost kept", store.Span{Type: store.SpanLLM, Model: "oai", Usage: usage, CostUSD: &given}, &given},
		{"unknown model", store.Span{Type: store.SpanLLM, Model: "mystery", Usage: usage}, nil},
		{"no usage", store.Span{Type: store.SpanLLM, Model: "oai"}, nil},
		{"tool span", store.Span{Type: store.SpanTool, Model: "oai", Usage: usage}, nil},
	}
	b := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.span
			b.table.Apply(&s)
			switch {
			case tt.want == nil && s.CostUSD != nil:
				t.Errorf("CostUSD = %v, want nil", *s.CostUSD)
			case tt.want != nil && (s.CostUSD == nil || !near(*s.CostUSD, *tt.want)):
				t.Errorf("CostUSD = %v, want %v", deref(s.CostUSD), *tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json, want string
	}{
		{"malformed", `{"models": [`, "unexpected EOF"},
		{"unknown field", `{"models":[{"name":"a","provider":"openai","input":1,"cached_imput":0.5}]}`, `unknown field "cached_imput"`},
		{"unknown top-level field", `{"model":[]}`, `unknown field "model"`},
		{"missing name", `{"models":[{"provider":"openai","input":1}]}`, "models[0]: missing name"},
		{"blank name", `{"models":[{"name":"  ","provider":"openai","input":1}]}`, "models[0]: missing name"},
		{"negative price", `{"models":[{"name":"a","provider":"openai","input":1,"output":-2}]}`, "negative output price"},
		{"negative tier price", `{"models":[{"name":"a","provider":"google","input":1,"tiers":[{"above_prompt_tokens":10,"input":-1}]}]}`, "tiers[0]: negative input price"},
		{"tiers out of order", `{"models":[{"name":"a","provider":"google","input":1,"tiers":[{"above_prompt_tokens":10,"input":2},{"above_prompt_tokens":10,"input":3}]}]}`, "tiers[1]: above_prompt_tokens"},
		{"zero threshold", `{"models":[{"name":"a","provider":"google","input":1,"tiers":[{"input":2}]}]}`, "tiers[0]: above_prompt_tokens"},
		{"duplicate", `{"models":[{"name":"a","provider":"openai","input":1},{"name":"A","provider":"openai","input":2}]}`, `models[1] "a": "a" listed twice`},
		{"alias of another entry", `{"models":[{"name":"a","input":1},{"name":"b","aliases":["a"],"input":2}]}`, `models[1] "b": "a" listed twice`},
		{"empty alias", `{"models":[{"name":"a","aliases":[" "],"input":1}]}`, "aliases[0] is empty"},
		{"no models", `{"as_of":"2025-01-01"}`, "no models"},
		{"null", `null`, "no models"},
		{"bad as_of", `{"as_of":"yesterday","models":[{"name":"a","provider":"openai","input":1}]}`, "as_of"},
		{"trailing data", `{"models":[{"name":"a","provider":"openai","input":1}]} {}`, "after the closing brace"},
		{"string price", `{"models":[{"name":"a","provider":"openai","input":"1"}]}`, "cannot unmarshal string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(strings.NewReader(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(path, []byte(testPrices), 0o600); err != nil {
		t.Fatal(err)
	}
	table, err := LoadFile(path)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	if table.AsOf() != "2025-01-01" {
		t.Errorf("AsOf = %q, want 2025-01-01", table.AsOf())
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("LoadFile of a missing file succeeded")
	}
}

func TestLookupCopiesTiers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p, _ := b.table.Lookup("gem")
	p.Tiers[0].Input = 1000
	if again, _ := b.table.Lookup("gem"); again.Tiers[0].Input != 2.5 {
		t.Errorf("changing a looked-up tier changed the table: input = %v", again.Tiers[0].Input)
	}
}

func TestNilTable(t *testing.T) {
	t.Parallel()
	var table *Table
	if _, ok := table.Cost("gpt-4o", "", store.Usage{InputTokens: 1}); ok {
		t.Error("a nil table found a price")
	}
}

func TestEmbeddedTable(t *testing.T) {
	t.Parallel()
	table := Default()
	if table.AsOf() != "2026-09-23" || table.Source() != "@pydantic/genai-prices 0.1.8" {
		t.Errorf("embedded table as of %q from %q, want the dataset's release", table.AsOf(), table.Source())
	}
	if table.Len() < 900 {
		t.Errorf("embedded table has %d entries, want the dataset's", table.Len())
	}
	for name, p := range table.prices {
		if p.Input < 0 || p.Output < 0 || p.Provider == "" {
			t.Errorf("%s: %+v from %q", name, p.Rates, p.Provider)
		}
	}
}

func TestLoadAliases(t *testing.T) {
	t.Parallel()
	table, err := Load(strings.NewReader(`{"as_of":"2026-01-02","source":"hand 1","models":[
		{"name":"m","aliases":["m-alias","M-Alias"],"input":1,"output":2},
		{"name":"claude-x-1","aliases":["claude-x-1.0"],"input":3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"m-alias": "m", "m-alias-2026-01-01": "m", "claude-x-1.0": "claude-x-1", "claude-x-1-0": "claude-x-1"} {
		if p, ok := table.Lookup(name); !ok || p.Model != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, p.Model, ok, want)
		}
	}
	if table.Len() != 2 || table.Source() != "hand 1" || table.AsOf() != "2026-01-02" {
		t.Errorf("Len, Source, AsOf = %d, %q, %q", table.Len(), table.Source(), table.AsOf())
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(embedded)
	f.Add([]byte(testPrices))
	f.Add([]byte(`{"models":[{"name":"a","provider":"anthropic","input":1,"tiers":[{"above_prompt_tokens":1,"input":2}]}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"models":[{"name":"a","aliases":["b","claude-c.1"],"input":1}]}`))
	usage := store.Usage{InputTokens: 300_000, OutputTokens: 1000, CachedTokens: 1000, CacheCreationTokens: 1000, ReasoningTokens: 1000}
	f.Fuzz(func(t *testing.T, data []byte) {
		table, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		for name, want := range table.prices {
			p, ok := table.Lookup(name)
			if !ok || p.Model != want.Model {
				t.Fatalf("Lookup(%q) = %q, %v after loading it as %q", name, p.Model, ok, want.Model)
			}
			if usd, ok := table.Cost(name, "", usage); ok && (usd < 0 || math.IsNaN(usd)) {
				t.Fatalf("Cost(%q) = %v", name, usd)
			}
		}
	})
}

func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-12+1e-9*math.Abs(want)
}

func ptr(v float64) *float64 { return &v }

// deref shows a cost pointer's value in failure messages, not its address.
func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
