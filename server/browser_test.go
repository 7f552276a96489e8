package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

// screenshotDir is where the browser test leaves its screenshots; the
// README shows them. TRACIUM_SCREENSHOT_DIR moves it.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("TRACIUM_SCREENSHOT_DIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "docs", "screenshots")
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: run scripts/deps.sh (Debian: apt-get install chromium)")
	return ""
}

// browserTrace is the fixture the browser sees: an agent run with a plan,
// a tool call, a streamed LLM answer and a failed LLM call.
func browserTrace() []store.Span {
	start := time.Now().Add(-2 * time.Minute).UTC()
	tid := storetest.NewTraceID()
	root := store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), Name: "Plan a trip to Lisbon", Type: store.SpanAgent,
		StartTime: start, EndTime: start.Add(4 * time.Second), AgentName: "travel-agent", UserID: "user-7", Tags: []string{"prod"},
		Input: []byte(`{"question":"Plan three days in Lisbon"}`), Output: []byte(`{"answer":"Day 1: Alfama..."}`)}
	plan := store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), ParentSpanID: root.SpanID, Name: "plan", Type: store.SpanPlan,
		StartTime: start.Add(100 * time.Millisecond), EndTime: start.Add(400 * time.Millisecond), AgentName: "travel-agent"}
	tool := store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), ParentSpanID: plan.SpanID, Name: "weather_lookup", Type: store.SpanTool,
		StartTime: start.Add(500 * time.Millisecond), EndTime: start.Add(900 * time.Millisecond), AgentName: "travel-agent",
		Input: []byte(`{"city":"Lisbon"}`), Output: []byte(`{"forecast":"sunny, 24°C"}`)}
	ttft := 230.0
	llm := store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), ParentSpanID: root.SpanID, Name: "chat gpt-4o-mini", Type: store.SpanLLM,
		StartTime: start.Add(time.Second), EndTime: start.Add(3 * time.Second), AgentName: "travel-agent",
		Model: "gpt-4o-mini-2024-07-18", RequestModel: "gpt-4o-mini", Provider: "openai", TimeToFirstTokenMS: &ttft,
		Usage:  &store.Usage{InputTokens: 1800, OutputTokens: 420, CachedTokens: 1024, TotalTokens: 2220},
		Input:  []byte(`[{"role":"system","content":"You are a travel planner."},{"role":"user","content":"Plan three days in Lisbon"}]`),
		Output: []byte(`{"role":"assistant","content":"Day 1: Alfama and the castle. Day 2: Belém. Day 3: Sintra."}`)}
	failed := store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), ParentSpanID: root.SpanID, Name: "chat claude-haiku-4-5", Type: store.SpanLLM,
		StartTime: start.Add(3100 * time.Millisecond), EndTime: start.Add(3300 * time.Millisecond), AgentName: "travel-agent",
		Model: "claude-haiku-4-5", Provider: "anthropic", Status: store.StatusError, ErrorType: "overloaded_error", ErrorMessage: "529: Overloaded"}
	return []store.Span{root, plan, tool, llm, failed}
}

// TestBrowser drives the UI in headless Chromium: sign in, the traces
// list, a trace page and the dashboard, with screenshots of each.
func TestBrowser(t *testing.T) {
	t.Parallel()
	b := setup(t, options{configure: func(c *server.Config) {
		c.AdminEmail, c.AdminPassword = "admin@example.com", "browser-test-password"
	}})
	spans := browserTrace()
	if r := b.post(t, b.key, body(t, spans...)); r.status != 202 {
		t.Fatalf("ingest: %d", r.status)
	}
	b.waitTrace(t, b.store, b.defaultProject(t).ID, spans[0].TraceID, int64(len(spans)))

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 960),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	dir := screenshotDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
	}
	text := func(css string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
		if err != nil {
			t.Fatalf("browser: text of %s: %v", css, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), png, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
	}

	do("sign in",
		chromedp.Navigate(b.url+"/traces"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "admin@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "browser-test-password"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.traces`)))
	tracesText := text(`table.traces`)
	shot("traces.png")
	do("open the trace",
		chromedp.Click(chromedp.CSS(`table.traces td a`)),
		chromedp.WaitVisible(chromedp.CSS(`section.tree`)))
	traceText := text(`section.tree`)
	do("select the LLM span",
		chromedp.Click(chromedp.Search(`//a[normalize-space()="chat gpt-4o-mini"]`)),
		chromedp.WaitVisible(chromedp.CSS(`aside.detail .msg.user`)))
	detailText := text(`aside.detail`)
	shot("trace.png")
	do("open the dashboard",
		chromedp.Navigate(b.url+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS(`.charts svg`)))
	dashText := text(`.cards`)
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.charts svg').length`))
	if err != nil {
		t.Fatal(err)
	}
	shot("dashboard.png")

	for _, want := range []string{"travel-agent", "Plan a trip to Lisbon", "error", "prod"} {
		if !strings.Contains(tracesText, want) {
			t.Errorf("traces list does not show %q: %q", want, tracesText)
		}
	}
	for _, want := range []string{"plan", "weather_lookup", "chat gpt-4o-mini", "chat claude-haiku-4-5"} {
		if !strings.Contains(traceText, want) {
			t.Errorf("span tree does not show %q", want)
		}
	}
	for _, want := range []string{"gpt-4o-mini-2024-07-18", "1800 in", "420 out", "1024 cached", "230 ms", "Plan three days in Lisbon", "Day 2: Belém"} {
		if !strings.Contains(detailText, want) {
			t.Errorf("span detail does not show %q: %q", want, detailText)
		}
	}
	if charts != 8 || !strings.Contains(dashText, "LLM calls") {
		t.Errorf("dashboard: %d charts, cards %q", charts, dashText)
	}
}
