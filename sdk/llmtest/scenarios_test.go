package llmtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	anthropicoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"
	"golang.org/x/sync/errgroup"
	"google.golang.org/genai"

	tracium "github.com/tracium/tracium/sdk"
)

func TestConcurrentCallsInOneTrace(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	oc := newOpenAI(b.fake.URL)
	const n = 10
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := oc.Chat.Completions.New(b.ctx, openAIParams())
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("New: %v", err)
		}
	}
	llm := ofType(b.finish(t), "llm")
	if len(llm) != n {
		t.Fatalf("got %d llm spans, want %d", len(llm), n)
	}
	ids := map[string]bool{}
	for _, s := range llm {
		ids[s.SpanID] = true
		checkLLM(t, s, wantLLM{
			name: "chat " + openAIModel, provider: "openai", requestModel: openAIModel, model: openAIAnswerModel,
			usage: openAIUsageWant(), prompt: prompt, output: b.fake.Reply(), parent: b.run.SpanID(),
		})
	}
	if len(ids) != n {
		t.Errorf("got %d distinct span ids, want %d", len(ids), n)
	}
}

// TestErrgroupFanOut calls the four clients at once from an errgroup whose
// context derives from the agent run's.
func TestErrgroupFanOut(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	oc, ac, gc, goc := newOpenAI(b.fake.URL), newAnthropic(b.fake.URL), newGenAI(t, b.fake.URL), newGoOpenAI(b.fake.URL, nil)
	g, ctx := errgroup.WithContext(b.ctx)
	g.Go(func() error { _, err := oc.Chat.Completions.New(ctx, openAIParams()); return err })
	g.Go(func() error { _, err := ac.Messages.New(ctx, anthropicParams()); return err })
	g.Go(func() error {
		_, err := gc.Models.GenerateContent(ctx, geminiModel, genai.Text(prompt), nil)
		return err
	})
	g.Go(func() error {
		_, err := goc.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
			Model:    openAIModel,
			Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: prompt}},
		})
		return err
	})
	if err := g.Wait(); err != nil {
		t.Fatalf("fan-out: %v", err)
	}
	llm := ofType(b.finish(t), "llm")
	var providers []string
	for _, s := range llm {
		providers = append(providers, s.Provider)
		if s.ParentSpanID != b.run.SpanID() || s.Status != "ok" || s.Usage == nil {
			t.Errorf("span %q: parent %q status %q usage %v, want parent %q, ok, usage", s.Name, s.ParentSpanID, s.Status, s.Usage, b.run.SpanID())
		}
	}
	slices.Sort(providers)
	if want := []string{"anthropic", "google", "openai", "openai"}; !slices.Equal(providers, want) {
		t.Errorf("providers = %v, want %v", providers, want)
	}
}

func TestManualSpanWrapsLLMCall(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	oc := newOpenAI(b.fake.URL)
	ctx, tool := tracium.StartSpan(b.ctx, tracium.SpanTool, "summarize")
	if _, err := oc.Chat.Completions.New(ctx, openAIParams()); err != nil {
		t.Fatalf("New: %v", err)
	}
	tool.End()
	spans := b.finish(t)
	toolSpan := onlySpan(t, spans, tracium.SpanTool)
	if toolSpan.SpanID != tool.SpanID() || toolSpan.ParentSpanID != b.run.SpanID() {
		t.Errorf("tool span %s parent %s, want %s parent %s", toolSpan.SpanID, toolSpan.ParentSpanID, tool.SpanID(), b.run.SpanID())
	}
	checkLLM(t, onlySpan(t, spans, "llm"), wantLLM{
		name: "chat " + openAIModel, provider: "openai", requestModel: openAIModel, model: openAIAnswerModel,
		usage: openAIUsageWant(), prompt: prompt, output: b.fake.Reply(), parent: tool.SpanID(),
	})
}

// TestOpenAIGoRetry lets openai-go retry on its own: each attempt is one
// llm span, told apart by the attempt attribute.
func TestOpenAIGoRetry(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			b := setup(t, fakeOptions{FailStatuses: []int{status}})
			oc := newOpenAI(b.fake.URL, option.WithMaxRetries(2))
			if _, err := oc.Chat.Completions.New(b.ctx, openAIParams()); err != nil {
				t.Fatalf("New: %v", err)
			}
			if n := len(b.fake.Requests()); n != 2 {
				t.Fatalf("fake got %d requests, want 2", n)
			}
			llm := ofType(b.finish(t), "llm")
			if len(llm) != 2 {
				t.Fatalf("got %d llm spans, want 2", len(llm))
			}
			slices.SortFunc(llm, func(x, y tracium.SpanData) int { return x.StartTime.Compare(y.StartTime) })
			failed, ok := llm[0], llm[1]
			if got := fmt.Sprint(failed.Attributes["attempt"]); got != "0" {
				t.Errorf("first span attempt = %s, want 0", got)
			}
			if got := fmt.Sprint(ok.Attributes["attempt"]); got != "1" {
				t.Errorf("second span attempt = %s, want 1", got)
			}
			if failed.Status != "error" || failed.ErrorMessage == "" {
				t.Errorf("first span status %q message %q, want error with a message", failed.Status, failed.ErrorMessage)
			}
			if failed.ParentSpanID != b.run.SpanID() {
				t.Errorf("first span parent %q, want %q", failed.ParentSpanID, b.run.SpanID())
			}
			checkLLM(t, ok, wantLLM{
				name: "chat " + openAIModel, provider: "openai", requestModel: openAIModel, model: openAIAnswerModel,
				usage: openAIUsageWant(), prompt: prompt, output: b.fake.Reply(), parent: b.run.SpanID(),
			})
		})
	}
}

