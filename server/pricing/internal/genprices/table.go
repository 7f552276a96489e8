package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tracium/tracium/server/pricing"
)

// providerOrder lists the dataset's providers whose models the table
// prices (Vertex AI is inside "google", Amazon Bedrock is "aws"). Its
// order decides a name that models of several providers claim, since a
// span names its model, not who served it: the model's maker first, then
// the hosts.
var providerOrder = []string{
	"openai", "anthropic", "google", "mistral", "deepseek", "x-ai",
	"groq", "aws", "azure", "openrouter",
}

// candidate is one model of the dataset on its way into the table.
type candidate struct {
	provider string
	model    *model
	rank     int // position in providerOrder, then in the dataset
	prices   resolved
	// names are the lower-cased names the model is known by: its id and
	// the literal names its own match clause matches.
	names []string
}

// generated is the table and what the generator had to leave out.
type generated struct {
	file pricing.File
	// unbillable are models priced by something other than tokens.
	unbillable []string
	// later are models whose price changes after the dataset's date.
	later []string
}

func generate(d *dataset) (*generated, error) {
	asOf, err := time.Parse(time.DateOnly, d.Published)
	if err != nil {
		return nil, err
	}
	all, err := candidates(d, asOf)
	if err != nil {
		return nil, err
	}
	owner := owners(d, all)
	names := make(map[*candidate][]string)
	for k, c := range owner {
		names[c] = append(names[c], k)
	}
	g := &generated{}
	for _, c := range all {
		id := c.provider + " " + c.model.ID
		if !c.prices.billable {
			g.unbillable = append(g.unbillable, id)
			continue
		}
		owned := names[c]
		if len(owned) == 0 {
			continue // every name is another model's: it is priced as that one
		}
		slices.Sort(owned)
		name := pricing.Canonical(c.model.ID)
		if i := slices.Index(owned, name); i >= 0 {
			owned = slices.Delete(owned, i, i+1)
		} else {
			name, owned = owned[0], owned[1:]
		}
		if c.prices.later != "" {
			g.later = append(g.later, fmt.Sprintf("%s (%s)", id, c.prices.later))
		}
		g.file.Models = append(g.file.Models, pricing.Entry{
			Name: name, Aliases: owned, Provider: c.provider,
			Rates: c.prices.rates, Tiers: c.prices.tiers,
		})
	}
	g.file.AsOf = d.Published
	g.file.Source = d.Package + " " + d.Version
	g.file.Sources = []string{d.Homepage}
	g.file.Notes = g.notes(d)
	return g, nil
}

