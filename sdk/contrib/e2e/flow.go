package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/collectortest"
	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/store"
)

// Route is the web app's one route: it enqueues a job to summarise a
// ticket and answers 202 with the request's trace id.
const Route = "/tickets/{id}/summarise"

// Enqueue puts the job for a ticket in the queue, under ctx (the
// request's context, carrying its span); it returns the job's id.
type Enqueue func(ctx context.Context, ticket int) (jobID string, err error)

// Flow is one end-to-end setup: the real collector, a client sending to
// it, a fake LLM provider, and the web app.
type Flow struct {
	Collector *collectortest.Collector
	Client    *tracium.Client
	LLM       *fakellm.Server

	app   *httptest.Server
	jobID chan string
}

// Start runs the collector, the fake provider and the web app, whose
// handler calls enqueue.
func Start(t *testing.T, enqueue Enqueue) *Flow {
	t.Helper()
	f := &Flow{Collector: collectortest.Start(t), LLM: fakellm.New(t, fakellm.Options{}), jobID: make(chan string, 16)}
	f.Client = tracium.NewClient(
		tracium.WithAPIKey(f.Collector.APIKey), tracium.WithEndpoint(f.Collector.URL),
		tracium.WithFlushInterval(10*time.Millisecond),
		tracium.WithErrorHandler(func(err error) { t.Errorf("tracium client: %v", err) }),
	)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = f.Client.Shutdown(ctx)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Route, func(w http.ResponseWriter, r *http.Request) {
		ticket, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			http.Error(w, "bad ticket id", http.StatusBadRequest)
			return
		}
		id, err := enqueue(r.Context(), ticket)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		f.jobID <- id
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, tracium.SpanFromContext(r.Context()).TraceID())
	})
	f.app = httptest.NewServer(f.Client.HTTPMiddleware(mux))
	t.Cleanup(f.app.Close)
	return f
}

// Request posts a ticket to the app and returns the trace id of the
// request and the id of the job it enqueued.
func (f *Flow) Request(t *testing.T, ticket int) (traceID, jobID string) {
	t.Helper()
	resp, err := http.Post(fmt.Sprintf("%s/tickets/%d/summarise", f.app.URL, ticket), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted || len(body) != 32 {
		t.Fatalf("POST ticket %d: %d %q", ticket, resp.StatusCode, body)
	}
	return string(body), <-f.jobID
}

// Summarise is the job's work: one OpenAI chat completion through the
// SDK's transport, under ctx (the worker's context).
func (f *Flow) Summarise(ctx context.Context, ticket int) error {
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"Summarise ticket %d"}]}`, fakellm.OpenAIModel, ticket)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.LLM.URL+"/v1/chat/completions", strings.NewReader(body))
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
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("chat completion: %s", resp.Status)
	}
	return nil
}

// WaitTrace flushes the client and waits until the collector has stored
// n spans of the trace.
func (f *Flow) WaitTrace(t *testing.T, traceID string, n int) []store.Span {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := f.Client.Flush(ctx)
		cancel()
		if err != nil {
			t.Fatalf("flush: %v", err)
		}
		d, err := f.Collector.Store.GetTrace(context.Background(), f.Collector.ProjectID, traceID)
		if err == nil && len(d.Spans) >= n {
			if len(d.Spans) > n {
				t.Fatalf("trace %s: %d spans stored, want %d:\n%s", traceID, len(d.Spans), n, Describe(d.Spans))
			}
			return d.Spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: %d spans stored after 30s, want %d (last error: %v):\n%s", traceID, len(d.Spans), n, err, Describe(d.Spans))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Describe lists spans for a failure message.
func Describe(spans []store.Span) string {
	var sb strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&sb, "  %s %s %q parent=%s status=%s %s %s\n", s.SpanID, s.Type, s.Name, s.ParentSpanID, s.Status, s.ErrorMessage, s.Attributes)
	}
	return sb.String()
}

// Attributes decodes a stored span's attributes.
func Attributes(t *testing.T, s store.Span) map[string]any {
	t.Helper()
	attrs := map[string]any{}
	if len(s.Attributes) > 0 {
		if err := json.Unmarshal(s.Attributes, &attrs); err != nil {
			t.Fatalf("span %q attributes %s: %v", s.Name, s.Attributes, err)
		}
	}
	return attrs
}
