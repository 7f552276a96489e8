package traciumasynq

import (
	"context"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	tracium "github.com/tracium/tracium/sdk"
)

// Task header keys.
const (
	headerTraceparent = tracium.TraceparentHeader
	// headerDue is when the task's first attempt became due, in Unix
	// nanoseconds.
	headerDue = "tracium-due"
)

// system is the messaging.system recorded on every span.
const system = "asynq"

// defaultQueue is the queue asynq puts a task in without asynq.Queue.
const defaultQueue = "default"

// NewTask is asynq.NewTask for a task that carries the trace of ctx:
// inside a trace it records the task span "enqueue <typename>" (queue and
// task id from opts, when given there) and stores its traceparent in the
// task's headers. Pass scheduling options (asynq.ProcessIn, ProcessAt) here
// rather than to Enqueue, so the time the task spends queued is measured
// from when it became due. Safe for concurrent use.
func NewTask(ctx context.Context, typename string, payload []byte, opts ...asynq.Option) *asynq.Task {
	info := tracium.TaskInfo{System: system, Name: typename, Queue: defaultQueue}
	due := time.Now()
	for _, o := range opts {
		// Type first: Value boxes, and most options are not read here.
		switch o.Type() {
		case asynq.QueueOpt:
			if v, ok := o.Value().(string); ok {
				info.Queue = v
			}
		case asynq.TaskIDOpt:
			if v, ok := o.Value().(string); ok {
				info.ID = v
			}
		case asynq.ProcessAtOpt:
			if v, ok := o.Value().(time.Time); ok {
				due = scheduled(v)
			}
		case asynq.ProcessInOpt:
			if v, ok := o.Value().(time.Duration); ok {
				due = scheduled(time.Now().Add(v))
			}
		}
	}
	headers := make(map[string]string, 2)
	headers[headerDue] = strconv.FormatInt(due.UnixNano(), 10)
	spanCtx, span := tracium.StartTaskEnqueue(ctx, nil, info)
	if tp := tracium.Traceparent(spanCtx); tp != "" {
		headers[headerTraceparent] = tp
	}
	// The span marks the moment the task was made: asynq has no hook
	// around Client.Enqueue, whose error the caller has in hand.
	span.End()
	return asynq.NewTaskWithHeaders(typename, payload, headers, opts...)
}

// Option configures Middleware.
type Option func(*config)

type config struct {
	client *tracium.Client
}

// WithClient sends the spans of the worker's attempts (the traces it
// continues and those it starts, for tasks made outside any trace) through
// c instead of the default client.
func WithClient(c *tracium.Client) Option { return func(cfg *config) { cfg.client = c } }

// Middleware returns asynq middleware for the worker's ServeMux (mux.Use)
// that runs every attempt of a task inside its task span, continuing the
// trace stored by NewTask. A failed attempt's span records the error; a
// panic is recorded and then re-panicked, so asynq's own recovery still
// retries the task. The middleware is safe for concurrent use.
func Middleware(opts ...Option) asynq.MiddlewareFunc {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			return cfg.run(ctx, t, next)
		})
	}
}

func (cfg *config) run(ctx context.Context, t *asynq.Task, next asynq.Handler) (err error) {
	info := tracium.TaskInfo{System: system, Name: t.Type(), MaxRetries: -1}
	info.Queue, _ = asynq.GetQueueName(ctx)
	info.ID, _ = asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	info.Attempt = retried + 1
	if n, ok := asynq.GetMaxRetry(ctx); ok {
		info.MaxRetries = n
	}
	headers := t.Headers()
	if retried == 0 {
		info.Due = parseDue(headers[headerDue])
	}
	ctx, span := tracium.StartTaskAttempt(ctx, cfg.client, headers[headerTraceparent], info)
	defer func() {
		if p := recover(); p != nil {
			span.RecordPanic(p)
			span.End()
			panic(p)
		}
		tracium.EndTaskAttempt(span, err)
	}()
	return next.ProcessTask(ctx, t)
}

// scheduled is when asynq makes a task scheduled for t due: it keeps
// schedules in whole seconds, so a task may run up to a second before t.
func scheduled(t time.Time) time.Time {
	if now := time.Now(); t.Before(now) {
		return now // in the past: enqueued as pending at once
	}
	return time.Unix(t.Unix(), 0)
}

// parseDue reads the headerDue value; zero when missing or malformed (a
// task made by asynq.NewTask, or by another program).
func parseDue(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	ns, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
