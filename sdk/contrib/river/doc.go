// Package traciumriver traces River jobs with Tracium. The one line a
// program adds, in the client's configuration:
//
//	river.Config{Middleware: []rivertype.Middleware{traciumriver.NewMiddleware()}, ...}
//
// The middleware is both job-insert and worker middleware. Inserting a
// job inside a trace records a task span "enqueue <kind>" and stores its
// W3C traceparent in the job's metadata (key tracium_traceparent); every
// attempt to work the job is a task span "<kind>" that continues that trace
// as a child of the enqueue span, however much later it runs, so the spans
// and LLM calls of the worker land in the trace of the request that
// inserted the job. A job inserted outside any trace starts a trace of its
// own when it runs.
//
// Attempt spans record the queue, job id, attempt (1 for the first),
// maximum retries (MaxAttempts - 1) and the time the attempt spent queued:
// from its scheduled time (the insert, a ScheduledAt, or the time a retry
// or snooze became due) to when River locked it, both read from the
// database's clock. A failed attempt is a failed span, each retry its own
// span; a snoozed attempt is not a failure.
package traciumriver
