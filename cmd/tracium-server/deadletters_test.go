package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/queue"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/backend"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

// TestDeadLetters runs the dead-letter commands against a real server's
// data directory: a batch the store refuses (a SQLite trigger aborting
// its insert) is dead-lettered while the good batch beside it is written; "list" shows it (and refuses to run beside the server,
// which holds the embedded NATS); once the cause is gone, "replay"
// puts it back and the next server writes it.
func TestDeadLetters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, _, err := auth.NewKey(0, "test")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"TRACIUM_DATA_DIR=" + dir, "TRACIUM_BOOTSTRAP_API_KEY=" + key, "TRACIUM_MAX_DELIVERIES=2"}
	cmd, url := serverProcess(t, env...)
	dbPath := filepath.Join(dir, backend.SQLiteFile)
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER refuse_poison BEFORE INSERT ON spans WHEN NEW.name = 'poison'
		BEGIN SELECT RAISE(ABORT, 'poison span refused'); END`); err != nil {
		t.Fatal(err)
	}
	f := storetest.Fixture{SpansPerTrace: 3, PayloadBytes: 100, Start: time.Now().Add(-time.Minute), Spacing: time.Second}
	poison, good := f.Trace(1), f.Trace(2)
	poison[1].Name = "poison"
	for _, spans := range [][]store.Span{poison, good} {
		if code := post(url, key, spans); code != http.StatusAccepted {
			t.Fatalf("status %d", code)
		}
	}
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: dbPath, SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.GetProjectByName(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	waitSpans(t, st, p.ID, good[0].TraceID, len(good))
	waitMetric(t, url, "tracium_writer_dead_letters_total", 1)

	if code, _, stderr := run(t, env, "dead-letters", "list"); code != 1 || !strings.Contains(stderr, "stop it first") {
		t.Errorf("list beside the running server: exit %d, %s; want 1, saying to stop the server", code, stderr)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	code, out, stderr := run(t, env, "dead-letters", "list", "--json")
	var dead []queue.DeadLetter
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d queue.DeadLetter
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("list --json: %q: %v (exit %d, %s)", line, err, code, stderr)
		}
		dead = append(dead, d)
	}
	if code != 0 || len(dead) != 1 {
		t.Fatalf("list --json: exit %d, %d dead letters %+v, %s; want 1", code, len(dead), dead, stderr)
	}
	d := dead[0]
	if d.ID == 0 || d.Project != strconv.FormatInt(p.ID, 10) || d.Spans != len(poison) || d.Deliveries < 1 ||
		!strings.Contains(d.Reason, "poison span refused") || time.Since(d.Time) > time.Minute {
		t.Errorf("dead letter %+v; want project %d, %d spans, its deliveries, the trigger's error, a recent time", d, p.ID, len(poison))
	}
	if _, out, _ := run(t, env, "dead-letters", "list"); !strings.Contains(out, "REASON") || !strings.Contains(out, "poison span refused") {
		t.Errorf("list: %s", out)
	}
	if code, _, _ := run(t, env, "dead-letters", "replay"); code != 2 {
		t.Errorf("replay without --id or --all: exit %d, want 2", code)
	}

	if _, err := db.Exec(`DROP TRIGGER refuse_poison`); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := run(t, env, "dead-letters", "replay", "--id", strconv.FormatUint(d.ID, 10)); code != 0 || !strings.Contains(out, "replayed") {
		t.Fatalf("replay --id: exit %d %s %s", code, out, stderr)
	}
	if code, out, stderr := run(t, env, "dead-letters", "list", "--json"); code != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("list after the replay: exit %d %q %s; want nothing", code, out, stderr)
	}
	serverProcess(t, env...)
	waitSpans(t, st, p.ID, poison[0].TraceID, len(poison))
}

// run runs this binary as tracium-server with args, to its end.
func run(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), append(env, runServerEnv+"=1")...)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

func waitSpans(t *testing.T, st store.Store, projectID int64, traceID string, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := st.GetTrace(context.Background(), projectID, traceID)
		if err == nil && len(d.Spans) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: %d of %d spans (%v)", traceID, len(d.Spans), want, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitMetric polls /metrics until an unlabelled metric reaches want.
func waitMetric(t *testing.T, url, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/metrics")
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, line := range strings.Split(string(raw), "\n") {
				if v, ok := strings.CutPrefix(line, name+" "); ok {
					if f, _ := strconv.ParseFloat(v, 64); f >= want {
						return
					}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach %v", name, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
