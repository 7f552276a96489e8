package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/server/pricing"
)

const (
	datasetFile = "genai-prices.json"
	tableFile   = "../../prices.json"
)

type testBundle struct {
	dataset *dataset
	table   *pricing.Table
}

// setup reads the committed dataset and the committed table generated
// from it: the test never downloads anything.
func setup(t *testing.T) testBundle {
	t.Helper()
	raw, err := os.ReadFile(datasetFile)
	if err != nil {
		t.Fatal(err)
	}
	d, err := decodeDataset(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	table, err := pricing.LoadFile(tableFile)
	if err != nil {
		t.Fatal(err)
	}
	return testBundle{dataset: d, table: table}
}

// TestCommittedTableIsGenerated regenerates the table from the committed
// dataset: the committed prices.json must be exactly what make prices
// writes, so it is neither edited by hand nor stale.
func TestCommittedTableIsGenerated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	g, err := generate(b.dataset)
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.encode()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(tableFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("server/pricing/prices.json differs from what the committed dataset generates: run make prices")
	}
	again, _ := generate(b.dataset)
	if b2, _ := again.encode(); !bytes.Equal(got, b2) {
		t.Fatal("two runs of the generator on the same dataset differ")
	}
	if b.table.AsOf() != b.dataset.Published || b.table.Source() != b.dataset.Package+" "+b.dataset.Version {
		t.Errorf("table as of %q from %q, want %q from %s %s", b.table.AsOf(), b.table.Source(), b.dataset.Published, b.dataset.Package, b.dataset.Version)
	}
}

// TestEveryModelIDHasAPrice looks every model id of every provider the
// table covers up in the generated table. A model billed per token must
// resolve, and to its own prices unless a model ranked before it claims
// the same id: a provider earlier in providerOrder that names it too, or
// an earlier model of its provider whose match clause matches it. Models billed only by audio duration
// or pages must be the ones the table's notes list as left out.
func TestEveryModelIDHasAPrice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	asOf, _ := time.Parse(time.DateOnly, b.dataset.Published)
	all, err := candidates(b.dataset, asOf)
	if err != nil {
		t.Fatal(err)
	}
	owner := owners(b.dataset, all)
	perProvider := map[string]int{}
	for _, c := range all {
		id := c.model.ID
		p, ok := b.table.Lookup(id)
		if !c.prices.billable {
			if ok {
				t.Errorf("%s %s: priced %+v, but the dataset bills it by something other than tokens", c.provider, id, p.Rates)
			}
			continue
		}
		if !ok {
			t.Errorf("%s %s: no price", c.provider, id)
			continue
		}
		perProvider[c.provider]++
		o := owner[pricing.Canonical(id)]
		if o.rank > c.rank {
			t.Errorf("%s %s: priced as %s %s, which ranks after it", c.provider, id, o.provider, o.model.ID)
		}
		if p.Rates != o.prices.rates || !slices.Equal(p.Tiers, o.prices.tiers) {
			t.Errorf("%s %s: priced %+v %+v, want %s %s's %+v %+v", c.provider, id, p.Rates, p.Tiers,
				o.provider, o.model.ID, o.prices.rates, o.prices.tiers)
		}
	}
	for _, id := range providerOrder {
		if perProvider[id] == 0 {
			t.Errorf("provider %s: no model priced", id)
		}
	}
	t.Logf("models priced per provider: %v; table entries: %d", perProvider, b.table.Len())
}

// TestOwnNamesResolveToTheirModel checks the aliases: every literal name
// a model's match clause spells out finds that model, unless the dataset's
// matching gives the name to a model ranked before it.
func TestOwnNamesResolveToTheirModel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	asOf, _ := time.Parse(time.DateOnly, b.dataset.Published)
	all, err := candidates(b.dataset, asOf)
	if err != nil {
		t.Fatal(err)
	}
	owner := owners(b.dataset, all)
	checked := 0
	for _, c := range all {
		for _, n := range c.names {
			o := owner[pricing.Canonical(n)]
			if !o.prices.billable {
				continue
			}
			p, ok := b.table.Lookup(n)
			if !ok || p.Model != entryName(o, owner) {
				t.Errorf("%q (a name of %s %s): found %q, %v; want %s %s", n, c.provider, c.model.ID, p.Model, ok, o.provider, o.model.ID)
			}
			checked++
		}
	}
	if checked < 1000 {
		t.Errorf("checked %d names, want the dataset's thousand or more", checked)
	}
}

// entryName is the name of o's entry: its id when o owns it, else the
// first of the names it owns.
func entryName(o *candidate, owner map[string]*candidate) string {
	if id := pricing.Canonical(o.model.ID); owner[id] == o {
		return id
	}
	var owned []string
	for k, c := range owner {
		if c == o {
			owned = append(owned, k)
		}
	}
	return slices.Min(owned)
}

func TestClauseMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		clause string
		name   string
		want   bool
	}{
		{`{"equals":"gpt-4o"}`, "gpt-4o", true},
		{`{"equals":"GPT-4o"}`, "gpt-4o", true},
		{`{"equals":"gpt-4o"}`, "gpt-4o-mini", false},
		{`{"starts_with":"claude-sonnet-4-5"}`, "claude-sonnet-4-5-20250929", true},
		{`{"starts_with":"claude-sonnet-4-5"}`, "claude-sonnet-4", false},
		{`{"ends_with":"gemini-2.0-flash"}`, "models/gemini-2.0-flash", true},
		{`{"contains":"claude-3-5-haiku"}`, "anthropic.claude-3-5-haiku-v1", true},
		{`{"regex":"^grok-4\\.3-\\d{8}$"}`, "grok-4.3-20260101", true},
		{`{"regex":"^grok-4\\.3-\\d{8}$"}`, "grok-4.3", false},
		{`{"or":[{"equals":"a"},{"equals":"b"}]}`, "b", true},
		{`{"or":[{"equals":"a"},{"equals":"b"}]}`, "c", false},
		// A leading negative lookahead, which RE2 lacks, excludes names.
		{`{"and":[{"starts_with":"gemini-2.5-pro"},{"regex":"^(?!.*-[tT][tT][sS](?:$|-))"}]}`, "gemini-2.5-pro-preview-06-05", true},
		{`{"and":[{"starts_with":"gemini-2.5-pro"},{"regex":"^(?!.*-[tT][tT][sS](?:$|-))"}]}`, "gemini-2.5-pro-preview-tts", false},
		// Mistral's model_match: no routing prefix, then a family name.
		{`{"regex":"^(?![^/]+/)(?:labs-)?(?:(?:mi|code|dev|magi|mini)stral|mixtral)"}`, "codestral-2508", true},
		{`{"regex":"^(?![^/]+/)(?:labs-)?(?:(?:mi|code|dev|magi|mini)stral|mixtral)"}`, "mistralai/codestral-2508", false},
		{`{"regex":"^(?![^/]+/)(?:labs-)?(?:(?:mi|code|dev|magi|mini)stral|mixtral)"}`, "gpt-4o", false},
	}
	for _, tt := range tests {
		t.Run(tt.clause+" "+tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustClause(t, tt.clause)
			if got := c.matches(tt.name); got != tt.want {
				t.Errorf("matches(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestClauseLiterals(t *testing.T) {
	t.Parallel()
	c := mustClause(t, `{"or":[{"equals":"Claude-Opus-4"},{"starts_with":"claude-opus-4-0"},{"contains":"claude-sonnet-4@"},{"starts_with":"ft:gpt-4o-2024-"},{"regex":"^x-\\d+$"},{"and":[{"starts_with":"gemini-2.5-pro"},{"regex":"^(?!.*-tts)"}]}]}`)
	want := []string{"claude-opus-4", "claude-opus-4-0", "gemini-2.5-pro"}
	if got := c.literals(); !slices.Equal(got, want) {
		t.Errorf("literals = %q, want %q (prefixes ending in a separator and regexes left out)", got, want)
	}
}

func TestClauseErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ clause, want string }{
		{`{}`, "want one operator, have 0"},
		{`{"equals":"a","contains":"b"}`, "want one operator, have 2"},
		{`{"regex":"^(?!a)b|c"}`, "lookahead"},
		{`{"regex":"^(?!a(?=b))"}`, "lookahead"},
		{`{"regex":"^(?!a"}`, "unclosed"},
		{`{"regex":"(?<=a)b"}`, "regex"},
		{`{"or":[{"bogus":"a"}]}`, `unknown field "bogus"`},
	} {
		_, err := decodeDataset(strings.NewReader(`{"package":"p","version":"1","published":"2026-01-01","providers":[{"id":"x","models":[{"id":"m","match":` + tt.clause + `,"prices":{}}]}]}`))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("clause %s: error %v, want one containing %q", tt.clause, err, tt.want)
		}
	}
}

