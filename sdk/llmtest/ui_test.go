package llmtest

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/tracium/tracium/internal/browsertest"
	"github.com/tracium/tracium/store"
)

// uiClient is a signed-in web UI session over plain HTTP.
type uiClient struct {
	base string
	hc   *http.Client
}

func signIn(t *testing.T, base string) *uiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &uiClient{base: base, hc: &http.Client{Jar: jar}}
	doc, _ := u.page(t, "/login")
	token, _ := doc.Find(`input[name=csrf]`).Attr("value")
	resp, err := u.hc.PostForm(base+"/login", url.Values{"email": {demoAdmin}, "password": {demoPassword}, "csrf": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/traces" {
		t.Fatalf("sign-in ended on %s", resp.Request.URL)
	}
	return u
}

func (u *uiClient) page(t *testing.T, path string) (*goquery.Document, int) {
	t.Helper()
	resp, err := u.hc.Get(u.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc, resp.StatusCode
}

// TestUIShowsCapturedCalls opens each captured call's span on the trace
// page and finds the answer and its tool calls rendered as chat messages,
// not only inside the raw JSON.
func TestUIShowsCapturedCalls(t *testing.T) {
	t.Parallel()
	d := recordDemo(t)
	u := signIn(t, d.c.URL)

	// With no span asked for, the page opens on the agent run under the
	// HTTP root, which has something to show.
	doc, code := u.page(t, "/traces/"+d.traceID)
	if code != http.StatusOK {
		t.Fatalf("trace page: %d", code)
	}
	agent := d.span(t, "agent")
	if got := doc.Find(".tree-row.selected").AttrOr("id", ""); got != "span-"+agent.SpanID {
		t.Errorf("the page opens on %q, want the agent span %s", got, agent.SpanID)
	}
	if !strings.Contains(doc.Find("aside.detail").Text(), demoQuestion) {
		t.Errorf("the opening detail does not show the agent's input")
	}
	root := d.span(t, "http")
	doc, _ = u.page(t, "/traces/"+d.traceID+"?span="+root.SpanID)
	for _, want := range []string{"Method", "POST", "Route", "/ask", "Status", "200"} {
		if !strings.Contains(doc.Find("aside.detail dl").Text(), want) {
			t.Errorf("the HTTP span's detail lacks %q: %q", want, doc.Find("aside.detail dl").Text())
		}
	}
	// The header lists the models; llm rows show model and tokens.
	if models := doc.Find(".summary .models").Text(); !strings.Contains(models, openAIAnswerModel) || !strings.Contains(models, anthropicAnswerModel) {
		t.Errorf("header models: %q", models)
	}
	for _, c := range d.calls {
		row := doc.Find("#span-" + c.spanID)
		if row.Find(".model").Length() == 0 || row.Find(".tokens").Length() == 0 {
			t.Errorf("%s: the tree row does not show model and tokens: %q", c.label, row.Text())
		}
	}

	// The run drawn as a graph: a box per step, repeated calls counted,
	// each box a link to its span that stays in the graph view.
	doc, _ = u.page(t, "/traces/"+d.traceID+"?view=graph")
	svg := doc.Find("section.graph-view svg.flow")
	if svg.Length() != 1 {
		t.Fatalf("no graph view")
	}
	for _, want := range []string{"support-agent", "chat " + anthropicModel, "2 visits", "POST /ask"} {
		if !strings.Contains(svg.Text(), want) {
			t.Errorf("the graph lacks %q: %q", want, svg.Text())
		}
	}
	if href, _ := svg.Find("a").First().Attr("href"); !strings.Contains(href, "view=graph") || !strings.Contains(href, "span=") {
		t.Errorf("a graph box links to %q", href)
	}

	for _, c := range d.calls {
		doc, code := u.page(t, "/traces/"+d.traceID+"?span="+c.spanID)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", c.label, code)
		}
		out := doc.Find("aside.detail .messages.output .msg.assistant")
		if got := strings.TrimSpace(out.Find("pre.text").Text()); got != c.reply {
			t.Errorf("%s: the answer renders as %q, want %q", c.label, got, c.reply)
		}
		if c.toolCall != "" && !strings.Contains(out.Find(".toolcall").Text(), c.toolCall) {
			t.Errorf("%s: the tool call %s is not shown: %q", c.label, c.toolCall, out.Text())
		}
		if in := doc.Find("aside.detail .messages.input .msg.user").Text(); !strings.Contains(in, prompt) {
			t.Errorf("%s: the prompt is not shown as a user message: %q", c.label, in)
		}
		if doc.Find("aside.detail .span-tokens").Length() == 0 {
			t.Errorf("%s: no token counts", c.label)
		}
	}
}

