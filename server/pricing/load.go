package pricing

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// File is the format of prices.json and of an operator's own table
// (TRACIUM_PRICES_FILE):
//
//	{
//	  "as_of": "2026-09-23",
//	  "source": "@pydantic/genai-prices 0.1.8",
//	  "sources": ["https://..."],
//	  "notes": ["..."],
//	  "models": [
//	    {"name": "gemini-2.5-pro", "aliases": ["gemini-2.5-pro-preview"],
//	     "provider": "google", "input": 1.25, "cached_input": 0.125, "output": 10,
//	     "tiers": [{"above_prompt_tokens": 200000,
//	                "input": 2.5, "cached_input": 0.25, "output": 15}]}
//	  ]
//	}
//
// Prices are USD per million tokens. Sources and notes are for the people
// who keep the file; the loader only checks they are strings.
type File struct {
	// AsOf is the day the prices were taken, YYYY-MM-DD.
	AsOf string `json:"as_of"`
	// Source names the dataset the file was generated from, with its
	// version; empty for a table typed by hand.
	Source  string   `json:"source,omitempty"`
	Sources []string `json:"sources,omitempty"`
	Notes   []string `json:"notes,omitempty"`
	Models  []Entry  `json:"models"`
}

// Entry is one model of a File: its name, the other names it is known by,
// and its prices.
type Entry struct {
	Name string `json:"name"`
	// Aliases are other names of the same model at the same price; each
	// is matched like Name, releases included.
	Aliases []string `json:"aliases,omitempty"`
	// Provider is informational (see Price.Provider).
	Provider string `json:"provider,omitempty"`
	Rates
	// Tiers must be in increasing order of AbovePromptTokens.
	Tiers []Tier `json:"tiers,omitempty"`
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

// Load reads a price table in the File format. Unknown fields are errors
// rather than ignored, so that a misspelt "cached_imput" does not silently
// bill cache reads at the input price.
func Load(r io.Reader) (*Table, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f File
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

func build(f File) (*Table, error) {
	if f.AsOf != "" {
		if _, err := time.Parse(time.DateOnly, f.AsOf); err != nil {
			return nil, fmt.Errorf("as_of %q is not a YYYY-MM-DD date", f.AsOf)
		}
	}
	if len(f.Models) == 0 {
		return nil, errors.New("no models")
	}
	t := &Table{asOf: f.AsOf, source: f.Source, entries: len(f.Models),
		prices: make(map[string]*Price, len(f.Models))}
	for i, e := range f.Models {
		p := &Price{Model: Canonical(e.Name), Provider: e.Provider, Rates: e.Rates, Tiers: e.Tiers}
		if p.Model == "" {
			return nil, fmt.Errorf("models[%d]: missing name", i)
		}
		if err := validate(p); err != nil {
			return nil, fmt.Errorf("models[%d] %q: %w", i, p.Model, err)
		}
		for j, name := range append([]string{e.Name}, e.Aliases...) {
			key := Canonical(name)
			if key == "" {
				return nil, fmt.Errorf("models[%d] %q: aliases[%d] is empty", i, p.Model, j-1)
			}
			if prev, dup := t.prices[key]; dup {
				if prev == p {
					continue // an alias that canonicalises to another name of the entry
				}
				return nil, fmt.Errorf("models[%d] %q: %q listed twice", i, p.Model, key)
			}
			t.prices[key] = p
		}
	}
	return t, nil
}

func validate(p *Price) error {
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