func TestResolvePrices(t *testing.T) {
	t.Parallel()
	asOf := time.Date(2026, 9, 23, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		prices    string
		want      pricing.Rates
		wantTiers []pricing.Tier
		billable  bool
		later     string
	}{
		{
			name:     "flat",
			prices:   `{"input_mtok":2.5,"cache_read_mtok":1.25,"output_mtok":10,"web_searches_kcount":10}`,
			want:     pricing.Rates{Input: 2.5, CachedInput: 1.25, Output: 10},
			billable: true,
		},
		{
			// Tiers of different keys start at different sizes: one Tracium
			// tier per start, each key at its price for that size.
			name: "tiers",
			prices: `{"input_mtok":{"base":1,"tiers":[{"start":200000,"price":2},{"start":100000,"price":1.5}]},` +
				`"output_mtok":{"base":10,"tiers":[{"start":200000,"price":15}]},"cache_read_mtok":0.1}`,
			want: pricing.Rates{Input: 1, Output: 10, CachedInput: 0.1},
			wantTiers: []pricing.Tier{
				{AbovePromptTokens: 100000, Rates: pricing.Rates{Input: 1.5, Output: 10, CachedInput: 0.1}},
				{AbovePromptTokens: 200000, Rates: pricing.Rates{Input: 2, Output: 15, CachedInput: 0.1}},
			},
			billable: true,
		},
		{
			name:     "dated change in force",
			prices:   `[{"prices":{"input_mtok":10,"output_mtok":40}},{"constraint":{"start_date":"2025-06-10","type":"start_date"},"prices":{"input_mtok":2,"output_mtok":8}}]`,
			want:     pricing.Rates{Input: 2, Output: 8},
			billable: true,
		},
		{
			name:     "dated change to come",
			prices:   `[{"prices":{"input_mtok":0.75,"output_mtok":3.75}},{"constraint":{"start_date":"2027-01-01","type":"start_date"},"prices":{"input_mtok":1.5,"output_mtok":7.5}}]`,
			want:     pricing.Rates{Input: 0.75, Output: 3.75},
			billable: true, later: "2027-01-01",
		},
		{
			// DeepSeek: off-peak first, the standard price for 16 hours a day.
			name: "time of day: the price for most of the day",
			prices: `[{"prices":{"input_mtok":0.135,"output_mtok":0.55}},` +
				`{"constraint":{"start_time":"00:30:00Z","end_time":"16:30:00Z","type":"time_of_date"},"prices":{"input_mtok":0.27,"output_mtok":1.1}}]`,
			want:     pricing.Rates{Input: 0.27, Output: 1.1},
			billable: true,
		},
		{
			name: "time of day: short peak windows keep the base",
			prices: `[{"prices":{"input_mtok":0.14,"output_mtok":0.28}},{"constraint":{"start_date":"2026-08-17","type":"start_date"},"prices":{"input_mtok":0.22,"output_mtok":0.66}},` +
				`{"constraint":{"start_time":"01:00:00Z","end_time":"04:00:00Z","type":"time_of_date"},"prices":{"input_mtok":0.44,"output_mtok":1.32}}]`,
			want:     pricing.Rates{Input: 0.22, Output: 0.66},
			billable: true,
		},
		{name: "free", prices: `{}`, want: pricing.Rates{}, billable: true},
		{name: "by the hour", prices: `{"audio_hours":0.36,"input_audio_hours":0.36}`, billable: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := resolve(json.RawMessage(tt.prices), asOf)
			if err != nil {
				t.Fatal(err)
			}
			if got.billable != tt.billable || got.rates != tt.want || !slices.Equal(got.tiers, tt.wantTiers) || got.later != tt.later {
				t.Errorf("resolve = %+v %+v billable=%v later=%q; want %+v %+v billable=%v later=%q",
					got.rates, got.tiers, got.billable, got.later, tt.want, tt.wantTiers, tt.billable, tt.later)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	t.Parallel()
	asOf := time.Date(2026, 9, 23, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct{ prices, want string }{
		{`{"input_mtok":1,"cache_read_mtok":0}`, "cache_read_mtok of zero"},
		{`{"input_mtok":{"base":1,"tiers":[{"start":0,"price":2}]}}`, "not positive"},
		{`{"input_mtok":{"tiers":[]}}`, "without base"},
		{`[{"constraint":{"type":"moon_phase"},"prices":{"input_mtok":1}}]`, "unknown price constraint"},
		{`[]`, "empty price list"},
	} {
		if _, err := resolve(json.RawMessage(tt.prices), asOf); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("resolve(%s) error = %v, want one containing %q", tt.prices, err, tt.want)
		}
	}
}

func TestRunWritesTheTable(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "prices.json")
	if err := run(datasetFile, out); err != nil {
		t.Fatal(err)
	}
	table, err := pricing.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if table.Len() < 500 {
		t.Errorf("generated %d entries, want the dataset's hundreds", table.Len())
	}
	if err := run(filepath.Join(t.TempDir(), "missing.json"), out); err == nil {
		t.Error("run with a missing dataset succeeded")
	}
}

func FuzzDecodeDataset(f *testing.F) {
	if raw, err := os.ReadFile(datasetFile); err == nil {
		f.Add(raw[:min(len(raw), 4096)])
	}
	f.Add([]byte(`{"package":"p","version":"1","published":"2026-01-01","providers":[{"id":"openai","models":[{"id":"m","match":{"or":[{"equals":"m"},{"regex":"^(?!x)"}]},"prices":{"input_mtok":1}}]}]}`))
	asOf := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := decodeDataset(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, p := range d.Providers {
			for _, m := range p.Models {
				m.Match.matches(strings.ToLower(m.ID))
				m.Match.literals()
				_, _ = resolve(m.Prices, asOf)
			}
		}
	})
}

func mustClause(t *testing.T, s string) *clause {
	t.Helper()
	var c clause
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.prepare(); err != nil {
		t.Fatal(err)
	}
	return &c
}
