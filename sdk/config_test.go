package tracium

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// restoreDefault puts back the default client a test replaced with Init.
func restoreDefault(t *testing.T) {
	t.Helper()
	prev := defaultClient.Load()
	t.Cleanup(func() { defaultClient.Store(prev) })
}

func TestValidAPIKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		want bool
	}{
		{testAPIKey, true},
		{"sk_live_" + strings.Repeat("a", 32), true},
		{"sk_live_" + strings.Repeat("Z9", 40), true},
		{"", false},
		{"sk_live_" + strings.Repeat("a", 31), false},
		{"sk_test_" + strings.Repeat("a", 32), false},
		{"sk_live_" + strings.Repeat("a", 31) + "-", false},
		{"Bearer sk_live_" + strings.Repeat("a", 32), false},
		{"sk_live_" + strings.Repeat("é", 32), false},
	}
	for _, tt := range tests {
		if got := validAPIKey(tt.key); got != tt.want {
			t.Errorf("validAPIKey(%q) = %t, want %t", tt.key, got, tt.want)
		}
	}
}

func TestBadKeyGivesOneErrorAndNoOp(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"", "sk_live_short", "not-a-key"} {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			fc := newFakeCollector(t)
			errs := &errorLog{}
			c := newClient(WithAPIKey(key), WithEndpoint(fc.server.URL), WithErrorHandler(errs.handle))
			if c.Enabled() {
				t.Fatal("client with a bad key is enabled")
			}
			ctx, at := c.AgentTrace(t.Context(), "agent")
			_, s := StartSpan(ctx, SpanLLM, "llm")
			s.SetAttribute("k", 1)
			if s != nil || s.IsRecording() || at.RootSpan().IsRecording() {
				t.Errorf("a no-op client made a span to record: %v", s)
			}
			s.End()
			at.End()
			if err := c.Flush(t.Context()); err != nil {
				t.Error(err)
			}
			if err := c.Shutdown(t.Context()); err != nil {
				t.Error(err)
			}
			got := errs.all()
			if len(got) != 1 || !errors.Is(got[0], ErrInvalidAPIKey) {
				t.Errorf("errors = %v, want one ErrInvalidAPIKey", got)
			}
			if fc.requestCount() != 0 || c.Stats() != (Stats{}) {
				t.Errorf("no-op client sent something")
			}
		})
	}
}

func TestOptionsNormalize(t *testing.T) {
	t.Parallel()
	c := newClient(WithAPIKey(testAPIKey), WithEndpoint(" http://x/ "), WithBatchSize(-1),
		WithMaxQueueSize(10), WithFlushInterval(0), WithSampleRate(7), nil,
		WithAutoInstrumentLangChain(false), WithAutoInstrumentLangGraph(false), WithAutoInstrumentLLMClients(false),
		WithHTTPClient(&http.Client{Timeout: time.Second}))
	t.Cleanup(func() { c.Shutdown(context.Background()) })
	cfg := c.cfg
	if cfg.endpoint != "http://x" || cfg.batchSize != 10 || cfg.maxQueueSize != 10 ||
		cfg.flushInterval != DefaultFlushInterval || cfg.sampleRate != 1 || cfg.httpClient.Timeout != time.Second {
		t.Errorf("cfg = %+v", cfg)
	}
	if c.AutoInstrumentLLMClients() || c.AutoInstrumentLangChain() || c.AutoInstrumentLangGraph() {
		t.Errorf("auto-instrumentation flags not stored")
	}
	if strings.Contains(c.String(), "sk_live") {
		t.Errorf("String reveals the API key: %s", c)
	}
}

// The tests below change the environment or the default client, so they
// cannot run in parallel.

