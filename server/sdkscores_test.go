package server_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/collectortest"
	"github.com/tracium/tracium/internal/pgtest"
	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/store"
)

// TestSDKScores sends scores with the SDK through its exporter into the
// real collector (JetStream, the writer, the store): a score of a trace
// that has not arrived yet is kept and joins the trace when it comes; a
// span's score and an agent run's ride with the spans; a value the
// project's configuration refuses comes back to the error handler — on
// each backend.
func TestSDKScores(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) []collectortest.Option
	}{
		{"sqlite", func(*testing.T) []collectortest.Option { return nil }},
		{"postgres", func(t *testing.T) []collectortest.Option {
			return []collectortest.Option{collectortest.WithDatabase(pgtest.NewDatabase(t))}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testSDKScores(t, collectortest.Start(t, tc.opts(t)...))
		})
	}
}

func testSDKScores(t *testing.T, c *collectortest.Collector) {
	ctx := context.Background()
	if _, err := c.Store.PutScoreConfig(ctx, store.ScoreConfig{ProjectID: c.ProjectID, Name: "helpfulness", Type: store.ScoreNumeric,
		Min: ptr(0.0), Max: ptr(1.0)}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var reported []error
	client := tracium.NewClient(tracium.WithAPIKey(c.APIKey), tracium.WithEndpoint(c.URL), tracium.WithFlushInterval(20*time.Millisecond),
		tracium.WithErrorHandler(func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }))
	t.Cleanup(func() { _ = client.Shutdown(context.Background()) })
	flushed := func() {
		t.Helper()
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := client.Flush(fctx); err != nil {
			t.Fatal(err)
		}
	}

	// The run is still going: its spans have not been sent when the user's
	// feedback arrives.
	rctx, run := client.AgentTrace(ctx, "support-agent")
	tid := run.TraceID()
	if err := client.Score(ctx, tid, "helpfulness", 0.75, tracium.WithScoreComment("the user said so")); err != nil {
		t.Fatal(err)
	}
	flushed()
	early := waitStoredScores(t, c, tid, 1)
	if early[0].Name != "helpfulness" || early[0].Value != store.NumberValue(0.75) || early[0].Source != store.SourceSDK ||
		early[0].Comment != "the user said so" || early[0].AuthorKeyID == 0 {
		t.Errorf("the early score: %+v", early[0])
	}
	if _, err := c.Store.GetTrace(ctx, c.ProjectID, tid); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the trace before its spans: %v", err)
	}

	_, llm := run.Span(rctx, tracium.SpanLLM, "answer")
	llm.SetModel("gpt-4o-mini")
	llm.End()
	if err := llm.Score("correct", true); err != nil {
		t.Fatal(err)
	}
	if err := run.Score("tone", "friendly"); err != nil {
		t.Fatal(err)
	}
	run.End()
	if err := client.Score(ctx, tid, "helpfulness", 3); err != nil { // refused by the collector, not the SDK
		t.Fatal(err)
	}
	flushed()
	c.WaitTrace(t, tid, 2, 10*time.Second)
	all := waitStoredScores(t, c, tid, 3)
	bySpan := map[string]string{}
	for _, sc := range all {
		bySpan[sc.Name] = sc.SpanID
	}
	if bySpan["correct"] != llm.SpanID() || bySpan["tone"] != run.SpanID() || bySpan["helpfulness"] != "" {
		t.Errorf("scores stored on %v", bySpan)
	}
	// The early score now shows with its trace.
	list, err := c.Store.ListTraces(ctx, c.ProjectID, store.TraceFilter{Score: store.ScoreMatch{Name: "helpfulness", Min: ptr(0.5)}}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Traces) != 1 || list.Traces[0].TraceID != tid || len(list.Traces[0].Scores) != 3 {
		t.Fatalf("traces with helpfulness ≥ 0.5: %+v", list.Traces)
	}
	mu.Lock()
	defer mu.Unlock()
	var xe *tracium.ExportError
	if len(reported) != 1 || !errors.As(reported[0], &xe) || len(xe.RejectedScores) != 1 ||
		!strings.Contains(xe.RejectedScores[0].Reason, "outside its range 0 to 1") {
		t.Errorf("reported: %v; want the out-of-range score refused with its reason", reported)
	}
	if st := client.Stats(); st.Failed != 1 || st.Sent != 5 {
		t.Errorf("stats %+v; want 2 spans and 3 scores sent, 1 score failed", st)
	}
}

func waitStoredScores(t *testing.T, c *collectortest.Collector, traceID string, n int) []store.Score {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, err := c.Store.ListScores(context.Background(), c.ProjectID, store.ScoreFilter{TraceID: traceID}, store.Page{})
		if err == nil && len(l.Scores) >= n {
			return l.Scores
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: %d scores stored, want %d (%v)", traceID, len(l.Scores), n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
