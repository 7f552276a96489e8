package otlpnode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/collectortest"
	"github.com/tracium/tracium/internal/pgtest"
	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/server/pricing"
	"github.com/tracium/tracium/store"
)

// scriptDir holds the Node project: package.json, its lockfile and one
// script per emitter. scripts/deps.sh installs it (npm ci).
const scriptDir = "testdata"

// emitted is what a script reports on stdout: every span its emitter
// ended, by the emitter's own ids.
type emitted struct {
	Spans []emittedSpan `json:"spans"`
}

type emittedSpan struct {
	Name         string `json:"name"`
	TraceID      string `json:"trace_id"`
	SpanID       string `json:"span_id"`
	ParentSpanID string `json:"parent_span_id"`
}

// backends are the stores every emitter's spans are checked in.
var backends = []struct {
	name string
	opts func(t *testing.T) []collectortest.Option
}{
	{"sqlite", func(*testing.T) []collectortest.Option { return nil }},
	{"postgres", func(t *testing.T) []collectortest.Option {
		return []collectortest.Option{collectortest.WithDatabase(pgtest.NewDatabase(t))}
	}},
}

// eachBackend runs fn once per backend, in parallel, each with its own
// collector.
func eachBackend(t *testing.T, fn func(t *testing.T, c *collectortest.Collector)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, collectortest.Start(t, b.opts(t)...))
		})
	}
}

// otlpEnv is what the README tells a Node program to set: the collector's
// base URL (the exporters append /v1/traces) and the key, URL-encoded.
func otlpEnv(c *collectortest.Collector) []string {
	return []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + c.URL,
		"OTEL_EXPORTER_OTLP_HEADERS=Authorization=" + url.PathEscape("Bearer "+c.APIKey),
	}
}

