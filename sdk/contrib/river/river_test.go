package traciumriver_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite"

	tracium "github.com/tracium/tracium/sdk"
	traciumriver "github.com/tracium/tracium/sdk/contrib/river"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

type testBundle struct {
	coll    *spantest.Collector
	client  *tracium.Client
	llm     *fakellm.Server
	db      *sql.DB
	workers *river.Workers
	river   *river.Client[*sql.Tx]
}

// setup gives the test a SQLite database of its own with River's schema,
// and workers to add to; start runs a River client with the middleware.
func setup(t *testing.T) *testBundle {
	t.Helper()
	b := &testBundle{coll: spantest.NewCollector(t), llm: fakellm.New(t, fakellm.Options{}), workers: river.NewWorkers()}
	b.client = b.coll.NewClient(t)
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "river.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	// SQLite runs one writer at a time; River's driver wants one connection.
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	migrator, err := rivermigrate.New(riversqlite.New(db), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(t.Context(), rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
	b.db = db
	return b
}

// immediateRetry retries a failed job at once, so a test sees three
// attempts in well under a second.
type immediateRetry struct{}

func (immediateRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

func (b *testBundle) start(t *testing.T) {
	t.Helper()
	c, err := river.NewClient(riversqlite.New(b.db), &river.Config{
		Middleware:        []rivertype.Middleware{traciumriver.NewMiddleware(traciumriver.WithClient(b.client))},
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           b.workers,
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		RetryPolicy:       immediateRetry{},
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop river: %v", err)
		}
	})
	b.river = c
}

func checkAttrs(t *testing.T, s tracium.SpanData, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got := s.Attributes[k]; got != v {
			t.Errorf("%q: %s = %v (%T), want %v (%T)", s.Name, k, got, got, v, v)
		}
	}
}

func queuedMS(t *testing.T, s tracium.SpanData) float64 {
	t.Helper()
	v, ok := s.Attributes[tracium.AttrTaskQueuedMS].(float64)
	if !ok || v < 0 {
		t.Fatalf("%q: %s = %v, want a duration in ms", s.Name, tracium.AttrTaskQueuedMS, s.Attributes[tracium.AttrTaskQueuedMS])
	}
	return v
}

func callLLM(ctx context.Context, baseURL string) error {
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"Summarise the ticket"}]}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-test")
	resp, err := tracium.HTTPClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

type summariseArgs struct {
	TicketID int `json:"ticket_id"`
}

func (summariseArgs) Kind() string { return "summarise_ticket" }

type flakyArgs struct{}

func (flakyArgs) Kind() string { return "flaky" }

func TestWorkerContinuesInsertTraceAndNestsLLM(t *testing.T) {
	t.Parallel()
	b := setup(t)
	river.AddWorker(b.workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[summariseArgs]) error {
		return callLLM(ctx, b.llm.URL)
	}))
	b.start(t)
	ctx, run := b.client.AgentTrace(t.Context(), "support")
	res, err := b.river.Insert(ctx, summariseArgs{TicketID: 7}, &river.InsertOpts{MaxAttempts: 3, Metadata: []byte(`{"tenant":"acme"}`)})
	if err != nil {
		t.Fatal(err)
	}
	run.End()

	spans := b.coll.Wait(t, b.client, 4)
	enqueue := spantest.One(t, spans, tracium.SpanTask, "enqueue summarise_ticket")
	attempt := spantest.One(t, spans, tracium.SpanTask, "summarise_ticket")
	var llm tracium.SpanData
	for _, s := range spans {
		if s.Type == tracium.SpanLLM {
			llm = s
		}
		if s.TraceID != run.TraceID() {
			t.Errorf("span %q in trace %s, want %s", s.Name, s.TraceID, run.TraceID())
		}
	}
	if enqueue.ParentSpanID != run.SpanID() || attempt.ParentSpanID != enqueue.SpanID || llm.ParentSpanID != attempt.SpanID {
		t.Errorf("parents: enqueue %s (want %s), attempt %s (want %s), llm %s (want %s)",
			enqueue.ParentSpanID, run.SpanID(), attempt.ParentSpanID, enqueue.SpanID, llm.ParentSpanID, attempt.SpanID)
	}
	id := fmt.Sprint(res.Job.ID)
	checkAttrs(t, enqueue, map[string]any{
		tracium.AttrMessagingSystem:    "river",
		tracium.AttrMessagingOperation: "send",
		tracium.AttrMessagingQueue:     river.QueueDefault,
		tracium.AttrMessagingMessageID: id,
	})
	checkAttrs(t, attempt, map[string]any{
		tracium.AttrMessagingSystem:    "river",
		tracium.AttrMessagingOperation: "process",
		tracium.AttrMessagingQueue:     river.QueueDefault,
		tracium.AttrMessagingMessageID: id,
		tracium.AttrTaskAttempt:        float64(1),
		tracium.AttrTaskMaxRetries:     float64(2),
	})
	queuedMS(t, attempt)
	if attempt.Status == "error" || llm.Model != fakellm.OpenAIAnswerModel {
		t.Errorf("attempt status %q, llm model %q", attempt.Status, llm.Model)
	}

	// The job keeps its own metadata beside the traceparent.
	var md map[string]any
	if err := json.Unmarshal(res.Job.Metadata, &md); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("00-%s-%s-01", run.TraceID(), enqueue.SpanID); md["tenant"] != "acme" || md["tracium_traceparent"] != want {
		t.Errorf("job metadata %s, want tenant acme and tracium_traceparent %s", res.Job.Metadata, want)
	}
}

