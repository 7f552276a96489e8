package llmtest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"
	"google.golang.org/genai"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// testAPIKey is well formed for the SDK; the fake collector does not check it.
const testAPIKey = "sk_live_0123456789abcdefghijABCDEFGHIJKL"

// The process-wide client and collector. Init wraps http.DefaultTransport
// once per process, so it runs here, before any provider client is built
// and before any parallel test starts.
var (
	client    *tracium.Client
	collector *spantest.Collector
)

func TestMain(m *testing.M) {
	collector = spantest.Start()
	client = tracium.Init(
		tracium.WithAPIKey(testAPIKey),
		tracium.WithEndpoint(collector.URL),
		tracium.WithFlushInterval(20*time.Millisecond),
	)
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = client.Shutdown(ctx)
	cancel()
	collector.Close()
	os.Exit(code)
}

// testBundle is what one test needs: its own fake provider and its own
// agent run, so that its spans are found by trace id.
type testBundle struct {
	fake *fakeProvider
	ctx  context.Context
	run  *tracium.AgentTrace
}

func setup(t *testing.T, opts fakeOptions) *testBundle {
	t.Helper()
	fake := newFakeProvider(t, opts)
	ctx, run := client.AgentTrace(t.Context(), "llmtest-"+t.Name())
	return &testBundle{fake: fake, ctx: ctx, run: run}
}

// finish ends the agent run, waits until the collector has the whole trace
// (the root ends last, so its arrival means the rest arrived) and returns
// the spans other than the root.
func (b *testBundle) finish(t *testing.T) []tracium.SpanData {
	t.Helper()
	b.run.End()
	return waitTrace(t, b.run.TraceID(), b.run.SpanID())
}

func waitTrace(t *testing.T, traceID, rootID string) []tracium.SpanData {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = client.Flush(ctx)
		cancel()
		spans := collector.Trace(traceID)
		if i := slices.IndexFunc(spans, func(s tracium.SpanData) bool { return s.SpanID == rootID }); i >= 0 {
			return slices.Delete(spans, i, i+1)
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: root span %s not received within 5s (got %d spans)", traceID, rootID, len(spans))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ofType returns the spans of type typ.
func ofType(spans []tracium.SpanData, typ tracium.SpanType) []tracium.SpanData {
	var out []tracium.SpanData
	for _, s := range spans {
		if s.Type == typ {
			out = append(out, s)
		}
	}
	return out
}

// onlySpan returns the one span of type typ and fails the test unless
// exactly one was recorded.
func onlySpan(t *testing.T, spans []tracium.SpanData, typ tracium.SpanType) tracium.SpanData {
	t.Helper()
	got := ofType(spans, typ)
	if len(got) != 1 {
		t.Fatalf("got %d %s spans, want 1; all spans: %s", len(got), typ, describe(spans))
	}
	return got[0]
}

// chatText joins the text of every message.
func chatText(c tracium.Chat) string {
	var b strings.Builder
	for _, m := range c.Messages {
		b.WriteString(m.Text())
		b.WriteByte('\n')
	}
	return b.String()
}

func describe(spans []tracium.SpanData) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "\n  %s %q type=%s parent=%s status=%s", s.SpanID, s.Name, s.Type, s.ParentSpanID, s.Status)
	}
	return b.String()
}

// wantLLM is what an LLM span must carry.
type wantLLM struct {
	typ                 tracium.SpanType
	name, provider      string
	requestModel, model string
	usage               tracium.Usage
	prompt, output      string
	stream              bool
	parent              string
}

