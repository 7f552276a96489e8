// Package storetest is the conformance suite every store.Store backend
// passes. A backend's tests call Run with a function that hands out a
// store; tests isolate themselves by creating their own projects, so one
// database may serve them all.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// NewStore returns the store under test. It may return the same store to
// every caller; Run's tests never assume they are alone in it.
type NewStore func(t *testing.T) store.Store

// Run runs the whole suite against the backend.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	t.Run("Spans", func(t *testing.T) { t.Parallel(); runSpans(t, newStore) })
	t.Run("Traces", func(t *testing.T) { t.Parallel(); runTraces(t, newStore) })
	t.Run("Metrics", func(t *testing.T) { t.Parallel(); runMetrics(t, newStore) })
	t.Run("SpanSearch", func(t *testing.T) { t.Parallel(); runSpanSearch(t, newStore) })
	t.Run("Accounts", func(t *testing.T) { t.Parallel(); runAccounts(t, newStore) })
	t.Run("Isolation", func(t *testing.T) { t.Parallel(); runIsolation(t, newStore) })
	t.Run("Search", func(t *testing.T) { t.Parallel(); testSearch(t, newStore) })
	t.Run("SearchCut", func(t *testing.T) { t.Parallel(); testSearchCut(t, newStore) })
	t.Run("ModelFilters", func(t *testing.T) { t.Parallel(); testModelFilters(t, newStore) })
	t.Run("TreeAndSpan", func(t *testing.T) { t.Parallel(); testTreeAndSpan(t, newStore) })
	t.Run("ResentSpan", func(t *testing.T) { t.Parallel(); testResentSpan(t, newStore) })
	t.Run("WriteLimits", func(t *testing.T) { t.Parallel(); testWriteLimits(t, newStore) })
	t.Run("SaturatingSums", func(t *testing.T) { t.Parallel(); testSaturatingSums(t, newStore) })
	t.Run("BadFilters", func(t *testing.T) { t.Parallel(); testBadFilters(t, newStore) })
	t.Run("TokenConvention", func(t *testing.T) { t.Parallel(); testTokenConvention(t, newStore) })
	t.Run("Conversations", func(t *testing.T) { t.Parallel(); runConversations(t, newStore) })
	t.Run("Export", func(t *testing.T) { t.Parallel(); runExport(t, newStore) })
	t.Run("Scores", func(t *testing.T) { t.Parallel(); runScores(t, newStore) })
}

// testBundle is what most tests need: a store and a project of their own.
type testBundle struct {
	store   store.Store
	project store.Project
	ctx     context.Context
}

func setup(t *testing.T, newStore NewStore) *testBundle {
	t.Helper()
	s := newStore(t)
	ctx := t.Context()
	p, err := s.CreateProject(ctx, "p-"+randomHex(8))
	if err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	return &testBundle{store: s, project: p, ctx: ctx}
}

func (b *testBundle) write(t *testing.T, spans ...store.Span) {
	t.Helper()
	if err := b.store.WriteSpans(b.ctx, b.project.ID, spans); err != nil {
		t.Fatalf("WriteSpans: %v", err)
	}
}

func (b *testBundle) get(t *testing.T, traceID string) store.TraceDetail {
	t.Helper()
	d, err := b.store.GetTrace(b.ctx, b.project.ID, traceID)
	if err != nil {
		t.Fatalf("GetTrace(%s): %v", traceID, err)
	}
	return d
}

// base is the time every fixture is placed around: a whole second so that
// hour and day buckets are predictable, recent so that any retention or
// partition logic treats it as live data.
var base = time.Now().UTC().Truncate(24 * time.Hour).Add(-48 * time.Hour).Add(10 * time.Hour)

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewTraceID and NewSpanID return random ids in the wire format.
func NewTraceID() string { return randomHex(32) }

// NewSpanID returns a random 16-hex-character span id.
func NewSpanID() string { return randomHex(16) }

// span builds a valid span of trace traceID, parent parentID, starting at
// offset from base and lasting dur.
func span(traceID, parentID, name string, offset, dur time.Duration) store.Span {
	return store.Span{
		TraceID:      traceID,
		SpanID:       NewSpanID(),
		ParentSpanID: parentID,
		Name:         name,
		Type:         store.SpanTask,
		StartTime:    base.Add(offset),
		EndTime:      base.Add(offset + dur),
		Status:       store.StatusOK,
	}
}

func llmSpan(traceID, parentID, model string, offset, dur time.Duration, u store.Usage, cost float64) store.Span {
	s := span(traceID, parentID, "chat "+model, offset, dur)
	s.Type = store.SpanLLM
	s.Model = model
	s.Provider = "openai"
	s.Usage = &u
	s.CostUSD = &cost
	return s
}

func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

func mustEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func describe(s store.Span) string {
	return fmt.Sprintf("span %s (%s)", s.SpanID, s.Name)
}
