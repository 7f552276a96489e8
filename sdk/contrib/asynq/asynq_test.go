package traciumasynq_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	tracium "github.com/tracium/tracium/sdk"
	traciumasynq "github.com/tracium/tracium/sdk/contrib/asynq"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/redistest"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

type testBundle struct {
	coll   *spantest.Collector
	client *tracium.Client
	llm    *fakellm.Server
	queue  string
	asynq  *asynq.Client
	mux    *asynq.ServeMux
}

// setup gives the test a queue of its own on the package's Redis
// database, an asynq client, and a ServeMux with the middleware; start
// runs a worker on it once the test has added its handlers.
func setup(t *testing.T) *testBundle {
	t.Helper()
	b := &testBundle{coll: spantest.NewCollector(t), llm: fakellm.New(t, fakellm.Options{})}
	b.client = b.coll.NewClient(t)
	b.queue = fmt.Sprintf("tracium-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
	b.asynq = asynq.NewClient(redisOpt(t))
	t.Cleanup(func() { b.asynq.Close() })
	b.mux = asynq.NewServeMux()
	b.mux.Use(traciumasynq.Middleware(traciumasynq.WithClient(b.client)))
	return b
}

func redisOpt(t *testing.T) asynq.RedisClientOpt {
	d := redistest.Get(t)
	return asynq.RedisClientOpt{Addr: d.Addr, Username: d.Username, Password: d.Password, DB: d.DB}
}

func (b *testBundle) start(t *testing.T) {
	t.Helper()
	srv := asynq.NewServer(redisOpt(t), asynq.Config{
		Queues:                   map[string]int{b.queue: 1},
		Concurrency:              2,
		TaskCheckInterval:        20 * time.Millisecond,
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		ShutdownTimeout:          2 * time.Second,
		Logger:                   quietLogger{},
	})
	if err := srv.Start(b.mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
}

func (b *testBundle) enqueue(t *testing.T, task *asynq.Task, opts ...asynq.Option) *asynq.TaskInfo {
	t.Helper()
	info, err := b.asynq.Enqueue(task, append(opts, asynq.Queue(b.queue))...)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// checkAttrs asserts attributes; a nil want means the key is absent.
func checkAttrs(t *testing.T, s tracium.SpanData, want map[string]any) {
	t.Helper()
	for k, v := range want {
		got, ok := s.Attributes[k]
		if v == nil {
			if ok {
				t.Errorf("%q: %s = %v, want it absent", s.Name, k, got)
			}
			continue
		}
		if got != v {
			t.Errorf("%q: %s = %v (%T), want %v (%T)", s.Name, k, got, got, v, v)
		}
	}
}

// queuedMS returns the span's time queued, failing when it is missing.
func queuedMS(t *testing.T, s tracium.SpanData) float64 {
	t.Helper()
	v, ok := s.Attributes[tracium.AttrTaskQueuedMS].(float64)
	if !ok || v < 0 {
		t.Fatalf("%q: %s = %v, want a duration in ms", s.Name, tracium.AttrTaskQueuedMS, s.Attributes[tracium.AttrTaskQueuedMS])
	}
	return v
}

// callLLM makes one OpenAI chat completion through the SDK's transport.
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

func TestWorkerContinuesEnqueueTraceAndNestsLLM(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.mux.HandleFunc("ticket:summarise", func(ctx context.Context, _ *asynq.Task) error {
		return callLLM(ctx, b.llm.URL)
	})
	b.start(t)

	ctx, run := b.client.AgentTrace(t.Context(), "support")
	task := traciumasynq.NewTask(ctx, "ticket:summarise", []byte(`{"id":7}`), asynq.MaxRetry(3), asynq.Queue(b.queue))
	run.End()
	info := b.enqueue(t, task)

	spans := b.coll.Wait(t, b.client, 4)
	enqueue := spantest.One(t, spans, tracium.SpanTask, "enqueue ticket:summarise")
	attempt := spantest.One(t, spans, tracium.SpanTask, "ticket:summarise")
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
	checkAttrs(t, enqueue, map[string]any{
		tracium.AttrMessagingSystem:    "asynq",
		tracium.AttrMessagingOperation: "send",
		tracium.AttrMessagingQueue:     b.queue,
		tracium.AttrMessagingMessageID: nil, // asynq makes the id in Enqueue
	})
	checkAttrs(t, attempt, map[string]any{
		tracium.AttrMessagingSystem:    "asynq",
		tracium.AttrMessagingOperation: "process",
		tracium.AttrMessagingQueue:     b.queue,
		tracium.AttrMessagingMessageID: info.ID,
		tracium.AttrTaskAttempt:        float64(1),
		tracium.AttrTaskMaxRetries:     float64(3),
	})
	if q, max := queuedMS(t, attempt), float64(attempt.StartTime.Sub(enqueue.StartTime).Milliseconds()+1); q > max {
		t.Errorf("queued %v ms, more than the %v ms from enqueue to the attempt", q, max)
	}
	if attempt.Status == "error" || llm.Model != fakellm.OpenAIAnswerModel {
		t.Errorf("attempt status %q, llm model %q", attempt.Status, llm.Model)
	}
}

// A task that fails twice and then succeeds is three attempt spans under
// the one enqueue span: two failed with their errors, one ok.
func TestRetriedTaskIsOneSpanPerAttempt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls atomic.Int32
	b.mux.HandleFunc("report:build", func(ctx context.Context, _ *asynq.Task) error {
		if n := calls.Add(1); n <= 2 {
			return fmt.Errorf("flaky upstream, attempt %d", n)
		}
		return nil
	})
	b.start(t)
	ctx, run := b.client.AgentTrace(t.Context(), "reports")
	b.enqueue(t, traciumasynq.NewTask(ctx, "report:build", nil, asynq.MaxRetry(5)))
	run.End()

	spans := b.coll.Wait(t, b.client, 5)
	enqueue := spantest.One(t, spans, tracium.SpanTask, "enqueue report:build")
	attempts := spantest.Find(spans, tracium.SpanTask, "report:build")
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
		checkAttrs(t, a, map[string]any{tracium.AttrTaskMaxRetries: float64(5)})
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
		if n == 1 {
			queuedMS(t, a)
		} else {
			checkAttrs(t, a, map[string]any{tracium.AttrTaskQueuedMS: nil})
		}
	}
	if !seen[1] || !seen[2] || !seen[3] {
		t.Errorf("attempt numbers %v, want 1, 2 and 3", seen)
	}
}

// A task made outside any trace records no enqueue span and starts its
// own trace when it runs; the handler's LLM call nests under it.
func TestTaskOutsideTraceStartsItsOwn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.mux.HandleFunc("digest:send", func(ctx context.Context, _ *asynq.Task) error {
		return callLLM(ctx, b.llm.URL)
	})
	b.start(t)
	task := traciumasynq.NewTask(context.Background(), "digest:send", nil)
	if _, ok := task.Headers()["traceparent"]; ok {
		t.Errorf("untraced task carries a traceparent: %v", task.Headers())
	}
	b.enqueue(t, task)

	spans := b.coll.Wait(t, b.client, 2)
	attempt := spantest.One(t, spans, tracium.SpanTask, "digest:send")
	if attempt.ParentSpanID != "" {
		t.Errorf("attempt span has parent %s, want a root", attempt.ParentSpanID)
	}
	if attempt.AgentName != b.client.DefaultAgentName() {
		t.Errorf("agent %q, want the client's default %q", attempt.AgentName, b.client.DefaultAgentName())
	}
	queuedMS(t, attempt)
	for _, s := range spans {
		if s.Type == tracium.SpanLLM && (s.ParentSpanID != attempt.SpanID || s.TraceID != attempt.TraceID) {
			t.Errorf("llm span trace %s parent %s, want %s %s", s.TraceID, s.ParentSpanID, attempt.TraceID, attempt.SpanID)
		}
	}
}

