// Package rivere2e runs River end to end: request → insert → worker →
// LLM call, stored by the real collector, with River on a real PostgreSQL.
package rivere2e_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/sdk/contrib/e2e"
	traciumriver "github.com/tracium/tracium/sdk/contrib/river"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type summariseArgs struct {
	Ticket int `json:"ticket"`
}

func (summariseArgs) Kind() string { return "summarise_ticket" }

// immediateRetry retries a failed job at once.
type immediateRetry struct{}

func (immediateRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// setup starts the flow with an app that inserts River jobs into a
// database of the test's own, and a River client working them whose
// worker fails the first len(failures) attempts and then summarises.
func setup(t *testing.T, maxAttempts int, failures ...string) *e2e.Flow {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(t.Context(), rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}

	var flow *e2e.Flow
	workers := river.NewWorkers()
	var calls atomic.Int32
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[summariseArgs]) error {
		if n := int(calls.Add(1)); n <= len(failures) {
			return fmt.Errorf("%s", failures[n-1])
		}
		return flow.Summarise(ctx, job.Args.Ticket)
	}))
	var client *river.Client[pgx.Tx]
	flow = e2e.Start(t, func(ctx context.Context, ticket int) (string, error) {
		res, err := client.Insert(ctx, summariseArgs{Ticket: ticket}, &river.InsertOpts{MaxAttempts: maxAttempts})
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(res.Job.ID, 10), nil
	})
	client, err = river.NewClient(riverpgxv5.New(pool), &river.Config{
		Middleware:        []rivertype.Middleware{traciumriver.NewMiddleware(traciumriver.WithClient(flow.Client))},
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           workers,
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		RetryPolicy:       immediateRetry{},
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := client.Stop(ctx); err != nil {
			t.Errorf("stop river: %v", err)
		}
	})
	return flow
}

func TestRequestInsertWorkerLLMIsOneTrace(t *testing.T) {
	t.Parallel()
	flow := setup(t, 3)
	traceID, jobID := flow.Request(t, 42)
	flow.CheckTrace(t, traceID, 42, e2e.Job{
		System: "river", Name: "summarise_ticket", Queue: river.QueueDefault, ID: jobID, MaxRetries: 2, QueuedOnRetries: true,
	})
}

func TestRetriedTwiceThenSucceeded(t *testing.T) {
	t.Parallel()
	flow := setup(t, 5, "upstream timeout", "upstream 503")
	traceID, jobID := flow.Request(t, 42)
	flow.CheckTrace(t, traceID, 42, e2e.Job{
		System: "river", Name: "summarise_ticket", Queue: river.QueueDefault, ID: jobID, MaxRetries: 4,
		Failures: []string{"upstream timeout", "upstream 503"}, QueuedOnRetries: true,
	})
}
