package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/collectortest"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/store"
)

// span is one span a route's trace must hold: its type, name, and the
// name of its parent ("" for the caller's span the request continues).
type span struct {
	typ          store.SpanType
	name, parent string
	provider     string // for llm spans
}

// testFrameworks runs bin, the Orchestrion build of testdata/app/frameworks
// (echo v4 and v5, fiber v2 and v3, gRPC, asynq, go-openai,
// anthropic-sdk-go v2, genai and LangChainGo, none of it set up in its
// code), asks each server's route once inside a trace of the test's, and
// checks each trace: one http span per request named by the framework's
// route, the LLM call under it as one span, the gRPC call and the asynq
// task nested.
func testFrameworks(t *testing.T, bin string) {

	c := collectortest.Start(t)
	llm := fakellm.New(t, fakellm.Options{})
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "LLM_BASE_URL="+llm.URL,
		"TRACIUM_API_KEY="+c.APIKey, "TRACIUM_ENDPOINT="+c.URL, "TRACIUM_DISABLED=")
	cmd.Stderr = testWriter{t}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	addrs := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for len(addrs) < 6 && sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "listening" {
			addrs[f[1]] = "http://" + f[2]
		}
	}
	if len(addrs) < 6 {
		t.Fatalf("the program started %v, want six servers", addrs)
	}
	go io.Copy(io.Discard, stdout)

	routes := []struct {
		server, path, traceID string
		want                  []span
	}{
		{"echov4", "/v4/7", "11111111111111111111111111111111", []span{
			{typ: store.SpanHTTP, name: "GET /v4/:id"},
			{typ: store.SpanLLM, name: "chat gpt-4o", parent: "GET /v4/:id", provider: "openai"},
		}},
		{"echov5", "/v5/7", "22222222222222222222222222222222", []span{
			{typ: store.SpanHTTP, name: "GET /v5/:id"},
			{typ: store.SpanLLM, name: "chat claude-sonnet-4-5", parent: "GET /v5/:id", provider: "anthropic"},
		}},
		{"fiberv2", "/f2/7", "33333333333333333333333333333333", []span{
			{typ: store.SpanHTTP, name: "GET /f2/:id"},
			{typ: store.SpanLLM, name: "chat gemini-2.5-flash", parent: "GET /f2/:id", provider: "google"},
		}},
		{"fiberv3", "/f3/7", "44444444444444444444444444444444", []span{
			{typ: store.SpanHTTP, name: "GET /f3/:id"},
			{typ: store.SpanChain, name: "chain", parent: "GET /f3/:id"},
			{typ: store.SpanLLM, parent: "chain", provider: "openai"},
		}},
		{"http", "/rpc", "55555555555555555555555555555555", []span{
			{typ: store.SpanHTTP, name: "GET /rpc"},
			{typ: store.SpanTool, name: "/grpc.health.v1.Health/Check", parent: "GET /rpc"},
			{typ: store.SpanHTTP, name: "/grpc.health.v1.Health/Check", parent: "/grpc.health.v1.Health/Check"},
			{typ: store.SpanTask, name: "enqueue email:welcome", parent: "GET /rpc"},
			{typ: store.SpanTask, name: "email:welcome", parent: "enqueue email:welcome"},
		}},
	}
	for _, r := range routes {
		req, _ := http.NewRequest(http.MethodGet, addrs[r.server]+r.path, nil)
		req.Header.Set("traceparent", "00-"+r.traceID+"-"+callerSpanID+"-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.server, r.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", r.server, r.path, resp.StatusCode, body)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the program exited with %v", err)
	}

	for _, r := range routes {
		t.Run(r.server, func(t *testing.T) {
			spans := waitSpans(t, c, r.traceID, len(r.want))
			t.Logf("trace %s:\n%s", r.traceID, describe(spans))
			if len(spans) != len(r.want) {
				t.Errorf("%d spans, want %d", len(spans), len(r.want))
			}
			names := map[string]string{callerSpanID: ""}
			for _, s := range spans {
				names[s.SpanID] = s.Name
			}
			for _, w := range r.want {
				found := false
				for _, s := range spans {
					parent, ok := names[s.ParentSpanID]
					if s.Type == w.typ && (w.name == "" || s.Name == w.name) && ok && parent == w.parent && s.Provider == w.provider {
						found = true
						if s.Type == store.SpanLLM && (len(s.RawOutput) == 0 || s.Usage == nil) {
							t.Errorf("llm span %q has no raw answer or usage: the call was not seen on the wire", s.Name)
						}
					}
				}
				if !found {
					t.Errorf("no %s span %q under %q (provider %q)", w.typ, w.name, w.parent, w.provider)
				}
			}
		})
	}
}

// waitSpans waits until the trace holds n spans.
func waitSpans(t *testing.T, c *collectortest.Collector, traceID string, n int) []store.Span {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := c.Store.GetTrace(context.Background(), c.ProjectID, traceID)
		if err == nil && len(d.Spans) >= n {
			return d.Spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: %d spans after 30s, want %d (%v):\n%s", traceID, len(d.Spans), n, err, describe(d.Spans))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