func TestRetriedJobIsOneSpanPerAttempt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls atomic.Int32
	river.AddWorker(b.workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[flakyArgs]) error {
		if n := calls.Add(1); n <= 2 {
			return fmt.Errorf("flaky upstream, attempt %d", n)
		}
		return nil
	}))
	b.start(t)
	ctx, run := b.client.AgentTrace(t.Context(), "reports")
	if _, err := b.river.Insert(ctx, flakyArgs{}, &river.InsertOpts{MaxAttempts: 5}); err != nil {
		t.Fatal(err)
	}
	run.End()

	spans := b.coll.Wait(t, b.client, 5)
	enqueue := spantest.One(t, spans, tracium.SpanTask, "enqueue flaky")
	attempts := spantest.Find(spans, tracium.SpanTask, "flaky")
	if len(attempts) != 3 {
		t.Fatalf("%d attempt spans, want 3:\n%s", len(attempts), spantest.Describe(spans))
	}
	seen := map[float64]bool{}
	for _, a := range attempts {
		n, _ := a.Attributes[tracium.AttrTaskAttempt].(float64)
		seen[n] = true
		if a.ParentSpanID != enqueue.SpanID || a.TraceID != run.TraceID() {
			t.Errorf("attempt %v: trace %s parent %s, want %s %s", n, a.TraceID, a.ParentSpanID, run.TraceID(), enqueue.SpanID)
		}
		checkAttrs(t, a, map[string]any{tracium.AttrTaskMaxRetries: float64(4)})
		queuedMS(t, a) // each retry was scheduled, so each knows its wait
		switch n {
		case 1, 2:
			if want := fmt.Sprintf("flaky upstream, attempt %d", int(n)); a.Status != "error" || a.ErrorMessage != want {
				t.Errorf("attempt %v: status %q message %q, want error %q", n, a.Status, a.ErrorMessage, want)
			}
		case 3:
			if a.Status == "error" {
				t.Errorf("attempt 3 failed: %s", a.ErrorMessage)
			}
		}
	}
	if !seen[1] || !seen[2] || !seen[3] {
		t.Errorf("attempt numbers %v, want 1, 2 and 3", seen)
	}
}

func TestJobInsertedOutsideTraceStartsItsOwn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	river.AddWorker(b.workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[summariseArgs]) error {
		return callLLM(ctx, b.llm.URL)
	}))
	b.start(t)
	res, err := b.river.Insert(context.Background(), summariseArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(res.Job.Metadata), "traceparent") {
		t.Errorf("untraced job's metadata %s carries a traceparent", res.Job.Metadata)
	}
	spans := b.coll.Wait(t, b.client, 2)
	attempt := spantest.One(t, spans, tracium.SpanTask, "summarise_ticket")
	if attempt.ParentSpanID != "" || attempt.AgentName != b.client.DefaultAgentName() {
		t.Errorf("attempt parent %q agent %q, want a root of agent %q", attempt.ParentSpanID, attempt.AgentName, b.client.DefaultAgentName())
	}
	for _, s := range spans {
		if s.Type == tracium.SpanLLM && (s.ParentSpanID != attempt.SpanID || s.TraceID != attempt.TraceID) {
			t.Errorf("llm span trace %s parent %s, want %s %s", s.TraceID, s.ParentSpanID, attempt.TraceID, attempt.SpanID)
		}
	}
}

type snoozeArgs struct{}

func (snoozeArgs) Kind() string { return "snoozer" }

