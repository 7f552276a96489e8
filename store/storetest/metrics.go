package storetest

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

func runMetrics(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	root := span(tid, "", "root", 0, 3*time.Hour)
	root.AgentName = "planner"
	u := store.Usage{InputTokens: 10, OutputTokens: 5, CachedTokens: 2, CacheCreationTokens: 1, ReasoningTokens: 3, TotalTokens: 15}
	mk := func(model, agent string, offset time.Duration, ms int, failed bool) store.Span {
		s := llmSpan(tid, root.SpanID, model, offset, time.Duration(ms)*time.Millisecond, u, 0.01)
		s.AgentName = agent
		if failed {
			s.Status = store.StatusError
		}
		return s
	}
	spans := []store.Span{
		root, // an agent span: not an LLM call, not counted
		mk("gpt-4o", "planner", 0, 100, false),
		mk("gpt-4o", "planner", time.Minute, 400, true),
		mk("gpt-4o", "writer", 2*time.Minute, 300, false),
		mk("gpt-4o", "writer", 70*time.Minute, 200, false),
		mk("claude", "writer", 80*time.Minute, 1000, false),
		mk("late", "writer", 5*time.Hour, 1, false), // outside the range queried
	}
	emb := llmSpan(tid, root.SpanID, "text-embedding-3-small", 90*time.Minute, 50*time.Millisecond, store.Usage{InputTokens: 8, TotalTokens: 8}, 0.001)
	emb.Type = store.SpanEmbedding
	emb.AgentName = "writer"
	unknown := span(tid, root.SpanID, "no model", 91*time.Minute, 10*time.Millisecond)
	unknown.Type = store.SpanLLM
	spans = append(spans, emb, unknown)
	b.write(t, spans...)

	q := func(g store.GroupBy) map[string]store.UsageRow {
		t.Helper()
		rows, err := b.store.UsageMetrics(b.ctx, b.project.ID, store.UsageQuery{Since: base, Until: base.Add(3 * time.Hour), GroupBy: g})
		if err != nil {
			t.Fatalf("UsageMetrics(%s): %v", g, err)
		}
		m := map[string]store.UsageRow{}
		for i, r := range rows {
			if i > 0 && rows[i-1].Key >= r.Key {
				t.Errorf("rows not in key order: %q then %q", rows[i-1].Key, r.Key)
			}
			m[r.Key] = r
		}
		return m
	}

	t.Run("ByModel", func(t *testing.T) {
		m := q(store.GroupByModel)
		if len(m) != 4 {
			t.Fatalf("got keys %v, want gpt-4o, claude, text-embedding-3-small, unknown", keys(m))
		}
		g := m["gpt-4o"]
		mustEqual(t, "count", g.Count, int64(4))
		mustEqual(t, "errors", g.ErrorCount, int64(1))
		approx(t, "error rate", g.ErrorRate, 0.25)
		mustEqual(t, "usage", g.Usage, store.Usage{InputTokens: 40, OutputTokens: 20, CachedTokens: 8, CacheCreationTokens: 4, ReasoningTokens: 12, TotalTokens: 60})
		approx(t, "cost", g.CostUSD, 0.04)
		approx(t, "p50", g.LatencyP50MS, 250)
		approx(t, "p95", g.LatencyP95MS, 385)
		approx(t, "p99", g.LatencyP99MS, 397)
		c := m["claude"]
		approx(t, "single-value p95", c.LatencyP95MS, 1000)
		mustEqual(t, "unknown model count", m["unknown"].Count, int64(1))
		mustEqual(t, "embedding tokens", m["text-embedding-3-small"].Usage.InputTokens, int64(8))
	})
	t.Run("ByAgent", func(t *testing.T) {
		m := q(store.GroupByAgentName)
		mustEqual(t, "planner count", m["planner"].Count, int64(2))
		mustEqual(t, "writer count", m["writer"].Count, int64(4))
		mustEqual(t, "unknown agent count", m["unknown"].Count, int64(1))
	})
	t.Run("ByHour", func(t *testing.T) {
		m := q(store.GroupByHour)
		first, second := base.Format(time.RFC3339), base.Add(time.Hour).Format(time.RFC3339)
		if len(m) != 2 {
			t.Fatalf("got buckets %v, want %s and %s", keys(m), first, second)
		}
		mustEqual(t, "first hour", m[first].Count, int64(3))
		mustEqual(t, "second hour", m[second].Count, int64(4))
		mustEqual(t, "bucket time", m[second].Bucket, base.Add(time.Hour))
	})
	t.Run("ByDay", func(t *testing.T) {
		m := q(store.GroupByDay)
		day := base.Truncate(24 * time.Hour)
		mustEqual(t, "day count", m[day.Format(time.RFC3339)].Count, int64(7))
	})
	t.Run("BadGrouping", func(t *testing.T) {
		_, err := b.store.UsageMetrics(b.ctx, b.project.ID, store.UsageQuery{GroupBy: "week"})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
}

func keys(m map[string]store.UsageRow) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func approx(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
