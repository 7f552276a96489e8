package llmtest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
	goopenai "github.com/sashabaranov/go-openai"
	"google.golang.org/genai"

	"github.com/tracium/tracium/internal/collectortest"
	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/store"
)

// The demo run is what the UI tests look at: a support request served by
// a net/http handler under tracium.HTTPMiddleware, whose agent asks every
// supported client — plain and streamed — through the SDK's automatic
// capture, against the wire-format fakes, into the real collector. Nothing
// in it is written by hand: every span is what the SDK recorded.

// Demo answers, one per fake, so that each span's output is told apart.
var (
	demoOpenAIWords    = []string{"The", " capital", " of", " France", " is", " Paris."}
	demoAnthropicWords = []string{"Paris,", " on", " the", " Seine."}
	demoGeminiWords    = []string{"Paris", " is", " the", " answer."}
)

const (
	demoAdmin    = "admin@example.com"
	demoPassword = "demo-password-for-the-ui"
	demoQuestion = "Where is the Eiffel Tower, and what is the weather there?"
	demoAnswer   = "In Paris; it is sunny."
	demoUser     = "user-42"
	demoSession  = "session-7"
	// The score the application gives each run, through the SDK.
	demoCheck        = "answered"
	demoCheckComment = "the agent answered from the calls it made"
)

// demoTurns are the conversation of the demo's session: each a request
// to the support endpoint with its question, answered by the agent after
// the same calls. The first is what a single demo request asks.
var demoTurns = []struct{ question, answer string }{
	{demoQuestion, demoAnswer},
	{"How tall is it?", "About 330 metres, antenna included."},
	{"Thanks! Is it open on Sundays?", "Yes, every day of the year."},
}

// demoAnswerTo is the agent's answer to a question of demoTurns.
func demoAnswerTo(question string) string {
	for _, t := range demoTurns {
		if t.question == question {
			return t.answer
		}
	}
	return demoAnswer
}

// demoCall is one LLM call of the run and what its span must show.
type demoCall struct {
	label    string // how the test names it
	provider string
	stream   bool
	reply    string // the assistant's text
	toolCall string // a tool the model called, when it did
	spanID   string // filled from the stored trace
}

// demoRun is the stored result of one request.
type demoRun struct {
	c       *collectortest.Collector
	traceID string
	calls   []demoCall
	trace   store.TraceDetail
}

// demoApp is the served application: a real collector, a Tracium client
// sending to it, and the support endpoint.
type demoApp struct {
	c   *collectortest.Collector
	tc  *tracium.Client
	url string
}

// recordDemo starts the application and serves one request.
func recordDemo(t *testing.T, opts ...collectortest.Option) *demoRun {
	t.Helper()
	return startDemo(t, opts...).ask(t)
}

func startDemo(t *testing.T, opts ...collectortest.Option) *demoApp {
	t.Helper()
	c := collectortest.Start(t, append([]collectortest.Option{collectortest.WithAdmin(demoAdmin, demoPassword)}, opts...)...)
	tc := tracium.NewClient(tracium.WithAPIKey(c.APIKey), tracium.WithEndpoint(c.URL), tracium.WithFlushInterval(20*time.Millisecond))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tc.Shutdown(ctx)
	})
	oaiFake := newFakeProvider(t, fakeOptions{Words: demoOpenAIWords})
	antFake := newFakeProvider(t, fakeOptions{Words: demoAnthropicWords})
	gemFake := newFakeProvider(t, fakeOptions{Words: demoGeminiWords})
	oai, ant, gem, goai := newOpenAI(oaiFake.URL), newAnthropic(antFake.URL), newGenAI(t, gemFake.URL), newGoOpenAI(oaiFake.URL, nil)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /ask", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<10))
		question := cmp.Or(string(body), demoQuestion)
		ctx, run := tc.AgentTrace(r.Context(), "support-agent", tracium.WithUserID(demoUser),
			tracium.WithSessionID(demoSession), tracium.WithInput(map[string]string{"question": question}))
		defer run.End()
		if err := askEveryClient(ctx, oai, ant, gem, goai); err != nil {
			run.SetError(err)
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		run.RecordOutput(map[string]string{"answer": demoAnswerTo(question)})
		// The application's own check of the run, as an online evaluator
		// would score it.
		if err := tc.Score(ctx, run.TraceID(), demoCheck, true, tracium.WithScoreComment(demoCheckComment)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, run.TraceID())
	})
	srv := httptest.NewServer(tc.HTTPMiddleware(mux))
	t.Cleanup(srv.Close)
	return &demoApp{c: c, tc: tc, url: srv.URL}
}

// ask serves one request and waits until its trace is stored.
func (a *demoApp) ask(t *testing.T) *demoRun {
	t.Helper()
	return a.askQuestion(t, demoQuestion)
}