// A job that snoozes once is two attempt spans, neither failed.
func TestSnoozeIsNotAFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls atomic.Int32
	river.AddWorker(b.workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[snoozeArgs]) error {
		if calls.Add(1) == 1 {
			return river.JobSnooze(time.Millisecond)
		}
		return nil
	}))
	b.start(t)
	ctx, run := b.client.AgentTrace(t.Context(), "jobs")
	if _, err := b.river.Insert(ctx, snoozeArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	run.End()
	spans := b.coll.Wait(t, b.client, 4)
	for _, a := range spantest.Find(spans, tracium.SpanTask, "snoozer") {
		if a.Status == "error" {
			t.Errorf("snoozed attempt failed: %s %s", a.ErrorType, a.ErrorMessage)
		}
	}
}

type panicArgs struct{}

func (panicArgs) Kind() string { return "fragile" }

func TestPanicIsRecordedAndRetried(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls atomic.Int32
	river.AddWorker(b.workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[panicArgs]) error {
		if calls.Add(1) == 1 {
			panic("nil map in fragile")
		}
		return nil
	}))
	b.start(t)
	ctx, run := b.client.AgentTrace(t.Context(), "jobs")
	if _, err := b.river.Insert(ctx, panicArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	run.End()
	spans := b.coll.Wait(t, b.client, 4)
	var panicked, ok int
	for _, a := range spantest.Find(spans, tracium.SpanTask, "fragile") {
		switch {
		case a.ErrorType == tracium.ErrorTypePanic && a.ErrorMessage == "nil map in fragile" && a.Attributes[tracium.AttrTaskAttempt] == float64(1):
			panicked++
		case a.Status != "error" && a.Attributes[tracium.AttrTaskAttempt] == float64(2):
			ok++
		}
	}
	if panicked != 1 || ok != 1 {
		t.Errorf("want a panicked first attempt and an ok second:\n%s", spantest.Describe(spans))
	}
}

// InsertMany gives each job its own enqueue span and id, and each worker
// runs under its own job's span.
func TestInsertManyIsOneSpanPerJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	river.AddWorker(b.workers, river.WorkFunc(func(context.Context, *river.Job[summariseArgs]) error { return nil }))
	b.start(t)
	ctx, run := b.client.AgentTrace(t.Context(), "batch")
	results, err := b.river.InsertMany(ctx, []river.InsertManyParams{
		{Args: summariseArgs{TicketID: 1}}, {Args: summariseArgs{TicketID: 2}}, {Args: summariseArgs{TicketID: 3}},
	})
	if err != nil {
		t.Fatal(err)
	}
	run.End()
	spans := b.coll.Wait(t, b.client, 7)
	enqueues := spantest.Find(spans, tracium.SpanTask, "enqueue summarise_ticket")
	byID := map[any]tracium.SpanData{}
	for _, e := range enqueues {
		byID[e.Attributes[tracium.AttrMessagingMessageID]] = e
	}
	for _, r := range results {
		e, ok := byID[fmt.Sprint(r.Job.ID)]
		if !ok {
			t.Errorf("no enqueue span for job %d:\n%s", r.Job.ID, spantest.Describe(spans))
			continue
		}
		var found int
		for _, a := range spantest.Find(spans, tracium.SpanTask, "summarise_ticket") {
			if a.Attributes[tracium.AttrMessagingMessageID] == fmt.Sprint(r.Job.ID) {
				found++
				if a.ParentSpanID != e.SpanID {
					t.Errorf("job %d worked under %s, want its enqueue span %s", r.Job.ID, a.ParentSpanID, e.SpanID)
				}
			}
		}
		if found != 1 {
			t.Errorf("job %d: %d attempt spans, want 1", r.Job.ID, found)
		}
	}
}

// An insert that fails records the error on its enqueue span.
func TestFailedInsertIsFailedSpan(t *testing.T) {
	t.Parallel()
	b := setup(t)
	river.AddWorker(b.workers, river.WorkFunc(func(context.Context, *river.Job[summariseArgs]) error { return nil }))
	b.start(t)
	tx, err := b.db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	ctx, run := b.client.AgentTrace(t.Context(), "jobs")
	_, err = b.river.InsertTx(ctx, tx, summariseArgs{}, nil)
	run.End()
	if !errors.Is(err, sql.ErrTxDone) {
		t.Fatalf("insert in a finished transaction: %v, want sql.ErrTxDone", err)
	}
	e := spantest.One(t, b.coll.Wait(t, b.client, 2), tracium.SpanTask, "enqueue summarise_ticket")
	if e.Status != "error" || !strings.Contains(e.ErrorMessage, sql.ErrTxDone.Error()) {
		t.Errorf("enqueue span status %q message %q", e.Status, e.ErrorMessage)
	}
}