// TestBrowserShowsCapturedCalls drives the same trace in headless
// Chromium: sign in, the traces list, the trace page with each call
// selected, the dashboard; the screenshots are the README's (make
// screenshots writes them to docs/screenshots).
func TestBrowserShowsCapturedCalls(t *testing.T) {
	t.Parallel()
	d := recordDemo(t)
	b := browsertest.Start(t)
	b.SignIn(d.c.URL, demoAdmin, demoPassword)
	b.Do("open the traces list", chromedp.Navigate(d.c.URL+"/traces"), chromedp.WaitVisible(chromedp.CSS(`table.traces`)))
	if list := b.Text(`table.traces`); !strings.Contains(list, "support-agent") || !strings.Contains(list, "POST /ask") {
		t.Errorf("traces list: %q", list)
	}
	b.Screenshot("traces.png")

	for i, c := range d.calls {
		b.Do("select "+c.label,
			chromedp.Navigate(d.c.URL+"/traces/"+d.traceID),
			chromedp.WaitVisible(chromedp.CSS(`section.tree`)),
			chromedp.Click(chromedp.CSS(`#span-`+c.spanID+` .span-name > a:not(.toggle)`)),
			chromedp.WaitVisible(chromedp.CSS(`aside.detail .messages.output`)))
		out := b.Text(`aside.detail .messages.output`)
		if !strings.Contains(out, c.reply) {
			t.Errorf("%s: the browser shows %q, want the answer %q", c.label, out, c.reply)
		}
		if c.toolCall != "" && !strings.Contains(out, c.toolCall) {
			t.Errorf("%s: the browser does not show the tool call %s: %q", c.label, c.toolCall, out)
		}
		if i == len(d.calls)-3 { // the streamed Anthropic answer with its tool call
			b.Screenshot("trace.png")
		}
	}
	b.Do("open the graph view", chromedp.Navigate(d.c.URL+"/traces/"+d.traceID+"?view=graph"),
		chromedp.WaitVisible(chromedp.CSS(`svg.flow`)))
	b.Screenshot("graph.png")
	b.Do("open the dashboard", chromedp.Navigate(d.c.URL+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(`.charts svg`)))
	if n := b.Count(`.charts svg`); n != 8 {
		t.Errorf("dashboard draws %d charts, want 8", n)
	}
	b.Screenshot("dashboard.png")
}

