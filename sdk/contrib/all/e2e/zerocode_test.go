package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/collectortest"
	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/sdk/internal/fakellm"
	"github.com/tracium/tracium/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// orchestrionVersion is the version scripts/deps.sh installs.
const orchestrionVersion = "v1.15.0"

// TestZeroCode builds testdata/app's program twice, runs each build, asks
// its route once and waits for the job it enqueues, then stops it: the
// plain build must answer the same and record nothing; the Orchestrion
// build must record the whole request, and flush it both when main returns
// after its own SIGTERM handling and when SIGTERM arrives unhandled. Then
// it runs the Orchestrion build of testdata/app/frameworks
// (testFrameworks). Not parallel: the build takes the machine.
func TestZeroCode(t *testing.T) {
	b := buildPrograms(t)
	plain, traced := b.plainApp, b.tracedApp

	db := pgtest.NewDatabase(t)
	llm := fakellm.New(t, fakellm.Options{})

	t.Run("plain build records nothing", func(t *testing.T) {
		c := collectortest.Start(t)
		app := startApp(t, plain, c, llm, db, true)
		if app.defaultTransportWrapped(t) {
			t.Errorf("http.DefaultTransport is not an *http.Transport")
		}
		app.ask(t, "4bf92f3577b34da6a3ce929d0e0e4736")
		app.stop(t, true)
		list, err := c.Store.ListTraces(context.Background(), c.ProjectID, store.TraceFilter{}, store.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Traces) != 0 {
			t.Errorf("the plain build recorded %d traces", len(list.Traces))
		}
	})

	t.Run("traced, main returns", func(t *testing.T) {
		c := collectortest.Start(t)
		app := startApp(t, traced, c, llm, db, true)
		if app.defaultTransportWrapped(t) {
			t.Errorf("the Orchestrion build replaced http.DefaultTransport")
		}
		const traceID = "0af7651916cd43dd8448eb211c80319c"
		app.ask(t, traceID)
		app.stop(t, true)
		checkTrace(t, c, traceID)
	})

	t.Run("traced, SIGTERM unhandled", func(t *testing.T) {
		c := collectortest.Start(t)
		app := startApp(t, traced, c, llm, db, false)
		const traceID = "5b8aa5a2d2c872e8321cf37308d69df2"
		app.ask(t, traceID)
		app.stop(t, false)
		checkTrace(t, c, traceID)
	})

	t.Run("frameworks", func(t *testing.T) { testFrameworks(t, b.tracedFrameworks) })
}

// findOrchestrion returns the orchestrion that scripts/deps.sh installs,
// from PATH or GOPATH/bin, checking its version.
func findOrchestrion() (string, error) {
	path, err := exec.LookPath("orchestrion")
	if err != nil {
		gopath, gerr := exec.Command("go", "env", "GOPATH").Output()
		if gerr != nil {
			return "", gerr
		}
		path = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "orchestrion")
	}
	out, err := exec.Command(path, "version").Output()
	if err != nil {
		return "", fmt.Errorf("orchestrion %s is needed (scripts/deps.sh installs it): %v", orchestrionVersion, err)
	}
	if !strings.Contains(string(out), orchestrionVersion) {
		return "", fmt.Errorf("%s is %q, want %s (scripts/deps.sh installs it)", path, strings.TrimSpace(string(out)), orchestrionVersion)
	}
	return path, nil
}

// programs are the builds of testdata/app the test runs.
type programs struct {
	plainApp, tracedApp, tracedFrameworks string
}

// buildPrograms builds testdata/app (module example.com/zerocode: the
// program at its root and the one in frameworks/): the root program with
// go build, both with one orchestrion go build, which shares the
// instrumented standard library and integrations between them.
func buildPrograms(t *testing.T) programs {
	t.Helper()
	orchestrion, err := findOrchestrion()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := programs{
		plainApp:         filepath.Join(dir, "plain", "zerocode"),
		tracedApp:        filepath.Join(dir, "traced", "zerocode"),
		tracedFrameworks: filepath.Join(dir, "traced", "frameworks"),
	}
	if err := build(t, "go build", "go", "build", "-o", b.plainApp, "."); err != nil {
		t.Fatal(err)
	}
	if err := build(t, "orchestrion go build", orchestrion, "go", "build", "-o", filepath.Dir(b.tracedApp)+string(filepath.Separator), "./..."); err != nil {
		t.Fatal(err)
	}
	return b
}

// build runs a build of testdata/app into the shared build cache, with the
// module's own go.mod (GOWORK off), which it must not change.
func build(t *testing.T, what, name string, args ...string) error {
	start := time.Now()
	cmd := exec.Command(name, args...)
	cmd.Dir = "testdata/app"
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", what, err, out)
	}
	t.Logf("%s took %s", what, time.Since(start).Round(time.Second))
	return nil
}

// app is a running build of testdata/app.
type app struct {
	cmd    *exec.Cmd
	url    string
	exited chan error
	jobs   int
}

func startApp(t *testing.T, bin string, c *collectortest.Collector, llm *fakellm.Server, db string, graceful bool) *app {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"APP_ADDR=127.0.0.1:0",
		"DATABASE_URL="+db,
		"OPENAI_BASE_URL="+llm.URL,
		"ANTHROPIC_BASE_URL="+llm.URL,
		"TRACIUM_API_KEY="+c.APIKey,
		"TRACIUM_ENDPOINT="+c.URL,
		"TRACIUM_DISABLED=",
	)
	if !graceful {
		cmd.Env = append(cmd.Env, "APP_GRACEFUL=0")
	}
	cmd.Stderr = testWriter{t}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &app{cmd: cmd, exited: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addr <- rest
			}
		}
		a.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-a.exited
		}
	})
	select {
	case a.url = <-addr:
		a.url = "http://" + a.url
	case err := <-a.exited:
		t.Fatalf("the app exited before serving: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the app did not start serving within a minute")
	}
	return a
}

// defaultTransportWrapped asks the app whether http.DefaultTransport is
// still an *http.Transport, and reports true when it is not.
func (a *app) defaultTransportWrapped(t *testing.T) bool {
	t.Helper()
	var health struct {
		Plain bool `json:"default_transport_is_http_transport"`
	}
	a.get(t, "/healthz", &health)
	return !health.Plain
}

// ask posts the route inside the trace traceID (as a caller's
// traceparent), checks the answers and waits for the job it enqueued to
// be done.
func (a *app) ask(t *testing.T, traceID string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.url+"/ask/gophers", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("traceparent", "00-"+traceID+"-b7ad6b7169203331-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /ask/gophers: %d %s", resp.StatusCode, body)
	}
	var got struct {
		Anthropic, Eino string
		Job             int64
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("POST /ask/gophers: %v: %s", err, body)
	}
	if got.Anthropic == "" || got.Eino == "" || got.Job == 0 {
		t.Fatalf("POST /ask/gophers answered %s", body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("%s/jobs/%d", a.url, got.Job))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d not done after 30s", got.Job)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (a *app) get(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(a.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// stop sends SIGTERM and waits for the app to exit: with status 0 when it
// handles the signal (graceful), killed by the signal when it does not.
func (a *app) stop(t *testing.T, graceful bool) {
	t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-a.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the app did not exit within 30s of SIGTERM")
	}
	if graceful {
		if err != nil {
			t.Fatalf("the app exited with %v after its own shutdown", err)
		}
		return
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the app exited with %v, want killed by SIGTERM", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("the app exited with %v, want killed by SIGTERM", err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("app: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