// TestAbandonedStream closes a stream after its first chunk while the
// provider holds the rest back. Not parallel: it counts goroutines.
func TestAbandonedStream(t *testing.T) {
	b := setup(t, fakeOptions{StallAfterFirstChunk: true})
	tr := &http.Transport{}
	oc := newOpenAI(b.fake.URL, option.WithHTTPClient(&http.Client{Transport: tracium.Transport(tr)}))
	// Open the exporter's keep-alive connection to the collector before
	// counting, so that only goroutines of the stream remain to be seen.
	_, warm := client.AgentTrace(t.Context(), "warm-up")
	warm.End()
	waitTrace(t, warm.TraceID(), warm.SpanID())
	runtime.GC()
	baseline := runtime.NumGoroutine()

	p := openAIParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := oc.Chat.Completions.NewStreaming(b.ctx, p)
	if !stream.Next() {
		t.Fatalf("no first chunk: %v", stream.Err())
	}
	first := stream.Current().Choices[0].Delta.Content
	if err := stream.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s := onlySpan(t, b.finish(t), "llm")
	if !containsJSON(s.Output, first) {
		t.Errorf("output %s does not contain the first chunk %q", s.Output, first)
	}
	if containsJSON(s.Output, b.fake.Reply()) {
		t.Errorf("output %s contains the whole reply, want only what was read", s.Output)
	}
	if s.Model != openAIAnswerModel || s.RequestModel != openAIModel {
		t.Errorf("model %q request_model %q", s.Model, s.RequestModel)
	}
	if s.TimeToFirstTokenMS == nil || *s.TimeToFirstTokenMS <= 0 {
		t.Errorf("time_to_first_token_ms = %v, want > 0", s.TimeToFirstTokenMS)
	}

	tr.CloseIdleConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d, baseline %d\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNonLLMRequestUntouched sends a request that is not an LLM call
// through the wrapped default transport inside a trace.
func TestNonLLMRequestUntouched(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	reqBody := []byte(`{"model":"not-an-llm","messages":["keep me"],"n":1}`)
	respBody := bytes.Repeat([]byte(`{"id":1,"name":"order"}`+"\n"), 500)
	var got []byte
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(respBody)
	}))
	defer api.Close()

	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, api.URL+"/api/orders", bytes.NewReader(reqBody))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, respBody) {
		t.Errorf("response body changed: %d bytes, want %d", len(body), len(respBody))
	}
	if !bytes.Equal(got, reqBody) {
		t.Errorf("request body changed: %q, want %q", got, reqBody)
	}
	if spans := b.finish(t); len(spans) != 0 {
		t.Errorf("got spans for a non-LLM request: %s", describe(spans))
	}
}

// TestMiddlewareAndTransportRecordOnce uses openai-go's middleware on top
// of the wrapped default transport: one call, one span.
func TestMiddlewareAndTransportRecordOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	oc := newOpenAI(b.fake.URL, option.WithMiddleware(tracium.Middleware()))
	if _, err := oc.Chat.Completions.New(b.ctx, openAIParams()); err != nil {
		t.Fatalf("New: %v", err)
	}
	checkLLM(t, onlySpan(t, b.finish(t), "llm"), wantLLM{
		name: "chat " + openAIModel, provider: "openai", requestModel: openAIModel, model: openAIAnswerModel,
		usage: openAIUsageWant(), prompt: prompt, output: b.fake.Reply(), parent: b.run.SpanID(),
	})
}

// TestAnthropicOverloaded turns client retries off: the provider's error
// ends the llm span with status error and the provider's message.
func TestAnthropicOverloaded(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{FailStatuses: []int{529}})
	ac := newAnthropic(b.fake.URL, anthropicoption.WithMaxRetries(0))
	if _, err := ac.Messages.New(b.ctx, anthropicParams()); err == nil {
		t.Fatal("Messages.New succeeded, want the overloaded error")
	}
	s := onlySpan(t, b.finish(t), "llm")
	if s.Status != "error" || !strings.Contains(s.ErrorMessage, "Overloaded") {
		t.Errorf("status %q error_type %q error_message %q, want error carrying %q", s.Status, s.ErrorType, s.ErrorMessage, "Overloaded")
	}
	if s.Provider != "anthropic" || s.RequestModel != anthropicModel || s.ParentSpanID != b.run.SpanID() {
		t.Errorf("provider %q request_model %q parent %q", s.Provider, s.RequestModel, s.ParentSpanID)
	}
	if s.Usage != nil {
		t.Errorf("usage = %+v, want absent", *s.Usage)
	}
}
