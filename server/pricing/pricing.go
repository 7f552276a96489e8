package pricing

import (
	"bytes"
	_ "embed"
	"slices"
	"sync"
)

// Rates are prices in USD per million tokens.
type Rates struct {
	Input  float64 `json:"input"`
	Output float64 `json:"output"`
	// CachedInput is the price of a cache read; zero means the input price.
	CachedInput float64 `json:"cached_input,omitempty"`
	// CacheWrite is the price of writing to the prompt cache; zero means
	// the input price.
	CacheWrite float64 `json:"cache_write,omitempty"`
}

// Tier replaces the base Rates for a request whose input is longer than
// AbovePromptTokens.
type Tier struct {
	AbovePromptTokens int64 `json:"above_prompt_tokens"`
	Rates
}

// Price is one model's entry in a Table.
type Price struct {
	// Model is the entry's name, lower case: the model the price is for,
	// which may be an alias or release of the name looked up.
	Model string
	// Provider says who sells the model at this price ("openai", "aws",
	// "openrouter"). It is for people reading the table: every provider's
	// usage is billed by the same formula.
	Provider string
	Rates
	// Tiers are in increasing order of AbovePromptTokens.
	Tiers []Tier
}

// Table maps model names to prices. It is immutable once loaded and safe
// for concurrent use. A nil *Table knows no prices.
type Table struct {
	asOf    string
	source  string
	entries int
	prices  map[string]*Price // by canonical name and alias
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

// Default returns the price table embedded in the binary, generated from
// the dataset its Source names.
func Default() *Table { return defaultTable() }

// AsOf returns the table's as_of date (YYYY-MM-DD): the day its prices
// were taken, the release date of the dataset for the embedded table. It
// is "" when the file did not say.
func (t *Table) AsOf() string {
	if t == nil {
		return ""
	}
	return t.asOf
}

// Source returns what the table was made from: the dataset's name and
// version for the embedded table ("@pydantic/genai-prices 0.1.8"), or ""
// when the file did not say (a table typed by hand).
func (t *Table) Source() string {
	if t == nil {
		return ""
	}
	return t.source
}

// Lookup returns the price of model, matched as the package doc describes.
func (t *Table) Lookup(model string) (Price, bool) {
	p, ok := t.lookup(model)
	if !ok {
		return Price{}, false
	}
	out := *p
	// The caller gets its own tiers so that the table stays immutable.
	out.Tiers = slices.Clone(p.Tiers)
	return out, true
}

// Len returns the number of entries in the table (aliases not counted).
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return t.entries
}
