package tracium_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	tracium "github.com/tracium/tracium/sdk"
)

// exampleKey has the shape of a real key; the examples send to a local
// stand-in collector.
const exampleKey = "sk_live_0123456789abcdefghijABCDEFGHIJKL"

// startCollector stands in for the Tracium collector: it prints each span
// it receives as "type name agent=... parent=yes|no", then each score.
func startCollector() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var batch tracium.Batch
		if err := json.NewDecoder(zr).Decode(&batch); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, s := range batch.Spans {
			fmt.Printf("%s %q agent=%s parent=%t", s.Type, s.Name, s.AgentName, s.ParentSpanID != "")
			if s.Model != "" {
				fmt.Printf(" model=%s", s.Model)
			}
			if s.UserID != "" {
				fmt.Printf(" user=%s", s.UserID)
			}
			fmt.Println()
		}
		for _, sc := range batch.Scores {
			fmt.Printf("score %s=%v of the span: %t, comment %q\n", sc.Name, sc.Value, sc.SpanID != "", sc.Comment)
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"accepted":%d,"accepted_scores":%d}`, len(batch.Spans), len(batch.Scores))
	}))
}

func ExampleTrace() {
	collector := startCollector()
	defer collector.Close()
	// In production these come from the deployment's environment.
	os.Setenv("TRACIUM_API_KEY", exampleKey)
	os.Setenv("TRACIUM_ENDPOINT", collector.URL)
	os.Setenv("TRACIUM_DEFAULT_AGENT_NAME", "assistant")
	defer os.Unsetenv("TRACIUM_API_KEY")
	defer os.Unsetenv("TRACIUM_ENDPOINT")
	defer os.Unsetenv("TRACIUM_DEFAULT_AGENT_NAME")

	client := tracium.Trace()
	defer client.Shutdown(context.Background())

	_, span := tracium.StartSpan(context.Background(), tracium.SpanLLM, "chat")
	span.SetModel("gpt-4o")
	span.End()
	client.Flush(context.Background())
	// Output: llm "chat" agent=assistant parent=false model=gpt-4o
}

func ExampleInit() {
	collector := startCollector()
	defer collector.Close()

	client := tracium.Init(
		tracium.WithAPIKey(exampleKey),
		tracium.WithEndpoint(collector.URL),
		tracium.WithDefaultAgentName("billing"),
		tracium.WithSampleRate(1),
		tracium.WithRedact(func(s *tracium.SpanData) { s.Input = nil }),
	)
	// Shutdown sends what is still queued; give it a deadline so that an
	// unreachable collector cannot hold up the process's exit.
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		client.Shutdown(ctx)
	}()

	_, span := tracium.StartSpan(context.Background(), tracium.SpanTool, "charge-card")
	span.RecordInput(map[string]string{"card": "4242 4242 4242 4242"})
	span.End()
	client.Flush(context.Background())
	fmt.Println(client.Stats().Sent)
	// Output:
	// tool "charge-card" agent=billing parent=false
	// 1
}

func ExampleClient_AgentTrace() {
	collector := startCollector()
	defer collector.Close()
	client := tracium.Init(tracium.WithAPIKey(exampleKey), tracium.WithEndpoint(collector.URL))
	defer client.Shutdown(context.Background())

	ctx, run := client.AgentTrace(context.Background(), "researcher",
		tracium.WithUserID("user-42"), tracium.WithSessionID("chat-7"),
		tracium.WithInput("What is the boiling point of water on Everest?"))

	ctx2, search := run.Span(ctx, tracium.SpanTool, "web-search")
	search.RecordInput("boiling point water 8849 m")
	_, llm := tracium.StartSpan(ctx2, tracium.SpanLLM, "summarize")
	llm.SetModel("claude-sonnet-4")
	llm.SetUsage(tracium.Usage{InputTokens: 812, OutputTokens: 64, TotalTokens: 876})
	llm.End()
	search.End()

	run.RecordOutput("About 70 °C.")
	run.End()
	client.Flush(context.Background())
	// Output:
	// llm "summarize" agent=researcher parent=true model=claude-sonnet-4
	// tool "web-search" agent=researcher parent=true
	// agent "researcher" agent=researcher parent=false user=user-42
}

func ExampleStartSpan() {
	collector := startCollector()
	defer collector.Close()
	client := tracium.Init(tracium.WithAPIKey(exampleKey), tracium.WithEndpoint(collector.URL),
		tracium.WithDefaultAgentName("etl"))
	defer client.Shutdown(context.Background())

	// With nothing in the context, StartSpan begins a trace on the default
	// client; spans started under its context nest inside it.
	ctx, job := tracium.StartSpan(context.Background(), tracium.SpanTask, "nightly-embed")
	for _, doc := range []string{"a.md", "b.md"} {
		_, span := tracium.StartSpan(ctx, tracium.SpanEmbedding, "embed "+doc)
		span.SetAttribute("bytes", len(doc))
		span.End()
	}
	job.End()
	client.Flush(context.Background())
	// Output:
	// embedding "embed a.md" agent=etl parent=true
	// embedding "embed b.md" agent=etl parent=true
	// task "nightly-embed" agent=etl parent=false
}

func ExampleInject() {
	// A request arrives from a service that is already tracing...
	incoming := http.Header{}
	incoming.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	ctx := tracium.Extract(context.Background(), incoming)

	// ...this service does some work in the same trace...
	ctx, span := tracium.StartSpan(ctx, tracium.SpanRetrieval, "lookup")
	defer span.End()

	// ...and calls the next service, which continues the trace again.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://inventory.internal/items", nil)
	tracium.Inject(ctx, req.Header)
	tp := req.Header.Get("traceparent")
	fmt.Println("trace:", tp[3:35])
	fmt.Println("parent is our span:", tp[36:52] == span.SpanID())
	// Output:
	// trace: 4bf92f3577b34da6a3ce929d0e0e4736
	// parent is our span: true
}

func ExampleHTTPMiddleware() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		span := tracium.SpanFromContext(r.Context())
		fmt.Fprintf(w, "hello %s, trace %s", r.PathValue("name"), span.TraceID())
	})
	srv := httptest.NewServer(tracium.HTTPMiddleware(mux))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/hello/ada", nil)
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: hello ada, trace 0af7651916cd43dd8448eb211c80319c
}

// ExampleTransport records a chat completion made through an http.Client
// with its own transport; clients that use http.DefaultTransport need
// nothing but Init. With openai-go or anthropic-sdk-go,
// option.WithMiddleware(tracium.Middleware()) does the same.
func ExampleTransport() {
	collector := startCollector()
	defer collector.Close()
	llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18",`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`)
	}))
	defer llm.Close()

	client := tracium.Init(tracium.WithAPIKey(exampleKey), tracium.WithEndpoint(collector.URL))
	hc := &http.Client{Transport: tracium.Transport(&http.Transport{})}

	ctx, run := client.AgentTrace(context.Background(), "greeter")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, llm.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}`))
	resp, err := hc.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	run.End()
	client.Shutdown(context.Background())
	// Output:
	// llm "chat gpt-4o-mini" agent=greeter parent=true model=gpt-4o-mini-2024-07-18
	// agent "greeter" agent=greeter parent=false
}

func ExampleClient_Score() {
	collector := startCollector()
	defer collector.Close()
	client := tracium.NewClient(tracium.WithAPIKey(exampleKey), tracium.WithEndpoint(collector.URL))

	ctx, run := client.AgentTrace(context.Background(), "support-agent")
	_, llm := run.Span(ctx, tracium.SpanLLM, "answer")
	llm.End()
	_ = llm.Score("grounded", true) // a check of one call, by code
	run.End()

	// Later, when the user's feedback comes in, by the trace's id; the
	// collector keeps a score that arrives before its trace.
	_ = client.Score(context.Background(), run.TraceID(), "helpfulness", 0.9, tracium.WithScoreComment("solved it"))
	_ = client.Shutdown(context.Background())
	// Output:
	// llm "answer" agent=support-agent parent=true
	// agent "support-agent" agent=support-agent parent=false
	// score grounded=true of the span: true, comment ""
	// score helpfulness=0.9 of the span: false, comment "solved it"
}