// candidates returns the models of providerOrder's providers, in rank
// order, with their prices resolved on asOf.
func candidates(d *dataset, asOf time.Time) ([]*candidate, error) {
	var all []*candidate
	for _, id := range providerOrder {
		i := slices.IndexFunc(d.Providers, func(p provider) bool { return p.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("dataset has no provider %q", id)
		}
		p := &d.Providers[i]
		for j := range p.Models {
			m := &p.Models[j]
			res, err := resolve(m.Prices, asOf)
			if err != nil {
				return nil, fmt.Errorf("%s model %q: prices: %w", p.ID, m.ID, err)
			}
			c := &candidate{provider: p.ID, model: m, rank: len(all), prices: res,
				names: []string{strings.ToLower(strings.TrimSpace(m.ID))}}
			for _, n := range m.Match.literals() {
				if m.Match.matches(n) {
					c.names = append(c.names, n)
				}
			}
			all = append(all, c)
		}
	}
	return all, nil
}

// owners maps every name of every candidate, in Tracium's canonical form,
// to the model that prices it (see ownerOf). Spellings that canonicalise
// alike (claude-3.5 and claude-3-5) go to the best-ranked of their owners.
func owners(d *dataset, all []*candidate) map[string]*candidate {
	owner := make(map[string]*candidate)
	for _, c := range all {
		for _, n := range c.names {
			o := ownerOf(d, all, n)
			k := pricing.Canonical(n)
			if cur, ok := owner[k]; o != nil && (!ok || o.rank < cur.rank) {
				owner[k] = o
			}
		}
	}
	return owner
}

// ownerOf returns the model that prices name. A name that genai-prices
// prices given alone (see calcPrice) is that model's. Any other name is
// one that only a provider's own API answers with (Bedrock's
// "us.anthropic.claude-..."): it belongs to the first provider in
// providerOrder that spells it out, and within it to the first model whose
// clause matches it, or else to the model that spells it.
func ownerOf(d *dataset, all []*candidate, name string) *candidate {
	if c := calcPrice(d, all, name); c != nil {
		return c
	}
	for _, id := range providerOrder {
		var naming *candidate
		for _, c := range all {
			if c.provider == id && slices.Contains(c.names, name) {
				naming = c
				break
			}
		}
		if naming != nil {
			return cmp.Or(firstMatch(all, id, name), naming)
		}
	}
	return nil
}

// calcPrice finds the model genai-prices' calcPrice prices name as when
// no provider is given: the first provider (in the dataset's order) whose
// model_match matches the name, the first of its models whose clause
// matches, else of its fallback providers' models; failing that, the same
// again with compact dates spelt out ("-20250929" as "-2025-09-29"). It
// returns nil when that model is not one of providerOrder's.
func calcPrice(d *dataset, all []*candidate, name string) *candidate {
	var p *provider
	for i := range d.Providers {
		if m := d.Providers[i].ModelMatch; m != nil && m.matches(name) {
			p = &d.Providers[i]
			break
		}
	}
	if p == nil {
		return nil
	}
	for _, n := range []string{name, spellDates(name)} {
		if c := firstMatch(all, p.ID, n); c != nil {
			return c
		}
		for _, fb := range p.FallbackModelProviders {
			if c := firstMatch(all, fb, n); c != nil {
				return c
			}
		}
	}
	return nil
}

// firstMatch returns the first of provider's models whose clause matches
// name, or nil.
func firstMatch(all []*candidate, provider, name string) *candidate {
	for _, c := range all {
		if c.provider == provider && c.model.Match.matches(name) {
			return c
		}
	}
	return nil
}

// compactDate is a date written without dashes inside a model name, as
// genai-prices spells it out before its second try.
var compactDate = regexp.MustCompile(`-(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(-|:|$)`)

func spellDates(name string) string {
	return compactDate.ReplaceAllStringFunc(name, func(m string) string {
		g := compactDate.FindStringSubmatch(m)
		if _, err := time.Parse("20060102", g[1]+g[2]+g[3]); err != nil {
			return m
		}
		return "-" + g[1] + "-" + g[2] + "-" + g[3] + g[4]
	})
}

func (g *generated) notes(d *dataset) []string {
	notes := []string{
		fmt.Sprintf("Generated by make prices from %s %s (released %s, %s license) by server/pricing/internal/genprices: edit the generator, not this file; an operator's own prices go in a file named by TRACIUM_PRICES_FILE.",
			d.Package, d.Version, d.Published, d.License),
		"USD per million tokens. Usage is billed by one formula for every provider: (input - cached - cache_creation)*input + cached*cached_input + cache_creation*cache_write + output*output, a missing cache price meaning the input price; a tier replaces all prices when the input count is above its threshold.",
		"Providers: " + strings.Join(providerOrder, ", ") + " (google includes Vertex AI, aws is Amazon Bedrock). A name is priced as genai-prices prices it given alone (the provider whose model_match matches, then its first model whose clause matches); a name only a provider's own API uses goes to the first provider in this order that spells it out.",
		"Names: an entry is the dataset's model id with, as aliases, the literal names its match clause spells out; dated and versioned releases of any of them (store.ModelNames) find it too. Names the dataset matches only by a wider prefix, substring or pattern are not priced.",
		"Prices are those in force on as_of; where one depends on the time of day (DeepSeek's off-peak discount), the price in force for most of the day.",
		"Not modelled, since usage counts do not tell them apart: 1-hour cache writes (billed as 5-minute ones), audio, image and video tokens (billed as text), reasoning priced apart from output, web searches and other per-call fees.",
	}
	if len(g.later) > 0 {
		notes = append(notes, "Price changes dated after as_of, not applied until the table is regenerated: "+strings.Join(g.later, ", ")+".")
	}
	if len(g.unbillable) > 0 {
		notes = append(notes, "Left out, priced by audio duration or pages rather than tokens: "+strings.Join(g.unbillable, ", ")+".")
	}
	return notes
}

// encode writes the table with one model per line, so that a new dataset
// release shows as a readable diff.
func (g *generated) encode() ([]byte, error) {
	var b bytes.Buffer
	val := func(v any) error {
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		return nil
	}
	f := g.file
	b.WriteString("{\n")
	for _, kv := range []struct {
		key string
		v   any
	}{{"as_of", f.AsOf}, {"source", f.Source}, {"sources", f.Sources}} {
		fmt.Fprintf(&b, "  %q: ", kv.key)
		if err := val(kv.v); err != nil {
			return nil, err
		}
		b.WriteString(",\n")
	}
	b.WriteString("  \"notes\": [\n")
	for i, n := range f.Notes {
		b.WriteString("    ")
		if err := val(n); err != nil {
			return nil, err
		}
		b.WriteString(separator(i, len(f.Notes)))
	}
	b.WriteString("  ],\n  \"models\": [\n")
	for i, m := range f.Models {
		b.WriteString("    ")
		if err := val(m); err != nil {
			return nil, err
		}
		b.WriteString(separator(i, len(f.Models)))
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes(), nil
}

// separator ends the i-th of n lines of a JSON array.
func separator(i, n int) string {
	if i < n-1 {
		return ",\n"
	}
	return "\n"
}
