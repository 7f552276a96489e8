package traciumriver

import (
	"context"
	"errors"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	tracium "github.com/tracium/tracium/sdk"
)

// system is the messaging.system recorded on every span.
const system = "river"

// Option configures the middleware.
type Option func(*Middleware)

// WithClient sends the spans of the worker's attempts (the traces it
// continues and those it starts, for jobs inserted outside any trace)
// through c instead of the default client. Insert spans always belong to
// the trace of the inserting context.
func WithClient(c *tracium.Client) Option { return func(m *Middleware) { m.client = c } }

// Middleware is River job-insert and worker middleware that traces jobs;
// see the package documentation. Build it with NewMiddleware. It is safe
// for concurrent use.
type Middleware struct {
	river.MiddlewareDefaults
	client *tracium.Client
}

var (
	_ rivertype.JobInsertMiddleware = (*Middleware)(nil)
	_ rivertype.WorkerMiddleware    = (*Middleware)(nil)
)

// NewMiddleware returns the middleware, for river.Config's Middleware.
func NewMiddleware(opts ...Option) *Middleware {
	m := &Middleware{}
	for _, o := range opts {
		o(m)
	}
	return m
}

// InsertMany records an enqueue span for each job inserted inside a trace
// and stores its traceparent in the job's metadata. The spans end when the
// insert does, with the job ids, or failed with the insert's error.
func (m *Middleware) InsertMany(ctx context.Context, manyParams []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	if tracium.SpanFromContext(ctx) == nil && tracium.Traceparent(ctx) == "" {
		return doInner(ctx) // outside any trace: the jobs start their own
	}
	spans := make([]*tracium.Span, len(manyParams))
	innerCtx := ctx
	for i, p := range manyParams {
		spanCtx, span := tracium.StartTaskEnqueue(ctx, m.client, tracium.TaskInfo{System: system, Name: p.Kind, Queue: p.Queue})
		if md, ok := withTraceparent(p.Metadata, tracium.Traceparent(spanCtx)); ok {
			p.Metadata = md
		}
		spans[i] = span
		if len(manyParams) == 1 {
			// Work done for the insert (a traced database driver) nests
			// under the one job's span.
			innerCtx = spanCtx
		}
	}
	results, err := doInner(innerCtx)
	for i, span := range spans {
		if err == nil && i < len(results) && results[i] != nil && results[i].Job != nil && span.IsRecording() {
			span.SetAttribute(tracium.AttrMessagingMessageID, strconv.FormatInt(results[i].Job.ID, 10))
		}
		span.SetError(err)
		span.End()
	}
	return results, err
}

// Work runs one attempt of a job inside its task span, continuing the
// trace stored at insert. A failed attempt's span records the error; a
// panic is recorded and then re-panicked, so River's own recovery still
// retries the job.
func (m *Middleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) (err error) {
	info := tracium.TaskInfo{
		System:     system,
		Name:       job.Kind,
		Queue:      job.Queue,
		ID:         strconv.FormatInt(job.ID, 10),
		Attempt:    job.Attempt,
		MaxRetries: job.MaxAttempts - 1,
		Due:        job.ScheduledAt,
	}
	if job.AttemptedAt != nil {
		info.Started = *job.AttemptedAt
	}
	ctx, span := tracium.StartTaskAttempt(ctx, m.client, traceparentOf(job.Metadata), info)
	defer func() {
		if p := recover(); p != nil {
			span.RecordPanic(p)
			span.End()
			panic(p)
		}
		var snooze *river.JobSnoozeError
		if errors.As(err, &snooze) {
			// The job asked to run again later: nothing failed.
			tracium.EndTaskAttempt(span, nil)
			return
		}
		tracium.EndTaskAttempt(span, err)
	}()
	return doInner(ctx)
}
