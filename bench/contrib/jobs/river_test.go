package jobsbench

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"

	traciumriver "github.com/tracium/tracium/sdk/contrib/river"
)

// Both integrations carry the trace through the job's metadata (otelriver
// with EnableTracePropagation, off by default), so both do the same work:
// a span per insert and per attempt, the traceparent written and read.

type riverMiddleware interface {
	InsertMany(context.Context, []*rivertype.JobInsertParams, func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error)
	Work(context.Context, *rivertype.JobRow, func(context.Context) error) error
}

// riverFor returns the set-up's middleware; nil for bare.
func riverFor(t tracer) riverMiddleware {
	switch t.name {
	case "tracium":
		return traciumriver.NewMiddleware(traciumriver.WithClient(t.tracium))
	case "otel", "otel-otlp":
		return otelriver.NewMiddleware(&otelriver.MiddlewareConfig{TracerProvider: t.otel, EnableTracePropagation: true})
	}
	return nil
}

// BenchmarkRiverInsert is inserting one job inside a trace, the database
// left out (doInner answers at once), so the lines differ only by the
// middleware.
func BenchmarkRiverInsert(b *testing.B) {
	results := []*rivertype.JobInsertResult{{Job: &rivertype.JobRow{ID: 4242, Kind: "email_welcome"}}}
	doInner := func(context.Context) ([]*rivertype.JobInsertResult, error) { return results, nil }
	for _, name := range setups {
		b.Run(name, func(b *testing.B) {
			t := newTracer(b, name)
			m := riverFor(t)
			params := []*rivertype.JobInsertParams{{Kind: "email_welcome", Queue: "default", MaxAttempts: 25, EncodedArgs: []byte(`{"user_id":42}`)}}
			measure(b, t, func() {
				params[0].Metadata = []byte(`{}`)
				if m == nil {
					_, _ = doInner(t.ctx)
					return
				}
				if _, err := m.InsertMany(t.ctx, params, doInner); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkRiverWork is one attempt of a job whose metadata carries both
// integrations' traceparents (PostgreSQL's jsonb spacing).
func BenchmarkRiverWork(b *testing.B) {
	now := time.Now()
	job := &rivertype.JobRow{
		ID: 4242, Attempt: 1, AttemptedAt: &now, CreatedAt: now.Add(-time.Second), ScheduledAt: now.Add(-time.Second),
		Kind: "email_welcome", MaxAttempts: 25, Queue: "default", State: rivertype.JobStateRunning,
		EncodedArgs: []byte(`{"user_id":42}`),
		Metadata: []byte(`{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ` +
			`"tracium_traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}`),
	}
	doInner := func(context.Context) error { return nil }
	for _, name := range setups {
		b.Run(name, func(b *testing.B) {
			t := newTracer(b, name)
			m := riverFor(t)
			ctx := context.Background()
			measure(b, t, func() {
				if m == nil {
					_ = doInner(ctx)
					return
				}
				if err := m.Work(ctx, job, doInner); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