func TestTraceReadsEnvironment(t *testing.T) {
	restoreDefault(t)
	fc := newFakeCollector(t)
	t.Setenv(EnvAPIKey, testAPIKey)
	t.Setenv(EnvEndpoint, fc.server.URL+"/")
	t.Setenv(EnvDefaultAgentName, "env-agent")
	t.Setenv(EnvDefaultTags, "a, b,,c")
	t.Setenv(EnvDisabled, "")

	c := Trace()
	if DefaultClient() != c || !c.Enabled() {
		t.Fatalf("Trace did not install an enabled default client")
	}
	if !c.AutoInstrumentLLMClients() || !c.AutoInstrumentLangChain() || !c.AutoInstrumentLangGraph() {
		t.Errorf("Trace should turn every auto-instrumentation on")
	}
	ctx, root := StartSpan(context.Background(), SpanChain, "root")
	_, child := StartSpan(ctx, SpanTool, "child")
	child.End()
	root.End()
	if err := Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	spans := byName(fc.spans())
	if len(spans) != 2 {
		t.Fatalf("got %d spans", len(spans))
	}
	r := spans["root"]
	if r["agent_name"] != "env-agent" || spans["child"]["agent_name"] != "env-agent" {
		t.Errorf("agent names: %v %v", r["agent_name"], spans["child"]["agent_name"])
	}
	if tags, _ := r["tags"].([]any); len(tags) != 3 || tags[2] != "c" {
		t.Errorf("tags = %v", r["tags"])
	}
	if spans["child"]["parent_span_id"] != r["span_id"] {
		t.Errorf("child not under root")
	}
	if err := Flush(t.Context()); err != nil {
		t.Errorf("Flush after Shutdown: %v", err)
	}
}

func TestOptionsOverrideEnvironment(t *testing.T) {
	restoreDefault(t)
	t.Setenv(EnvAPIKey, "bogus")
	t.Setenv(EnvEndpoint, "http://env.invalid")
	t.Setenv(EnvDefaultAgentName, "env-agent")
	c := Init(WithAPIKey(testAPIKey), WithEndpoint("http://opt.invalid"), WithDefaultAgentName("opt-agent"),
		WithErrorHandler(func(error) {}))
	t.Cleanup(func() { c.Shutdown(context.Background()) })
	if !c.Enabled() || c.cfg.endpoint != "http://opt.invalid" || c.DefaultAgentName() != "opt-agent" {
		t.Errorf("cfg = %+v", c.cfg)
	}
}

func TestDisabledByEnvironment(t *testing.T) {
	restoreDefault(t)
	t.Setenv(EnvAPIKey, testAPIKey)
	t.Setenv(EnvDisabled, "true")
	errs := &errorLog{}
	c := Init(WithErrorHandler(errs.handle))
	if c.Enabled() || len(errs.all()) != 0 {
		t.Errorf("TRACIUM_DISABLED=true: enabled %t, errors %v", c.Enabled(), errs.all())
	}
}

func TestDefaultClientBeforeInit(t *testing.T) {
	restoreDefault(t)
	defaultClient.Store(nil)
	_, s := StartSpan(context.Background(), SpanTool, "orphan")
	s.End()
	if DefaultClient() != noopClient || Flush(t.Context()) != nil || Shutdown(t.Context()) != nil {
		t.Errorf("the no-op default misbehaves")
	}
}

// The auto-instrumentation switches can be set from the environment, for
// programs with no Tracium code of their own; options still win.
func TestAutoInstrumentSwitchesReadEnvironment(t *testing.T) {
	t.Setenv(EnvAutoInstrumentLLMClients, "false")
	t.Setenv(EnvAutoInstrumentLangChain, "0")
	t.Setenv(EnvAutoInstrumentLangGraph, " FALSE ")
	t.Setenv(EnvAutoInstrumentHTTPServers, "f")
	c := NewClient(WithAPIKey(testAPIKey), WithEndpoint("http://127.0.0.1:1"))
	defer c.Shutdown(t.Context())
	if c.AutoInstrumentLLMClients() || c.AutoInstrumentLangChain() || c.AutoInstrumentLangGraph() || c.AutoInstrumentHTTPServers() {
		t.Errorf("the environment did not turn the switches off")
	}
	c2 := NewClient(WithAPIKey(testAPIKey), WithEndpoint("http://127.0.0.1:1"), WithAutoInstrumentLangGraph(true))
	defer c2.Shutdown(t.Context())
	if !c2.AutoInstrumentLangGraph() || c2.AutoInstrumentLLMClients() {
		t.Errorf("an option should win over the environment")
	}
	t.Setenv(EnvAutoInstrumentLLMClients, "maybe")
	c3 := NewClient(WithAPIKey(testAPIKey), WithEndpoint("http://127.0.0.1:1"))
	defer c3.Shutdown(t.Context())
	if !c3.AutoInstrumentLLMClients() {
		t.Errorf("an unreadable value should leave the default on")
	}
}
