package traciumriver_test

import (
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	traciumriver "github.com/tracium/tracium/sdk/contrib/river"
)

// The one line a program adds to its River configuration.
func Example() {
	config := &river.Config{
		Middleware: []rivertype.Middleware{traciumriver.NewMiddleware()},
		Queues:     map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
	}
	_ = config // river.NewClient(riverpgxv5.New(pool), config)
}
