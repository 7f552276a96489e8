package tracium

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// scoresSent decodes the scores of every accepted batch.
func (fc *fakeCollector) scoresSent(t *testing.T) []ScoreData {
	t.Helper()
	var all []ScoreData
	for _, raw := range fc.allBodies() {
		var b Batch
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("decode batch: %v", err)
		}
		all = append(all, b.Scores...)
	}
	return all
}

// TestScoreSentWithSpans: scores of a trace, of a span and of an agent
// run ride in the same batch as the spans, in the wire format.
func TestScoreSentWithSpans(t *testing.T) {
	t.Parallel()
	b := setup(t, WithFlushInterval(time.Hour)) // only Flush sends
	ctx, run := b.client.AgentTrace(context.Background(), "grader")
	_, s := run.Span(ctx, SpanLLM, "answer")
	s.End()
	if err := s.Score("correct", true, WithScoreComment("matches the reference")); err != nil {
		t.Fatal(err)
	}
	if err := run.Score("tone", "friendly"); err != nil {
		t.Fatal(err)
	}
	run.End()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	if err := b.client.Score(ctx, run.TraceID(), "quality", 4, WithScoreTime(at), WithScoreID(strings.Repeat("ab", 16))); err != nil {
		t.Fatal(err)
	}
	b.flush(t)
	if n := b.collector.requestCount(); n != 1 {
		t.Errorf("%d requests; want spans and scores in one batch", n)
	}
	got := map[string]ScoreData{}
	for _, d := range b.collector.scoresSent(t) {
		got[d.Name] = d
	}
	if len(got) != 3 {
		t.Fatalf("scores sent: %+v", got)
	}
	correct, tone, quality := got["correct"], got["tone"], got["quality"]
	if correct.TraceID != run.TraceID() || correct.SpanID != s.SpanID() || correct.Value != true || correct.Comment != "matches the reference" {
		t.Errorf("span score = %+v", correct)
	}
	if tone.SpanID != run.SpanID() || tone.Value != "friendly" {
		t.Errorf("agent score = %+v", tone)
	}
	if quality.SpanID != "" || quality.Value != 4.0 || !quality.Time.Equal(at) || quality.ID != strings.Repeat("ab", 16) {
		t.Errorf("trace score = %+v", quality)
	}
	for _, d := range got {
		if len(d.ID) != 32 || d.Time.IsZero() {
			t.Errorf("score %q has id %q and time %v", d.Name, d.ID, d.Time)
		}
	}
	if st := b.client.Stats(); st.Sent != 5 || st.Queued != 0 {
		t.Errorf("stats = %+v; want 2 spans and 3 scores sent", st)
	}
}

func TestScoreRefusesWhatCannotBeSent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tid := strings.Repeat("4b", 16)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, err := range map[string]error{
		"bad trace id":  b.client.Score(context.Background(), "nope", "q", 1),
		"upper case id": b.client.Score(context.Background(), strings.ToUpper(tid), "q", 1),
		"bad span id":   b.client.Score(context.Background(), tid, "q", 1, WithScoreSpan("xyz")),
		"no name":       b.client.Score(context.Background(), tid, "", 1),
		"a struct":      b.client.Score(context.Background(), tid, "q", struct{}{}),
		"nil":           b.client.Score(context.Background(), tid, "q", nil),
		"NaN":           b.client.Score(context.Background(), tid, "q", math.NaN()),
	} {
		if !errors.Is(err, ErrInvalidScore) {
			t.Errorf("%s: %v, want ErrInvalidScore", name, err)
		}
	}
	if err := b.client.Score(ctx, tid, "q", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("a done context: %v", err)
	}
	type stars int
	if err := b.client.Score(context.Background(), tid, "stars", stars(3)); err != nil {
		t.Errorf("a named integer type: %v", err)
	}
	b.flush(t)
	if got := b.collector.scoresSent(t); len(got) != 1 || got[0].Value != 3.0 {
		t.Errorf("sent %+v; want only the valid score", got)
	}
	var nilSpan *Span
	if err := nilSpan.Score("q", 1); err != nil {
		t.Errorf("a nil span's score: %v", err)
	}
}

// TestScoreRejectedByCollector: scores a 207 refuses are counted as failed
// and reported with the collector's reasons.
func TestScoreRejectedByCollector(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.collector.setRespond(func(n, spans int) reply {
		return reply{status: http.StatusMultiStatus,
			body: `{"accepted":0,"accepted_scores":1,"rejected_scores":[{"index":1,"reason":"label \"x\" is not one of score \"tone\"'s labels"}]}`}
	})
	tid := strings.Repeat("4b", 16)
	_ = b.client.Score(context.Background(), tid, "tone", "calm")
	_ = b.client.Score(context.Background(), tid, "tone", "x")
	b.flush(t)
	if st := b.client.Stats(); st.Sent != 1 || st.Failed != 1 {
		t.Errorf("stats = %+v; want 1 sent and 1 failed", st)
	}
	var xe *ExportError
	errs := b.errs.all()
	if len(errs) != 1 || !errors.As(errs[0], &xe) || xe.Scores != 1 || !strings.Contains(errs[0].Error(), `score 1: label "x"`) {
		t.Errorf("reported %v", errs)
	}
}
