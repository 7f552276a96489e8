package storetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/tracium/tracium/store"
)

// Fixture shapes the synthetic traces that benchmarks and load tests
// write: realistic variety (agents, models, users, tags, errors) that the
// list filters can select on.
type Fixture struct {
	SpansPerTrace int           // spans in each trace, root included
	PayloadBytes  int           // approximate size of each span's input plus output
	Start         time.Time     // start of trace 0
	Spacing       time.Duration // start of trace i is Start + i*Spacing
}

// Fixture value cardinalities, so that a filter's selectivity is known:
// agent_name matches 1 trace in FixtureAgents, and so on.
const (
	FixtureAgents   = 10
	FixtureModels   = 5
	FixtureUsers    = 1000
	FixtureErrorMod = 20 // every 20th trace has a failed LLM call
)

// Trace returns the spans of trace i: a root agent span and llm and tool
// children, each carrying about PayloadBytes of input and output.
func (f Fixture) Trace(i int) []store.Span {
	tid := NewTraceID()
	start := f.Start.Add(time.Duration(i) * f.Spacing)
	n := max(f.SpansPerTrace, 1)
	half := max(f.PayloadBytes/2-40, 0)
	text := strings.Repeat("the quick brown fox jumps over the lazy dog ", half/44+1)[:half]
	agent := fmt.Sprintf("agent-%d", i%FixtureAgents)
	model := fmt.Sprintf("model-%d", i%FixtureModels)
	spans := make([]store.Span, 0, n)
	root := store.Span{
		TraceID: tid, SpanID: NewSpanID(), Name: "run " + agent, Type: store.SpanAgent,
		StartTime: start, EndTime: start.Add(time.Duration(n+i%7) * 100 * time.Millisecond),
		Input:     rawJSON(map[string]string{"question": fmt.Sprintf("question %d: %s", i, text)}),
		Output:    rawJSON(map[string]string{"answer": text}),
		AgentName: agent, UserID: fmt.Sprintf("user-%d", i%FixtureUsers), SessionID: fmt.Sprintf("session-%d", i/3),
		Tags: []string{"env:bench", fmt.Sprintf("shard:%d", i%4)},
	}
	spans = append(spans, root)
	for j := 1; j < n; j++ {
		s := store.Span{
			TraceID: tid, SpanID: NewSpanID(), ParentSpanID: root.SpanID, AgentName: agent,
			StartTime: start.Add(time.Duration(j) * 100 * time.Millisecond),
			EndTime:   start.Add(time.Duration(j)*100*time.Millisecond + 80*time.Millisecond),
			Input:     rawJSON([]map[string]string{{"role": "user", "content": text}}),
			Output:    rawJSON(map[string]string{"role": "assistant", "content": text}),
		}
		if j%2 == 1 {
			s.Name, s.Type, s.Model, s.Provider = "chat "+model, store.SpanLLM, model, "openai"
			s.Usage = &store.Usage{InputTokens: 500, OutputTokens: 100, CachedTokens: 128, TotalTokens: 600}
			s.CostUSD = ptr(0.0021)
			if i%FixtureErrorMod == 0 && j == 1 {
				s.Status, s.ErrorType, s.ErrorMessage = store.StatusError, "RateLimitError", "429 Too Many Requests"
			}
		} else {
			s.Name, s.Type = "search", store.SpanTool
		}
		spans = append(spans, s)
	}
	return spans
}
