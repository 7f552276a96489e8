package estimate_test

import (
	"encoding/json"
	"strings"
	"testing"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/server/pricing"
	"github.com/tracium/tracium/server/pricing/estimate"
	"github.com/tracium/tracium/store"
)

// benchSpan is a streamed gpt-4o-mini call without usage whose input and
// output hold about size bytes of English text, two thirds of it input.
func benchSpan(b *testing.B, size int) store.Span {
	b.Helper()
	const sentence = "Tracium records every LLM call with its prompt, its answer and what it cost. "
	text := func(n int) string { return strings.Repeat(sentence, max(n/len(sentence), 1)) }
	in, err := json.Marshal(tracium.Chat{Messages: []tracium.Message{
		tracium.TextMessage(tracium.RoleSystem, "You are terse."),
		tracium.TextMessage(tracium.RoleUser, text(size*2/3)),
	}})
	if err != nil {
		b.Fatal(err)
	}
	out, err := json.Marshal(tracium.Chat{Messages: []tracium.Message{{Role: tracium.RoleAssistant,
		Parts: []tracium.Part{tracium.TextPart(text(size / 3))}, FinishReason: "stop"}}})
	if err != nil {
		b.Fatal(err)
	}
	return store.Span{Type: store.SpanLLM, Model: "gpt-4o-mini-2024-07-18", Input: in, Output: out,
		Attributes: json.RawMessage(`{"stream":true,"usage_missing":true}`)}
}

// BenchmarkApply prices one span as the writer does for every span: a
// span that reported usage (the peer: what every span costs today) beside
// spans whose usage is estimated, small, at the MaxText cap, and far past
// it.
func BenchmarkApply(b *testing.B) {
	table := pricing.Default()
	reported := benchSpan(b, 2<<10)
	reported.Usage = &store.Usage{InputTokens: 500, OutputTokens: 250, TotalTokens: 750}
	reported.Attributes = json.RawMessage(`{"stream":true}`)
	cases := []struct {
		name string
		span store.Span
	}{
		{"reported usage", reported},
		{"estimated 2KiB", benchSpan(b, 2<<10)},
		{"estimated 64KiB", benchSpan(b, estimate.MaxText)},
		{"estimated 4MiB", benchSpan(b, 4<<20)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.span.Input) + len(c.span.Output)))
			b.ReportAllocs()
			table.Apply(&store.Span{}) // the tokenizers' vocabularies load once, outside the timing
			estimate.Span(&store.Span{Type: store.SpanLLM, Input: c.span.Input, Attributes: c.span.Attributes})
			for b.Loop() {
				s := c.span
				table.Apply(&s)
				if s.CostUSD == nil {
					b.Fatal("no cost")
				}
			}
		})
	}
}

// BenchmarkParseChat is the JSON decoding alone of the spans above, to
// tell it from the tokenizing.
func BenchmarkParseChat(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{{"2KiB", 2 << 10}, {"64KiB", estimate.MaxText}, {"4MiB", 4 << 20}} {
		s := benchSpan(b, c.size)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(s.Input) + len(s.Output)))
			for b.Loop() {
				tracium.ParseChat(s.Input)
				tracium.ParseChat(s.Output)
			}
		})
	}
}