// A task from plain asynq.NewTask (another program, older code) still
// gets a span of its own, without a time queued.
func TestPlainAsynqTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.mux.HandleFunc("legacy", func(context.Context, *asynq.Task) error { return nil })
	b.start(t)
	b.enqueue(t, asynq.NewTask("legacy", nil))
	s := spantest.One(t, b.coll.Wait(t, b.client, 1), tracium.SpanTask, "legacy")
	checkAttrs(t, s, map[string]any{tracium.AttrTaskAttempt: float64(1), tracium.AttrTaskQueuedMS: nil})
}

// A panicking attempt is recorded as a panic and re-panicked, so asynq
// recovers it and retries the task.
func TestPanicIsRecordedAndRetried(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls atomic.Int32
	b.mux.HandleFunc("fragile", func(context.Context, *asynq.Task) error {
		if calls.Add(1) == 1 {
			panic("nil map in fragile")
		}
		return nil
	})
	b.start(t)
	ctx, run := b.client.AgentTrace(t.Context(), "jobs")
	b.enqueue(t, traciumasynq.NewTask(ctx, "fragile", nil, asynq.MaxRetry(1)))
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

// A task scheduled for later counts its time queued from when it became
// due, not from when it was made.
func TestScheduledTaskQueuedFromDue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.mux.HandleFunc("reminder", func(context.Context, *asynq.Task) error { return nil })
	b.start(t)
	// asynq keeps schedules in whole seconds: the task runs in (1s, 2s].
	const delay = 2 * time.Second
	ctx, run := b.client.AgentTrace(t.Context(), "jobs")
	b.enqueue(t, traciumasynq.NewTask(ctx, "reminder", nil, asynq.ProcessIn(delay)))
	run.End()
	spans := b.coll.Wait(t, b.client, 3)
	enqueue, attempt := spantest.One(t, spans, tracium.SpanTask, "enqueue reminder"), spantest.One(t, spans, tracium.SpanTask, "reminder")
	if waited := attempt.StartTime.Sub(enqueue.StartTime); waited < delay-time.Second {
		t.Fatalf("ran %v after enqueue, before its delay %v", waited, delay)
	}
	if q := queuedMS(t, attempt); q >= 1000 {
		t.Errorf("queued %v ms, counted from enqueue rather than from when it became due", q)
	}
}

func TestFailedTaskWithSkipRetry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.mux.HandleFunc("once", func(context.Context, *asynq.Task) error {
		return fmt.Errorf("bad payload: %w", asynq.SkipRetry)
	})
	b.start(t)
	ctx, run := b.client.AgentTrace(t.Context(), "jobs")
	b.enqueue(t, traciumasynq.NewTask(ctx, "once", nil, asynq.MaxRetry(3)))
	run.End()
	a := spantest.One(t, b.coll.Wait(t, b.client, 3), tracium.SpanTask, "once")
	if a.Status != "error" || !strings.HasPrefix(a.ErrorMessage, "bad payload") {
		t.Errorf("status %q message %q", a.Status, a.ErrorMessage)
	}
}

// quietLogger keeps asynq's logs (a failed task is an error there) out of
// the test output.
type quietLogger struct{}

func (quietLogger) Debug(...any) {}
func (quietLogger) Info(...any)  {}
func (quietLogger) Warn(...any)  {}
func (quietLogger) Error(...any) {}
func (quietLogger) Fatal(args ...any) {
	panic(fmt.Sprint(args...))
}
