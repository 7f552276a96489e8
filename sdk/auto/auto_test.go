package auto

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// helperEnv names the scenario a re-run of the test binary plays as a
// program built by Orchestrion: Start in init, Shutdown deferred in main.
const helperEnv = "TRACIUM_AUTO_HELPER"

func TestMain(m *testing.M) {
	if scenario := os.Getenv(helperEnv); scenario != "" {
		playProgram(scenario)
		return
	}
	os.Exit(m.Run())
}

// playProgram is main of the program the scenario describes.
func playProgram(scenario string) {
	Start()
	defer Shutdown()
	_, plain := http.DefaultTransport.(*http.Transport)
	fmt.Printf("default transport is *http.Transport: %t\n", plain)
	_, s := tracium.StartSpan(context.Background(), tracium.SpanTool, "before")
	s.End()
	switch scenario {
	case "returns":
	case "sigterm-unhandled":
		fmt.Println("ready")
		select {}
	case "sigterm-handled":
		ctx, stop := NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		time.Sleep(200 * time.Millisecond) // not ended by Tracium meanwhile
		_, s := tracium.StartSpan(context.Background(), tracium.SpanTool, "after")
		s.End()
		fmt.Println("graceful")
	}
}

// runProgram starts the scenario against a fake collector and returns it,
// its stdout lines and the collector.
func runProgram(t *testing.T, scenario string) (*exec.Cmd, <-chan string, *spantest.Collector) {
	t.Helper()
	c := spantest.NewCollector(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+scenario,
		tracium.EnvAPIKey+"="+spantest.APIKey, tracium.EnvEndpoint+"="+c.URL, tracium.EnvDisabled+"=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, lines, c
}

func waitLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the program ended before printing %q", want)
			}
			if l == want {
				return
			}
		case <-timeout:
			t.Fatalf("no %q from the program", want)
		}
	}
}

func spanNames(c *spantest.Collector) []string {
	var names []string
	for _, s := range c.Spans() {
		names = append(names, s.Name)
	}
	return names
}

// A program whose main returns sends what it recorded, even before the
// flush interval, and keeps http.DefaultTransport.
func TestShutdownWhenMainReturns(t *testing.T) {
	t.Parallel()
	cmd, lines, c := runProgram(t, "returns")
	waitLine(t, lines, "default transport is *http.Transport: true")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the program exited with %v", err)
	}
	if got := spanNames(c); len(got) != 1 || got[0] != "before" {
		t.Errorf("collector got %v, want [before]", got)
	}
}

// A program that does not handle SIGTERM is still ended by it, after the
// flush.
func TestSIGTERMUnhandledFlushesThenEnds(t *testing.T) {
	t.Parallel()
	cmd, lines, c := runProgram(t, "sigterm-unhandled")
	waitLine(t, lines, "ready")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the program exited with %v, want killed by SIGTERM", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("the program exited with %v, want killed by SIGTERM", err)
	}
	if got := spanNames(c); len(got) != 1 || got[0] != "before" {
		t.Errorf("collector got %v, want [before]", got)
	}
}

// A program that handles SIGTERM runs its own shutdown to the end; the
// spans of that shutdown are sent when main returns.
func TestSIGTERMHandledLeavesTheProgramItsShutdown(t *testing.T) {
	t.Parallel()
	cmd, lines, c := runProgram(t, "sigterm-handled")
	waitLine(t, lines, "ready")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lines, "graceful")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the program exited with %v after its own shutdown", err)
	}
	got := strings.Join(spanNames(c), ",")
	if got != "before,after" {
		t.Errorf("collector got %s, want before,after", got)
	}
}

// setDefault makes a client of c the default for the test; the previous
// default comes back after it.
func setDefault(t *testing.T, c *spantest.Collector, opts ...tracium.Option) *tracium.Client {
	t.Helper()
	prev := tracium.DefaultClient()
	client := tracium.Init(append([]tracium.Option{tracium.WithAPIKey(spantest.APIKey), tracium.WithEndpoint(c.URL),
		tracium.WithFlushInterval(10 * time.Millisecond), tracium.WithDefaultTransport(false)}, opts...)...)
	t.Cleanup(func() {
		_ = client.Shutdown(context.Background())
		tracium.Init(tracium.WithAPIKey(""), tracium.WithErrorHandler(func(error) {}))
		_ = prev
	})
	return client
}

