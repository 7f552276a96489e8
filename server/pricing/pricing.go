package pricing

import (
	"bytes"
	_ "embed"
	"slices"
	"sync"
)

// The providers a price entry may name. Each stands for how that provider
// reports usage, which decides how the counts are billed (see the package
// doc), not for who serves the model.
const (
	ProviderOpenAI    = "openai"
	ProviderAnthropic = "anthropic"
	ProviderGoogle    = "google"
)

// Rates are prices in USD per million tokens.
type Rates struct {
	Input  float64 `json:"input"`
	Output float64 `json:"output"`
	// CachedInput is the price of a cache read; zero means the input price.
	CachedInput float64 `json:"cached_input,omitempty"`
	// CacheWrite is the price of writing to the prompt cache (Anthropic's
	// cache creation); zero means the input price.
	CacheWrite float64 `json:"cache_write,omitempty"`
}

// Tier replaces the base Rates for a request whose prompt is longer than
// AbovePromptTokens.
type Tier struct {
	AbovePromptTokens int64 `json:"above_prompt_tokens"`
	Rates
}

// Price is one model's entry in a Table.
type Price struct {
	// Model is the table's name for the model, lower case: the key that
	// matched, which may be shorter than the name looked up.
	Model string `json:"name"`
	// Provider is one of the Provider constants.
	Provider string `json:"provider"`
	Rates
	// Tiers are in increasing order of AbovePromptTokens.
	Tiers []Tier `json:"tiers,omitempty"`
}

// Table maps model names to prices. It is immutable once loaded and safe
// for concurrent use. A nil *Table knows no prices.
type Table struct {
	asOf   string
	prices map[string]Price // by canonical name
}

//go:embed prices.json
var embedded []byte

// defaultTable parses the embedded file once, on first use, so that a
// process that never prices anything pays nothing.
var defaultTable = sync.OnceValue(func() *Table {
	t, err := Load(bytes.NewReader(embedded))
	if err != nil {
		// The file is compiled in and checked by the tests.
		panic("pricing: embedded prices.json: " + err.Error())
	}
	return t
})

// Default returns the price table embedded in the binary.
func Default() *Table { return defaultTable() }

// AsOf returns the table's as_of date (YYYY-MM-DD), the day its prices were
// last checked, or "" when the file did not say.
func (t *Table) AsOf() string {
	if t == nil {
		return ""
	}
	return t.asOf
}

// Lookup returns the price of model, matched as the package doc describes.
func (t *Table) Lookup(model string) (Price, bool) {
	p, ok := t.lookup(model)
	if !ok {
		return Price{}, false
	}
	// The caller gets its own tiers so that the table stays immutable.
	p.Tiers = slices.Clone(p.Tiers)
	return p, true
}
