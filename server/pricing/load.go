package pricing

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// file is the format of prices.json and of an operator's own table:
//
//	{
//	  "as_of": "2026-11-24",
//	  "sources": ["https://..."],
//	  "notes": ["..."],
//	  "models": [
//	    {"name": "gemini-2.5-pro", "provider": "google",
//	     "input": 1.25, "cached_input": 0.125, "output": 10,
//	     "tiers": [{"above_prompt_tokens": 200000,
//	                "input": 2.5, "cached_input": 0.25, "output": 15}]}
//	  ]
//	}
//
// Prices are USD per million tokens. Sources and notes are for the people
// who keep the file; the loader only checks they are strings.
type file struct {
	AsOf    string   `json:"as_of"`
	Sources []string `json:"sources"`
	Notes   []string `json:"notes"`
	Models  []Price  `json:"models"`
}

// LoadFile reads a price table from the file at path, in the format Load
// takes.
func LoadFile(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load prices: %w", err)
	}
	defer f.Close()
	t, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Load reads a price table in the format of the embedded prices.json.
// Unknown fields are errors rather than ignored, so that a misspelt
// "cached_imput" does not silently bill cache reads at the input price.
func Load(r io.Reader) (*Table, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("price table: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("price table: data after the closing brace")
	}
	t, err := build(f)
	if err != nil {
		return nil, fmt.Errorf("price table: %w", err)
	}
	return t, nil
}

func build(f file) (*Table, error) {
	if f.AsOf != "" {
		if _, err := time.Parse(time.DateOnly, f.AsOf); err != nil {
			return nil, fmt.Errorf("as_of %q is not a YYYY-MM-DD date", f.AsOf)
		}
	}
	if len(f.Models) == 0 {
		return nil, errors.New("no models")
	}
	t := &Table{asOf: f.AsOf, prices: make(map[string]Price, len(f.Models))}
	for i, p := range f.Models {
		p.Model = canonical(p.Model)
		if p.Model == "" {
			return nil, fmt.Errorf("models[%d]: missing name", i)
		}
		if err := validate(p); err != nil {
			return nil, fmt.Errorf("models[%d] %q: %w", i, p.Model, err)
		}
		if _, dup := t.prices[p.Model]; dup {
			return nil, fmt.Errorf("models[%d] %q: listed twice", i, p.Model)
		}
		t.prices[p.Model] = p
	}
	return t, nil
}

func validate(p Price) error {
	switch p.Provider {
	case ProviderOpenAI, ProviderAnthropic, ProviderGoogle:
	case "":
		return errors.New("missing provider")
	default:
		return fmt.Errorf("unknown provider %q (want %q, %q or %q)",
			p.Provider, ProviderOpenAI, ProviderAnthropic, ProviderGoogle)
	}
	if err := p.Rates.validate(); err != nil {
		return err
	}
	var prev int64
	for j, tier := range p.Tiers {
		if tier.AbovePromptTokens <= prev {
			return fmt.Errorf("tiers[%d]: above_prompt_tokens must be positive and increasing", j)
		}
		prev = tier.AbovePromptTokens
		if err := tier.Rates.validate(); err != nil {
			return fmt.Errorf("tiers[%d]: %w", j, err)
		}
	}
	return nil
}

func (r Rates) validate() error {
	for _, f := range []struct {
		name  string
		price float64
	}{
		{"input", r.Input},
		{"output", r.Output},
		{"cached_input", r.CachedInput},
		{"cache_write", r.CacheWrite},
	} {
		if f.price < 0 {
			return fmt.Errorf("negative %s price %v", f.name, f.price)
		}
	}
	return nil
}
