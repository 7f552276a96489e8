package traciumasynq_test

import (
	"context"

	"github.com/hibiken/asynq"

	traciumasynq "github.com/tracium/tracium/sdk/contrib/asynq"
)

// The one line a worker adds; enqueueing code makes its tasks with
// traciumasynq.NewTask.
func Example() {
	mux := asynq.NewServeMux()
	mux.Use(traciumasynq.Middleware())

	var ctx context.Context = context.Background() // the request's context
	task := traciumasynq.NewTask(ctx, "email:welcome", []byte(`{"user_id":42}`), asynq.MaxRetry(5))
	_ = task // client.Enqueue(task)
}