// Handler traces every request of a server, once however often a server
// is wrapped, hands the span to a framework's tracer behind it, and stands
// aside when the switch is off.
func TestHandler(t *testing.T) {
	c := spantest.NewCollector(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	framework := tracium.HTTPMiddleware(mux) // a framework with its own request tracer
	h := Handler(framework)
	if Handler(h) != h {
		t.Errorf("Handler wrapped its own handler again")
	}

	client := setDefault(t, c)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/users/1", nil))
	http.HandleFunc("/default-mux", func(w http.ResponseWriter, r *http.Request) {})
	rec := httptest.NewRecorder()
	Handler(nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/default-mux", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("Handler(nil) did not serve http.DefaultServeMux: %d", rec.Code)
	}
	spantest.Flush(t, client)
	if got := strings.Join(spanNames(c), ","); got != "GET /users/{id},GET /default-mux" {
		t.Errorf("spans %s, want one per request, named by the framework's route", got)
	}

	off := setDefault(t, spantest.NewCollector(t), tracium.WithAutoInstrumentHTTPServers(false))
	before := len(c.Spans())
	Handler(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/users/2", nil))
	spantest.Flush(t, off)
	if len(c.Spans()) != before {
		t.Errorf("a request was traced with WithAutoInstrumentHTTPServers(false)")
	}
}

// The LLM client hooks record a call while the default client
// auto-instruments LLM clients, and only then.
func TestLLMClientHooksFollowTheSwitch(t *testing.T) {
	llm := fakellm.New(t, fakellm.Options{})
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
	call := func(t *testing.T, do func(*http.Request) (*http.Response, error)) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, llm.URL+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	hooks := map[string]func(*http.Request) (*http.Response, error){
		"Middleware": func(r *http.Request) (*http.Response, error) {
			return Middleware()(r, http.DefaultTransport.RoundTrip)
		},
		"HTTPClient":   HTTPClient(nil).Do,
		"WrapDoer":     WrapDoer(&http.Client{}).Do,
		"WrapDoer(Do)": WrapDoer(doerFunc(http.DefaultClient.Do)).Do,
	}
	for _, on := range []bool{true, false} {
		c := spantest.NewCollector(t)
		client := setDefault(t, c, tracium.WithAutoInstrumentLLMClients(on))
		for name, do := range hooks {
			call(t, do)
			_ = name
		}
		spantest.Flush(t, client)
		want := 0
		if on {
			want = len(hooks)
		}
		if got := len(c.Named("chat " + fakellm.OpenAIModel)); got != want {
			t.Errorf("auto-instrumentation %t: %d llm spans, want %d", on, got, want)
		}
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// The program's clients are copied, never changed; wrapping twice wraps
// once; nil stays nil.
func TestClientWrappersCopyAndAreIdempotent(t *testing.T) {
	t.Parallel()
	base := &http.Client{Timeout: time.Second}
	c := HTTPClient(base)
	if c == base || base.Transport != nil || c.Timeout != time.Second {
		t.Errorf("HTTPClient changed the program's client or lost its settings")
	}
	if tr := c.Transport; Transport(tr) != tr {
		t.Errorf("Transport wrapped its own transport again")
	}
	if WrapDoer(nil) != nil {
		t.Errorf("WrapDoer(nil) is not nil")
	}
	d := WrapDoer(doerFunc(http.DefaultClient.Do))
	if WrapDoer(d) != d {
		t.Errorf("WrapDoer wrapped its own doer again")
	}
	own := &http.Client{}
	WrapHTTPClient(own)
	if _, ok := own.Transport.(*llmTransport); !ok {
		t.Errorf("WrapHTTPClient left the transport %T", own.Transport)
	}
	WrapHTTPClient(nil)
}

// The program's own registrations are counted while they last.
func TestAppSignalRegistrations(t *testing.T) {
	if appHandles(syscall.SIGTERM) {
		t.Fatal("a registration before any was made")
	}
	c := make(chan os.Signal, 1)
	Notify(c, syscall.SIGHUP)
	if appHandles(syscall.SIGTERM) || !appHandles(syscall.SIGHUP) {
		t.Errorf("Notify(c, SIGHUP) should cover SIGHUP only")
	}
	Notify(c, syscall.SIGTERM)
	if !appHandles(syscall.SIGTERM) {
		t.Errorf("a second Notify on c should add SIGTERM")
	}
	StopNotify(c)
	if appHandles(syscall.SIGTERM) || appHandles(syscall.SIGHUP) {
		t.Errorf("StopNotify(c) should forget c")
	}
	all := make(chan os.Signal, 1)
	Notify(all)
	if !appHandles(os.Interrupt) {
		t.Errorf("Notify(c) with no signals should cover every signal")
	}
	StopNotify(all)
	_, stop := NotifyContext(context.Background(), os.Interrupt)
	if !appHandles(os.Interrupt) || appHandles(syscall.SIGTERM) {
		t.Errorf("NotifyContext(ctx, os.Interrupt) should cover os.Interrupt only")
	}
	stop()
	if appHandles(os.Interrupt) {
		t.Errorf("stop should forget the context's registration")
	}
}
