package jobsbench

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	traciumasynq "github.com/tracium/tracium/sdk/contrib/asynq"
)

// asynq has no OpenTelemetry instrumentation to compare with, so its
// lines stand beside the bare library only.
var asynqSetups = []string{"bare", "tracium"}

// taskSink keeps the compiler from dropping the task made.
var taskSink *asynq.Task

// BenchmarkAsynqNewTask is making one task inside a trace: asynq.NewTask
// against traciumasynq.NewTask, which records the enqueue span and
// writes the headers.
func BenchmarkAsynqNewTask(b *testing.B) {
	payload := []byte(`{"user_id":42}`)
	for _, name := range asynqSetups {
		b.Run(name, func(b *testing.B) {
			t := newTracer(b, name)
			newTask := func() *asynq.Task {
				return asynq.NewTask("email:welcome", payload, asynq.Queue("mail"), asynq.MaxRetry(5))
			}
			if name == "tracium" {
				newTask = func() *asynq.Task {
					return traciumasynq.NewTask(t.ctx, "email:welcome", payload, asynq.Queue("mail"), asynq.MaxRetry(5))
				}
			}
			measure(b, t, func() { taskSink = newTask() })
		})
	}
}

// BenchmarkAsynqMiddleware is one attempt of a task through the worker's
// handler: bare, and wrapped by the middleware continuing the task's
// trace. The context lacks asynq's task metadata (only asynq's server can
// make it), so the middleware's four lookups of it find nothing.
func BenchmarkAsynqMiddleware(b *testing.B) {
	handler := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })
	task := asynq.NewTaskWithHeaders("email:welcome", nil, map[string]string{
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"tracium-due": strconv.FormatInt(time.Now().UnixNano(), 10),
	})
	for _, name := range asynqSetups {
		b.Run(name, func(b *testing.B) {
			t := newTracer(b, name)
			h := asynq.Handler(handler)
			if name == "tracium" {
				h = traciumasynq.Middleware(traciumasynq.WithClient(t.tracium))(handler)
			}
			ctx := context.Background()
			measure(b, t, func() { _ = h.ProcessTask(ctx, task) })
		})
	}
}