func checkLLM(t *testing.T, s tracium.SpanData, w wantLLM) {
	t.Helper()
	if w.typ == "" {
		w.typ = tracium.SpanLLM
	}
	if s.Type != w.typ {
		t.Errorf("type = %q, want %q", s.Type, w.typ)
	}
	if s.Name != w.name {
		t.Errorf("name = %q, want %q", s.Name, w.name)
	}
	if s.Provider != w.provider {
		t.Errorf("provider = %q, want %q", s.Provider, w.provider)
	}
	if s.RequestModel != w.requestModel {
		t.Errorf("request_model = %q, want %q", s.RequestModel, w.requestModel)
	}
	if s.Model != w.model {
		t.Errorf("model = %q, want %q", s.Model, w.model)
	}
	if s.Status != "ok" {
		t.Errorf("status = %q (%s: %s), want ok", s.Status, s.ErrorType, s.ErrorMessage)
	}
	if w.parent != "" && s.ParentSpanID != w.parent {
		t.Errorf("parent_span_id = %q, want %q", s.ParentSpanID, w.parent)
	}
	if s.Usage == nil {
		t.Errorf("usage missing, want %+v", w.usage)
	} else if *s.Usage != w.usage {
		t.Errorf("usage = %+v, want %+v", *s.Usage, w.usage)
	}
	if w.prompt != "" {
		in, ok := tracium.ParseChat(s.Input)
		if !ok || !strings.Contains(chatText(in), w.prompt) {
			t.Errorf("input %s is not a recorded chat holding the prompt %q", s.Input, w.prompt)
		}
	}
	if w.output != "" {
		out, ok := tracium.ParseChat(s.Output)
		if !ok || len(out.Messages) == 0 || out.Messages[0].Role != tracium.RoleAssistant || out.Messages[0].Text() != w.output {
			t.Errorf("output %s is not a recorded chat whose assistant says %q", s.Output, w.output)
		}
	}
	if !s.EndTime.After(s.StartTime) {
		t.Errorf("end_time %v not after start_time %v", s.EndTime, s.StartTime)
	}
	if w.stream {
		if s.TimeToFirstTokenMS == nil || *s.TimeToFirstTokenMS <= 0 {
			t.Errorf("time_to_first_token_ms = %v, want > 0", s.TimeToFirstTokenMS)
		}
		if v, ok := s.Attributes["stream"]; !ok || v != true {
			t.Errorf("attributes.stream = %v, want true (attributes %v)", v, s.Attributes)
		}
	}
}

func openAIUsageWant() tracium.Usage {
	return tracium.Usage{InputTokens: openAIPrompt, OutputTokens: openAICompletion, CachedTokens: openAICached, ReasoningTokens: openAIReasoning, TotalTokens: openAITotal}
}

func anthropicUsageWant() tracium.Usage {
	// Anthropic's input_tokens leaves the cache out; the convention counts it in.
	return tracium.Usage{InputTokens: anthropicInput + anthropicCacheRead + anthropicCacheCreation, OutputTokens: anthropicOutput,
		CachedTokens: anthropicCacheRead, CacheCreationTokens: anthropicCacheCreation, TotalTokens: anthropicTotal}
}

func geminiUsageWant() tracium.Usage {
	// Gemini counts thoughts apart from the candidates; the convention counts them in the output.
	return tracium.Usage{InputTokens: geminiPrompt, OutputTokens: geminiCandidates + geminiThoughts, CachedTokens: geminiCached,
		ReasoningTokens: geminiThoughts, TotalTokens: geminiTotal}
}

// The provider clients, built after Init so that those using
// http.DefaultClient go through the wrapped transport. Retries are kept
// but fast: the fakes answer errors with Retry-After-Ms.

func newOpenAI(url string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(url + "/v1/"),
		option.WithAPIKey("sk-fake"),
	}, opts...)...)
}

func newAnthropic(url string, opts ...anthropicoption.RequestOption) anthropic.Client {
	return anthropic.NewClient(append([]anthropicoption.RequestOption{
		anthropicoption.WithBaseURL(url + "/"),
		anthropicoption.WithAPIKey("sk-ant-fake"),
	}, opts...)...)
}

func newGenAI(t *testing.T, url string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(t.Context(), &genai.ClientConfig{
		APIKey:      "fake-gemini-key",
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: url + "/"},
	})
	if err != nil {
		t.Fatalf("genai.NewClient: %v", err)
	}
	return c
}

func newGoOpenAI(url string, hc *http.Client) *goopenai.Client {
	cfg := goopenai.DefaultConfig("sk-fake")
	cfg.BaseURL = url + "/v1"
	if hc != nil {
		cfg.HTTPClient = hc
	}
	return goopenai.NewClientWithConfig(cfg)
}