// runNode runs one script with env added to a clean environment (none of
// the machine's own OTEL_ or TRACELOOP_ settings) and returns what it
// reported.
func runNode(t *testing.T, script string, env ...string) emitted {
	t.Helper()
	dir, err := filepath.Abs(scriptDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err != nil {
		t.Fatalf("the Node packages are not installed in %s (scripts/deps.sh runs npm ci there): %v", dir, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OTEL_") && !strings.HasPrefix(kv, "TRACELOOP_") && !strings.HasPrefix(kv, "OPENAI_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var out emitted
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &out); err != nil || len(out.Spans) == 0 {
		t.Fatalf("node %s reported no spans (%v)\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
	if s := stderr.String(); s != "" {
		t.Logf("node %s stderr:\n%s", script, s)
	}
	return out
}

// stored waits until every span the script reported is in the store and
// returns them by span id, with every trace they are in. Nothing else may
// be stored: a span the collector made up or duplicated fails the test.
func stored(t *testing.T, c *collectortest.Collector, e emitted) (map[string]store.Span, []string) {
	t.Helper()
	var traces []string
	for _, s := range e.Spans {
		if !slices.Contains(traces, s.TraceID) {
			traces = append(traces, s.TraceID)
		}
	}
	return storedIn(t, c, traces, len(e.Spans)), traces
}

// storedIn waits until the traces hold n spans in all, and returns them by
// span id.
func storedIn(t *testing.T, c *collectortest.Collector, traces []string, n int) map[string]store.Span {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := map[string]store.Span{}
		count := 0
		for _, id := range traces {
			d, err := c.Store.GetTrace(context.Background(), c.ProjectID, id)
			if err != nil {
				continue
			}
			for _, s := range d.Spans {
				got[s.SpanID] = s
				count++
			}
		}
		if count >= n || time.Now().After(deadline) {
			if count != n {
				t.Fatalf("%d spans stored in traces %v, want %d:\n%s", count, traces, n, describe(got))
			}
			return got
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func describe(spans map[string]store.Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s %s %-8s %q parent=%s model=%q provider=%q usage=%+v status=%s\n", s.TraceID, s.SpanID, s.Type, s.Name, s.ParentSpanID, s.Model, s.Provider, s.Usage, s.Status)
	}
	return b.String()
}

// named returns the emitted spans called name, in the order they ended.
func named(e emitted, name string) []emittedSpan {
	var out []emittedSpan
	for _, s := range e.Spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// one returns the stored span of the one emitted span called name.
func one(t *testing.T, e emitted, got map[string]store.Span, name string) store.Span {
	t.Helper()
	spans := named(e, name)
	if len(spans) != 1 {
		t.Fatalf("%d spans named %q emitted, want 1: %+v", len(spans), name, e.Spans)
	}
	return got[spans[0].SpanID]
}

// sameTree checks that every span is stored with the emitter's ids and
// parent, so that the trace nests as the emitter built it.
func sameTree(t *testing.T, e emitted, got map[string]store.Span) {
	t.Helper()
	for _, s := range e.Spans {
		g, ok := got[s.SpanID]
		if !ok {
			t.Errorf("span %s %q not stored", s.SpanID, s.Name)
			continue
		}
		if g.TraceID != s.TraceID || g.ParentSpanID != s.ParentSpanID || g.Name != s.Name {
			t.Errorf("span %s stored as trace %s parent %q name %q, want trace %s parent %q name %q",
				s.SpanID, g.TraceID, g.ParentSpanID, g.Name, s.TraceID, s.ParentSpanID, s.Name)
		}
	}
}

// want is what one stored span must hold. Every field is checked (an
// empty one: the span has none), except input, output and attrs, which
// are checked when set.
type want struct {
	typ                           store.SpanType
	model, requestModel, provider string
	usage                         *store.Usage // nil: the span must have none
	status                        store.Status
	errorType, errorMessage       string
	session, user, agent          string
	// input and output: the recorded chat, or any JSON value, compared
	// as JSON; nil is not checked.
	input, output any
	// attrs are attributes the span must carry, compared as JSON.
	attrs map[string]any
	// ttft: the span records a time to first token.
	ttft bool
}

func check(t *testing.T, name string, s store.Span, w want) {
	t.Helper()
	errorf := func(format string, args ...any) { t.Errorf("%s: "+format, append([]any{name}, args...)...) }
	if s.Type != w.typ {
		errorf("type %q, want %q", s.Type, w.typ)
	}
	if s.Model != w.model || s.RequestModel != w.requestModel || s.Provider != w.provider {
		errorf("model %q request_model %q provider %q, want %q %q %q", s.Model, s.RequestModel, s.Provider, w.model, w.requestModel, w.provider)
	}
	switch {
	case w.usage == nil && s.Usage != nil:
		errorf("usage %+v, want none", *s.Usage)
	case w.usage != nil && (s.Usage == nil || *s.Usage != *w.usage):
		errorf("usage %+v, want %+v", s.Usage, *w.usage)
	}
	if w.usage != nil {
		// The one price formula, as the writer applies it.
		priced := store.Span{Type: s.Type, Model: s.Model, RequestModel: s.RequestModel, Provider: s.Provider, Usage: w.usage}
		pricing.Default().Apply(&priced)
		if priced.CostUSD == nil || *priced.CostUSD <= 0 {
			t.Fatalf("%s: no price for %q: the test proves nothing of cost", name, s.Model)
		}
		if s.CostUSD == nil || *s.CostUSD != *priced.CostUSD {
			errorf("cost %v, want %v", ptr(s.CostUSD), *priced.CostUSD)
		}
	} else if s.CostUSD != nil {
		errorf("cost %v, want none", *s.CostUSD)
	}
	status := w.status
	if status == "" {
		status = store.StatusOK
	}
	if s.Status != status || s.ErrorType != w.errorType || s.ErrorMessage != w.errorMessage {
		errorf("status %q error_type %q error_message %q, want %q %q %q", s.Status, s.ErrorType, s.ErrorMessage, status, w.errorType, w.errorMessage)
	}
	if s.SessionID != w.session || s.UserID != w.user || s.AgentName != w.agent {
		errorf("session %q user %q agent %q, want %q %q %q", s.SessionID, s.UserID, s.AgentName, w.session, w.user, w.agent)
	}
	if w.input != nil {
		sameJSON(t, name+" input", s.Input, w.input)
	}
	if w.output != nil {
		sameJSON(t, name+" output", s.Output, w.output)
	}
	if len(w.attrs) > 0 {
		var attrs map[string]json.RawMessage
		if err := json.Unmarshal(s.Attributes, &attrs); err != nil {
			errorf("attributes %s: %v", s.Attributes, err)
		}
		for k, v := range w.attrs {
			sameJSON(t, name+" attribute "+k, attrs[k], v)
		}
	}
	if w.ttft != (s.TimeToFirstTokenMS != nil) || w.ttft && *s.TimeToFirstTokenMS <= 0 {
		errorf("time_to_first_token_ms %v, want one: %v", ptr(s.TimeToFirstTokenMS), w.ttft)
	}
	if s.EndTime.Before(s.StartTime) {
		errorf("ends %v before it starts %v", s.EndTime, s.StartTime)
	}
}

func ptr(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// sameJSON compares got with want marshalled, as JSON values.
func sameJSON(t *testing.T, what string, got json.RawMessage, want any) {
	t.Helper()
	wb, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: %s is not JSON: %v", what, got, err)
		return
	}
	_ = json.Unmarshal(wb, &w)
	gb, _ := json.Marshal(g)
	wb, _ = json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("%s:\n got %s\nwant %s", what, gb, wb)
	}
}

// chat is a recorded chat, as the SDK records it (sdk/chat.go).
func chat(msgs ...tracium.Message) tracium.Chat { return tracium.Chat{Messages: msgs} }

// answer is the output message of a call that stopped for reason.
func answer(reason string, parts ...tracium.Part) tracium.Message {
	return tracium.Message{Role: tracium.RoleAssistant, Parts: parts, FinishReason: reason}
}

// toolCall is the assistant's turn that asked for the weather in Paris.
func toolCall() tracium.Message {
	return tracium.Message{Role: tracium.RoleAssistant, Parts: []tracium.Part{tracium.ToolCallPart("call_1", "get_weather", `{"city":"Paris"}`)}}
}

// toolResult is the tool's answer sent back, named when the emitter names it.
func toolResult(name, result string) tracium.Message {
	return tracium.Message{Role: tracium.RoleTool, Parts: []tracium.Part{tracium.ToolResultPart("call_1", name, result)}}
}

// containsJSON reports whether the JSON object attrs has key.
func containsJSON(attrs json.RawMessage, key string) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(attrs, &m) == nil && m[key] != nil
}
