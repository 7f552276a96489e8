// Package browsertest drives Tracium's web UI in headless Chromium for
// tests: the Debian package's chromium (scripts/deps.sh installs it),
// started with the flags this machine's closed network needs, one fresh
// profile per test.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// EnvScreenshots names the folder screenshots are written to; without it
// they go to the test's temporary folder, so that a test run changes no
// tracked file. `make screenshots` sets it to docs/screenshots.
const EnvScreenshots = "TRACIUM_SCREENSHOTS_DIR"

// Browser is one headless Chromium tab.
type Browser struct {
	t   testing.TB
	ctx context.Context
	dir string
}

// Start launches Chromium for the test; the test's cleanup closes it.
func Start(t testing.TB) *Browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 960),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	dir := os.Getenv(EnvScreenshots)
	if dir == "" {
		dir = t.TempDir()
	}
	return &Browser{t: t, ctx: ctx, dir: dir}
}

func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: run scripts/deps.sh (Debian: apt-get install chromium)")
	return ""
}

// Context is the tab's context, for chromedp actions of a test's own.
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs actions and fails the test, naming what, when one fails.
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Text returns the visible text of the first element matching css.
func (b *Browser) Text(css string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v", css, err)
	}
	return s
}

// Count returns how many elements match css.
func (b *Browser) Count(css string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+quote(css)+`).length`))
	if err != nil {
		b.t.Fatalf("browser: count %s: %v", css, err)
	}
	return n
}

// SignIn signs in at baseURL and waits for the traces list: for its
// navigation bar, which the sign-in page, having a heading of its own,
// does not have, so that a test's next navigation cannot cut the sign-in
// short.
func (b *Browser) SignIn(baseURL, email, password string) {
	b.t.Helper()
	b.Do("sign in",
		chromedp.Navigate(baseURL+"/traces"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`header.topbar`)))
}

// Screenshot saves the whole page as name (a .png) in the screenshot
// folder and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	path := filepath.Join(b.dir, name)
	if err == nil {
		if err = os.MkdirAll(b.dir, 0o755); err == nil {
			err = os.WriteFile(path, png, 0o644)
		}
	}
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	return path
}

// Download runs actions that start a download (a click on a download
// link) and returns the downloaded file's bytes once the browser has it
// whole.
func (b *Browser) Download(what string, actions ...chromedp.Action[chromedp.Void]) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	allow := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)})
		return err
	})
	b.Do(what, append([]chromedp.Action[chromedp.Void]{allow}, actions...)...)
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("browser: %s: %v", what, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			data, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				b.t.Fatalf("browser: %s: %v", what, err)
			}
			return data
		case browser.DownloadProgressStateCanceled:
			b.t.Fatalf("browser: %s: the download was cancelled", what)
		}
	}
	b.t.Fatalf("browser: %s: no download completed", what)
	return nil
}

// Timing is what a navigation took, by the browser's Navigation Timing,
// from its start: FirstByte until the response's first byte arrived (the
// server's share), Load until the load event (what a person waits for).
type Timing struct {
	FirstByte, Load time.Duration
}

// LoadTime navigates to url and returns how long the page took.
func (b *Browser) LoadTime(url string) Timing {
	b.t.Helper()
	b.Do("open "+url, chromedp.Navigate(url))
	ms, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](
		`(() => { const n = performance.getEntriesByType('navigation')[0]; return [n.responseStart - n.startTime, n.loadEventEnd - n.startTime]; })()`))
	if err != nil || len(ms) != 2 {
		b.t.Fatalf("browser: navigation timing of %s: %v", url, err)
	}
	return Timing{FirstByte: time.Duration(ms[0] * float64(time.Millisecond)), Load: time.Duration(ms[1] * float64(time.Millisecond))}
}

func quote(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}
