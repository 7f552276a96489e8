// Package asynqe2e runs asynq end to end: request → enqueue → worker →
// LLM call, stored by the real collector, on a real Redis.
package asynqe2e_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	traciumasynq "github.com/tracium/tracium/sdk/contrib/asynq"
	"github.com/tracium/tracium/sdk/contrib/e2e"
	"github.com/tracium/tracium/sdk/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

const taskType = "ticket:summarise"

type testBundle struct {
	flow  *e2e.Flow
	queue string
}

// setup starts the flow with an app that enqueues through
// traciumasynq.NewTask, and an asynq worker whose handler fails the first
// len(failures) attempts with those errors and then summarises.
func setup(t *testing.T, maxRetry int, failures ...string) *testBundle {
	t.Helper()
	d := redistest.Get(t)
	opt := asynq.RedisClientOpt{Addr: d.Addr, Username: d.Username, Password: d.Password, DB: d.DB}
	b := &testBundle{queue: fmt.Sprintf("e2e-%s-%d", t.Name(), time.Now().UnixNano())}
	client := asynq.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	b.flow = e2e.Start(t, func(ctx context.Context, ticket int) (string, error) {
		payload := fmt.Appendf(nil, `{"ticket":%d}`, ticket)
		info, err := client.Enqueue(traciumasynq.NewTask(ctx, taskType, payload, asynq.Queue(b.queue), asynq.MaxRetry(maxRetry)))
		if err != nil {
			return "", err
		}
		return info.ID, nil
	})

	mux := asynq.NewServeMux()
	mux.Use(traciumasynq.Middleware(traciumasynq.WithClient(b.flow.Client)))
	var calls atomic.Int32
	mux.HandleFunc(taskType, func(ctx context.Context, _ *asynq.Task) error {
		if n := int(calls.Add(1)); n <= len(failures) {
			return fmt.Errorf("%s", failures[n-1])
		}
		return b.flow.Summarise(ctx, 42)
	})
	srv := asynq.NewServer(opt, asynq.Config{
		Queues:                   map[string]int{b.queue: 1},
		TaskCheckInterval:        20 * time.Millisecond,
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		LogLevel:                 asynq.FatalLevel,
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return b
}

func TestRequestEnqueueWorkerLLMIsOneTrace(t *testing.T) {
	t.Parallel()
	b := setup(t, 3)
	traceID, jobID := b.flow.Request(t, 42)
	b.flow.CheckTrace(t, traceID, 42, e2e.Job{System: "asynq", Name: taskType, Queue: b.queue, ID: jobID, MaxRetries: 3})
}

func TestRetriedTwiceThenSucceeded(t *testing.T) {
	t.Parallel()
	b := setup(t, 5, "upstream timeout", "upstream 503")
	traceID, jobID := b.flow.Request(t, 42)
	b.flow.CheckTrace(t, traceID, 42, e2e.Job{
		System: "asynq", Name: taskType, Queue: b.queue, ID: jobID, MaxRetries: 5,
		Failures: []string{"upstream timeout", "upstream 503"},
	})
}