// converse asks every question of demoTurns in turn, in one session, and
// returns their runs.
func (a *demoApp) converse(t *testing.T) []*demoRun {
	t.Helper()
	runs := make([]*demoRun, len(demoTurns))
	for i, turn := range demoTurns {
		runs[i] = a.askQuestion(t, turn.question)
	}
	return runs
}

// askQuestion serves one request asking question and waits until its
// trace is stored.
func (a *demoApp) askQuestion(t *testing.T, question string) *demoRun {
	t.Helper()
	resp, err := http.Post(a.url+"/ask", "text/plain", strings.NewReader(question))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /ask: %d %s", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.tc.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	run := &demoRun{c: a.c, traceID: string(body), calls: []demoCall{
		{label: "openai-go chat", provider: "openai", reply: strings.Join(demoOpenAIWords, "")},
		{label: "openai-go chat stream", provider: "openai", stream: true, reply: strings.Join(demoOpenAIWords, "")},
		{label: "openai-go responses", provider: "openai", reply: strings.Join(demoOpenAIWords, "")},
		{label: "go-openai chat", provider: "openai", reply: strings.Join(demoOpenAIWords, "")},
		{label: "anthropic-sdk-go messages", provider: "anthropic", reply: strings.Join(demoAnthropicWords, "")},
		{label: "anthropic-sdk-go messages stream", provider: "anthropic", stream: true, reply: strings.Join(demoAnthropicWords, ""), toolCall: "get_weather"},
		{label: "genai generateContent", provider: "google", reply: strings.Join(demoGeminiWords, "")},
		{label: "genai generateContent stream", provider: "google", stream: true, reply: strings.Join(demoGeminiWords, "")},
	}}
	// The HTTP span, the agent span, and one span per call.
	run.trace = a.c.WaitTrace(t, run.traceID, len(run.calls)+2, 10*time.Second)
	run.matchSpans(t)
	return run
}

// askEveryClient makes the run's calls in a fixed order.
func askEveryClient(ctx context.Context, oai openai.Client, ant anthropic.Client, gem *genai.Client, goai *goopenai.Client) error {
	if _, err := oai.Chat.Completions.New(ctx, openAIParams()); err != nil {
		return fmt.Errorf("openai chat: %w", err)
	}
	p := openAIParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := oai.Chat.Completions.NewStreaming(ctx, p)
	for st.Next() {
	}
	if err := st.Err(); err != nil {
		return fmt.Errorf("openai stream: %w", err)
	}
	st.Close()
	if _, err := oai.Responses.New(ctx, responsesParams()); err != nil {
		return fmt.Errorf("openai responses: %w", err)
	}
	if _, err := goai.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: openAIModel,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: prompt}}}); err != nil {
		return fmt.Errorf("go-openai: %w", err)
	}
	if _, err := ant.Messages.New(ctx, anthropicParams()); err != nil {
		return fmt.Errorf("anthropic: %w", err)
	}
	as := ant.Messages.NewStreaming(ctx, anthropicParams())
	for as.Next() {
	}
	if err := as.Err(); err != nil {
		return fmt.Errorf("anthropic stream: %w", err)
	}
	as.Close()
	if _, err := gem.Models.GenerateContent(ctx, geminiModel, genai.Text(prompt), nil); err != nil {
		return fmt.Errorf("genai: %w", err)
	}
	for _, err := range gem.Models.GenerateContentStream(ctx, geminiModel, genai.Text(prompt), nil) {
		if err != nil {
			return fmt.Errorf("genai stream: %w", err)
		}
	}
	return nil
}

// matchSpans finds each call's stored span: llm spans in start order,
// which is the order askEveryClient made them.
func (d *demoRun) matchSpans(t *testing.T) {
	t.Helper()
	var llms []store.Span
	for _, s := range d.trace.Spans {
		if s.Type == store.SpanLLM {
			llms = append(llms, s)
		}
	}
	if len(llms) != len(d.calls) {
		t.Fatalf("%d llm spans stored, want one per call (%d)", len(llms), len(d.calls))
	}
	for i := range d.calls {
		s, c := &llms[i], &d.calls[i]
		var attrs map[string]any
		_ = json.Unmarshal(s.Attributes, &attrs)
		streamed := attrs[tracium.AttrStream] == true
		if s.Provider != c.provider || streamed != c.stream {
			t.Fatalf("call %d (%s): stored span %q is provider %s, stream %v", i, c.label, s.Name, s.Provider, streamed)
		}
		c.spanID = s.SpanID
	}
}

// root and agent are the run's HTTP and agent spans.
func (d *demoRun) span(t *testing.T, typ store.SpanType) store.Span {
	t.Helper()
	for _, s := range d.trace.Spans {
		if s.Type == typ {
			return s
		}
	}
	t.Fatalf("no %s span in the demo trace", typ)
	return store.Span{}
}
