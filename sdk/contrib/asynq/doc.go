// Package traciumasynq traces asynq tasks with Tracium. The one line a
// worker adds:
//
//	mux.Use(traciumasynq.Middleware())
//
// and enqueueing code builds its tasks with traciumasynq.NewTask(ctx, ...)
// in place of asynq.NewTask, so that each task carries the trace it was
// made in (in its headers, as a W3C traceparent).
//
// NewTask inside a trace records a task span "enqueue <type>"; every
// attempt the worker makes is a task span "<type>" that continues that
// trace as a child of the enqueue span, however much later it runs, so the
// spans and LLM calls of the handler land in the trace of the request that
// enqueued the task. A task made outside any trace starts a trace of its
// own when it runs. Attempt spans record the queue, task id, attempt (1
// for the first), maximum retries and, for the first attempt, the time
// spent queued; a failed attempt is a failed span and each retry its own
// span.
//
// asynq tells a handler neither when a task was enqueued nor when a retry
// became due, so NewTask stores the due time (now, or the ProcessAt or
// ProcessIn given to it) in the task's headers too; retries record no time
// queued.
package traciumasynq
