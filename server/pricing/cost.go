package pricing

import (
	"math"

	"github.com/tracium/tracium/server/pricing/estimate"

	"github.com/tracium/tracium/store"
)

// Cost returns the cost in USD of usage u on model, falling back to
// requestModel when model has no price (a provider may answer with a dated
// name the table lacks while the alias asked for is known). ok is false when
// neither has a price, or when the counts are so large that the cost would
// not be a finite number.
func (t *Table) Cost(model, requestModel string, u store.Usage) (usd float64, ok bool) {
	p, ok := t.lookup(model)
	if !ok {
		p, ok = t.lookup(requestModel)
	}
	if !ok {
		return 0, false
	}
	usd = p.cost(u)
	if math.IsInf(usd, 0) || math.IsNaN(usd) {
		return 0, false
	}
	return usd, true
}

// Apply completes an LLM or embedding span on its way into the store. An
// llm span whose provider reported no token counts gets estimated ones
// first, marked as such (see package estimate). Then CostUSD is set from
// the table when the span has usage and no cost of its own. A cost the
// client sent is kept: it may know of discounts (batch, negotiated rates)
// that the table does not. When no price is known CostUSD stays nil, which
// means unknown, not free. Safe for concurrent use on different spans.
func (t *Table) Apply(s *store.Span) {
	if s == nil {
		return
	}
	estimate.Span(s)
	if s.Usage == nil || s.CostUSD != nil {
		return
	}
	if s.Type != store.SpanLLM && s.Type != store.SpanEmbedding {
		return
	}
	if usd, ok := t.Cost(s.Model, s.RequestModel, *s.Usage); ok {
		s.CostUSD = &usd
	}
}

// cost bills u by the one formula of the package doc. The counts follow
// Tracium's token convention: the input count includes the cache reads
// and writes, the output count includes reasoning.
func (p *Price) cost(u store.Usage) float64 {
	// Counts come from clients; float64 keeps huge ones from overflowing.
	in := counted(u.InputTokens)
	cached := counted(u.CachedTokens)
	written := counted(u.CacheCreationTokens)
	out := counted(u.OutputTokens)

	r := p.ratesFor(in)
	uncached := max(in-cached-written, 0)
	usd := uncached*r.Input + cached*r.cachedInput() + written*r.cacheWrite() + out*r.Output
	return usd / 1e6
}

// ratesFor returns the rates for a request whose input has prompt tokens.
func (p *Price) ratesFor(prompt float64) Rates {
	r := p.Rates
	for _, tier := range p.Tiers {
		if prompt > float64(tier.AbovePromptTokens) {
			r = tier.Rates
		}
	}
	return r
}

func (r Rates) cachedInput() float64 {
	if r.CachedInput == 0 {
		return r.Input
	}
	return r.CachedInput
}

func (r Rates) cacheWrite() float64 {
	if r.CacheWrite == 0 {
		return r.Input
	}
	return r.CacheWrite
}

// counted reads a token count, treating a negative one as none.
func counted(n int64) float64 { return float64(max(n, 0)) }