// TestBrowserReadsASession: the demo's user asks three questions in one
// session through the real clients and collector; in headless Chromium a
// person opens Sessions, reads the conversation — each question and the
// agent's answer, in order — and downloads it as CSV. The screenshot is
// the README's session.png.
func TestBrowserReadsASession(t *testing.T) {
	t.Parallel()
	runs := startDemo(t).converse(t)
	c := runs[0].c
	b := browsertest.Start(t)
	b.SignIn(c.URL, demoAdmin, demoPassword)
	b.Do("open Sessions", chromedp.Click(chromedp.CSS(`nav a[href="/sessions"]`)), chromedp.WaitVisible(chromedp.CSS(`table.sessions`)))
	if list := b.Text(`table.sessions tbody`); !strings.Contains(list, demoSession) || !strings.Contains(list, demoUser) {
		t.Errorf("the sessions list: %q", list)
	}
	if row := b.Text(`table.sessions tbody tr td:nth-child(4)`); row != "3" {
		t.Errorf("the session counts %q traces, want 3", row)
	}
	b.Do("open the session", chromedp.Click(chromedp.CSS(`table.sessions tbody a[href="/sessions/`+demoSession+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.conversation`)))
	if n := b.Count(`section.conversation article.turn`); n != len(demoTurns) {
		t.Fatalf("%d turns shown, want %d", n, len(demoTurns))
	}
	for i, turn := range demoTurns {
		sel := `section.conversation article.turn:nth-of-type(` + strconv.Itoa(i+1) + `)`
		if got := b.Text(sel + ` .messages.input .msg.user`); !strings.Contains(got, turn.question) {
			t.Errorf("turn %d shows %q, want the question %q", i+1, got, turn.question)
		}
		if got := b.Text(sel + ` .messages.output .msg.assistant`); !strings.Contains(got, turn.answer) {
			t.Errorf("turn %d shows %q, want the answer %q", i+1, got, turn.answer)
		}
		if got := b.Text(sel + ` .turn-meta`); !strings.Contains(got, "tokens") || !strings.Contains(got, "$") {
			t.Errorf("turn %d's time, latency, tokens and cost: %q", i+1, got)
		}
		if n := b.Count(sel + ` .turn-meta a[href="/traces/` + runs[i].traceID + `"]`); n != 1 {
			t.Errorf("turn %d does not link its trace %s", i+1, runs[i].traceID)
		}
	}
	b.Screenshot("session.png")

	data := b.Download("download the session as CSV", chromedp.Click(chromedp.CSS(`a.download-csv`)))
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("the downloaded CSV does not parse: %v\n%.300s", err, data)
	}
	spans := 0
	for _, r := range runs {
		spans += len(r.trace.Spans)
	}
	if len(rows) != 1+spans {
		t.Fatalf("the CSV has %d rows, want a header and the session's %d spans", len(rows), spans)
	}
	if rows[0][0] != "trace_id" || rows[0][1] != "span_id" {
		t.Errorf("the CSV header is %q", rows[0])
	}
	text := string(data)
	for i, r := range runs {
		if !strings.Contains(text, r.traceID) {
			t.Errorf("the CSV lacks turn %d's trace %s", i+1, r.traceID)
		}
		if !strings.Contains(text, demoTurns[i].question) || !strings.Contains(text, demoTurns[i].answer) {
			t.Errorf("the CSV lacks turn %d's question or answer", i+1)
		}
	}
	for _, want := range []string{openAIAnswerModel, anthropicAnswerModel, demoSession, demoUser} {
		if !strings.Contains(text, want) {
			t.Errorf("the CSV lacks %q", want)
		}
	}
}

// TestBrowserScores: on spans the SDK captured through the real collector,
// with the application's own score sent by the SDK, a person configures a
// score name, scores the trace with a comment and one call of it, filters
// the traces list by the score, and finds it on the dashboard, in headless
// Chromium. The trace page's screenshot is the README's scores.png.
func TestBrowserScores(t *testing.T) {
	t.Parallel()
	d := recordDemo(t)
	waitScore(t, d, demoCheck)
	b := browsertest.Start(t)
	b.SignIn(d.c.URL, demoAdmin, demoPassword)

	b.Do("configure the score name", chromedp.Navigate(d.c.URL+"/settings"),
		chromedp.WaitVisible(chromedp.CSS(`form.score-config`)),
		chromedp.SendKeys(chromedp.CSS(`form.score-config input[name=name]`), "helpfulness"),
		chromedp.SendKeys(chromedp.CSS(`form.score-config input[name=min]`), "0"),
		chromedp.SendKeys(chromedp.CSS(`form.score-config input[name=max]`), "1"),
		chromedp.SendKeys(chromedp.CSS(`form.score-config input[name=description]`), "how much the answer helped"),
		chromedp.Click(chromedp.CSS(`form.score-config button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.score-configs tbody tr`)))
	if got := b.Text(`table.score-configs`); !strings.Contains(got, "a number, 0 to 1") {
		t.Errorf("the score names: %q", got)
	}

	const comment = "Found the place and the weather in one go."
	b.Do("score the trace", chromedp.Navigate(d.c.URL+"/traces/"+d.traceID),
		chromedp.WaitVisible(chromedp.CSS(`#scores form.score-form`)),
		chromedp.SendKeys(chromedp.CSS(`#scores form.score-form input[name=name]`), "helpfulness"),
		chromedp.SendKeys(chromedp.CSS(`#scores form.score-form input[name=value]`), "0.9"),
		chromedp.SendKeys(chromedp.CSS(`#scores form.score-form input[name=comment]`), comment),
		chromedp.Click(chromedp.CSS(`#scores form.score-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#scores tbody tr:nth-child(2)`)))
	scores := b.Text(`#scores table`)
	for _, want := range []string{"helpfulness", "0.9", comment, demoAdmin, demoCheck, "true", demoCheckComment, "sdk"} {
		if !strings.Contains(scores, want) {
			t.Errorf("the trace's scores lack %q: %q", want, scores)
		}
	}
	// A value outside the configured range is refused, saying why.
	b.Do("score out of range", chromedp.Navigate(d.c.URL+"/traces/"+d.traceID),
		chromedp.WaitVisible(chromedp.CSS(`#scores form.score-form`)),
		chromedp.SendKeys(chromedp.CSS(`#scores form.score-form input[name=name]`), "helpfulness"),
		chromedp.SendKeys(chromedp.CSS(`#scores form.score-form input[name=value]`), "9"),
		chromedp.Click(chromedp.CSS(`#scores form.score-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#scores .error`)))
	if got := b.Text(`#scores .error`); !strings.Contains(got, "outside its range 0 to 1") {
		t.Errorf("the refusal says %q", got)
	}

	call := d.calls[len(d.calls)-3] // the streamed Anthropic answer with its tool call
	b.Do("score a call", chromedp.Navigate(d.c.URL+"/traces/"+d.traceID+"?span="+call.spanID),
		chromedp.WaitVisible(chromedp.CSS(`#span-scores form.score-form`)),
		chromedp.SendKeys(chromedp.CSS(`#span-scores form.score-form input[name=name]`), "tool_use"),
		chromedp.SendKeys(chromedp.CSS(`#span-scores form.score-form input[name=value]`), "right tool"),
		chromedp.Click(chromedp.CSS(`#span-scores form.score-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#span-scores tr.score`)))
	if got := b.Text(`#span-scores table`); !strings.Contains(got, "right tool") {
		t.Errorf("the call's scores: %q", got)
	}
	if got := b.Text(`#scores table`); !strings.Contains(got, "chat "+anthropicModel) {
		t.Errorf("the trace's list does not name the scored call: %q", got)
	}
	b.Screenshot("scores.png")

	b.Do("filter the traces by the score", chromedp.Navigate(d.c.URL+"/traces"),
		chromedp.WaitVisible(chromedp.CSS(`form.filters`)),
		chromedp.SendKeys(chromedp.CSS(`form.filters input[name=score_name]`), "helpfulness"),
		chromedp.SendKeys(chromedp.CSS(`form.filters input[name=score_min]`), "0.8"),
		chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.traces tbody tr`)))
	if n := b.Count(`table.traces tbody tr`); n != 1 {
		t.Errorf("helpfulness ≥ 0.8: %d traces, want the demo's", n)
	}
	if got := b.Text(`table.traces td.scores`); !strings.Contains(got, "helpfulness 0.9") || !strings.Contains(got, demoCheck+" true") {
		t.Errorf("the scores column: %q", got)
	}
	b.Do("filter by a score it does not reach", chromedp.Navigate(d.c.URL+"/traces?score_name=helpfulness&score_min=0.95"),
		chromedp.WaitVisible(chromedp.CSS(`p.empty`)))

	b.Do("open the dashboard's scores", chromedp.Navigate(d.c.URL+"/dashboard?score=helpfulness"),
		chromedp.WaitVisible(chromedp.CSS(`.score-charts svg`)))
	if got := b.Text(`table.score-names`); !strings.Contains(got, "helpfulness") || !strings.Contains(got, demoCheck) || !strings.Contains(got, "tool_use") {
		t.Errorf("the dashboard's score names: %q", got)
	}
	if n := b.Count(`.score-charts svg`); n != 4 {
		t.Errorf("the dashboard draws %d score charts, want 4", n)
	}
	if got := b.Text(`.score-charts`); !strings.Contains(got, "Average helpfulness by model") || !strings.Contains(got, anthropicAnswerModel) {
		t.Errorf("the score charts: %q", got)
	}
}

// waitScore waits until the collector stored the run's score named name.
func waitScore(t *testing.T, d *demoRun, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, err := d.c.Store.ListScores(context.Background(), d.c.ProjectID, store.ScoreFilter{TraceID: d.traceID, Name: name}, store.Page{})
		if err == nil && len(l.Scores) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("score %s of the demo run not stored: %+v, %v", name, l.Scores, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
