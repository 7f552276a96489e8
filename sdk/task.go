package tracium

import (
	"context"
	"time"
)

// Background jobs: what every job queue integration under sdk/contrib
// (asynq, river) records is defined here once. A job enqueued inside a
// trace gets a task span "enqueue <name>" whose traceparent travels with
// the job; each attempt of the job is a task span "<name>" continuing that
// trace as a child of the enqueue span, however much later it runs.

// Values of AttrMessagingOperation.
const (
	TaskOperationSend    = "send"
	TaskOperationProcess = "process"
)

// TaskInfo is what a job queue tells about a job. Enqueue spans read
// System, Name, Queue and ID; attempt spans read every field.
type TaskInfo struct {
	// System is the job queue, recorded as messaging.system: "asynq",
	// "river".
	System string
	// Name is the task type or job kind. The enqueue span is named
	// "enqueue " + Name, the attempt span Name.
	Name string
	// Queue is the queue the job is put in or was taken from; "" when
	// not known.
	Queue string
	// ID is the job's id; "" when not known (a job not yet inserted).
	ID string

	// Attempt counts the runs of the job, 1 for the first.
	Attempt int
	// MaxRetries is how many times the job may be retried after a
	// failed attempt; negative when not known.
	MaxRetries int
	// Due is when this attempt became due: the enqueue, or the time the
	// job (or this retry of it) was scheduled for. Zero when not known,
	// and then no time queued is recorded.
	Due time.Time
	// Started is when the attempt began; zero means now. Queues that
	// record both Due and Started on their own clock give a time queued
	// free of clock skew between machines.
	Started time.Time
}

// StartTaskEnqueue starts the task span of enqueueing a job as a child of
// the span (or remote parent) that ctx carries, and returns it with a
// context carrying it: the caller stores Traceparent of that context with
// the job and ends the span once the job is enqueued, recording the error
// if that failed. When ctx carries no trace it starts nothing and returns
// ctx and a nil span; Traceparent(ctx) is then "" and the job's worker
// starts a trace of its own. c sends a trace that starts here (a remote
// parent only); nil means the default client. Safe for concurrent use.
func StartTaskEnqueue(ctx context.Context, c *Client, t TaskInfo) (context.Context, *Span) {
	if spanFromContext(ctx) == nil {
		return ctx, nil
	}
	ctx, s := startSpan(ctx, c, SpanTask, "enqueue "+t.Name)
	if s.IsRecording() {
		s.SetAttribute(AttrMessagingSystem, t.System)
		s.SetAttribute(AttrMessagingOperation, TaskOperationSend)
		if t.Queue != "" {
			s.SetAttribute(AttrMessagingQueue, t.Queue)
		}
		if t.ID != "" {
			s.SetAttribute(AttrMessagingMessageID, t.ID)
		}
	}
	return ctx, s
}

// StartTaskAttempt starts the task span of one attempt of a job: it
// continues the trace named by traceparent, the value stored when the job
// was enqueued, so the attempt is a child of the enqueue span; with none
// (a job enqueued outside any trace) it starts a trace. Either way the
// attempt's spans go to c, nil meaning the default client: the worker is
// another process, or another part of one, than the enqueuer. The
// returned context carries the span, so the spans and LLM calls of the
// job's handler nest under it. End it with EndTaskAttempt. Safe for
// concurrent use.
func StartTaskAttempt(ctx context.Context, c *Client, traceparent string, t TaskInfo) (context.Context, *Span) {
	if remote := ContextWithTraceparent(ctx, traceparent); remote != ctx {
		ctx = remote
	} else if spanFromContext(ctx) != nil {
		// A span in ctx belongs to whatever started the worker, not to
		// the job: the job's trace comes only from what was stored with
		// it, and a job stored with none (or a malformed one) starts its
		// own.
		ctx = contextWithSpan(ctx, nil)
	}
	ctx, s := startSpan(ctx, c, SpanTask, t.Name)
	if !s.IsRecording() {
		return ctx, s
	}
	s.SetAttribute(AttrMessagingSystem, t.System)
	s.SetAttribute(AttrMessagingOperation, TaskOperationProcess)
	if t.Queue != "" {
		s.SetAttribute(AttrMessagingQueue, t.Queue)
	}
	if t.ID != "" {
		s.SetAttribute(AttrMessagingMessageID, t.ID)
	}
	s.SetAttribute(AttrTaskAttempt, t.Attempt)
	if t.MaxRetries >= 0 {
		s.SetAttribute(AttrTaskMaxRetries, t.MaxRetries)
	}
	if !t.Due.IsZero() {
		started := t.Started
		if started.IsZero() {
			started = s.start
		}
		s.SetAttribute(AttrTaskQueuedMS, queuedMS(t.Due, started))
	}
	return ctx, s
}

// queuedMS is the time from due to started in milliseconds, never
// negative: a job picked up before it was due (clocks of two machines
// apart) waited for nothing.
func queuedMS(due, started time.Time) float64 {
	d := started.Sub(due)
	if d < 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1e3
}

// EndTaskAttempt ends an attempt's span, failed with err when the attempt
// returned one: each failed attempt that the queue retries is its own
// failed span, and the attempt that succeeds is the last span. A nil span
// does nothing.
func EndTaskAttempt(s *Span, err error) {
	s.SetError(err)
	s.End()
}
