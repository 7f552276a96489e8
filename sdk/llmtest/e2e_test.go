package llmtest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go"

	"github.com/tracium/tracium/internal/collectortest"
	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/store"
)

func startCollector(t *testing.T) (url, key string, st store.Store) {
	t.Helper()
	c := collectortest.Start(t)
	return c.URL, c.APIKey, c.Store
}

// TestEndToEndRealCollector streams an Anthropic answer under a client
// that exports to the real collector, and reads the stored span back.
//
// Not parallel: Init makes the new client the process default. The other
// tests name their client explicitly, so they are not affected.
func TestEndToEndRealCollector(t *testing.T) {
	url, key, st := startCollector(t)
	e2e := tracium.Init(tracium.WithAPIKey(key), tracium.WithEndpoint(url), tracium.WithFlushInterval(20*time.Millisecond))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e2e.Shutdown(ctx)
	})

	fake := newFakeProvider(t, fakeOptions{})
	ctx, run := e2e.AgentTrace(t.Context(), "e2e-agent")
	ac := newAnthropic(fake.URL)
	stream := ac.Messages.NewStreaming(ctx, anthropicParams())
	var msg anthropic.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatalf("Accumulate: %v", err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	stream.Close()
	run.End()
	if err := e2e.Flush(t.Context()); err != nil {
		t.Fatalf("Flush: %v", err)
	}

	project, err := st.GetProjectByName(t.Context(), server.DefaultProject)
	if err != nil {
		t.Fatalf("GetProjectByName: %v", err)
	}
	var llm store.Span
	deadline := time.Now().Add(10 * time.Second)
	for {
		tr, err := st.GetTrace(t.Context(), project.ID, run.TraceID())
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetTrace: %v", err)
		}
		if i := slices.IndexFunc(tr.Spans, func(s store.Span) bool { return s.Type == store.SpanType("llm") }); i >= 0 && len(tr.Spans) >= 2 {
			llm = tr.Spans[i]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s not stored within 10s (%d spans)", run.TraceID(), len(tr.Spans))
		}
		time.Sleep(20 * time.Millisecond)
	}

	if llm.ParentSpanID != run.SpanID() || llm.Provider != "anthropic" || llm.Status != store.StatusOK {
		t.Errorf("stored span parent %q provider %q status %q", llm.ParentSpanID, llm.Provider, llm.Status)
	}
	if llm.Model != anthropicAnswerModel {
		t.Errorf("stored model = %q, want %q", llm.Model, anthropicAnswerModel)
	}
	want := store.Usage{
		InputTokens: anthropicInput + anthropicCacheRead + anthropicCacheCreation, OutputTokens: anthropicOutput,
		CachedTokens: anthropicCacheRead, CacheCreationTokens: anthropicCacheCreation, TotalTokens: anthropicTotal,
	}
	if llm.Usage == nil || *llm.Usage != want {
		t.Errorf("stored usage = %+v, want %+v", llm.Usage, want)
	}
	if !containsJSON(llm.Output, fake.Reply()) {
		t.Errorf("stored output %s does not contain the streamed text %q", llm.Output, fake.Reply())
	}
	if llm.TimeToFirstTokenMS == nil || *llm.TimeToFirstTokenMS <= 0 {
		t.Errorf("stored time_to_first_token_ms = %v, want > 0", llm.TimeToFirstTokenMS)
	}
}
