package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/collectortest"
	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/backend"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

// The test binary doubles as the server: started with this variable set,
// it runs main instead of the tests, so that a test can kill a real server
// process.
const runServerEnv = "TRACIUM_TEST_RUN_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(runServerEnv) == "1" {
		main()
		os.Exit(0)
	}
	pgtest.Main(m)
}

// serverProcess starts the collector as a child process (this test
// binary, running main) with env.
func serverProcess(t *testing.T, env ...string) (*exec.Cmd, string) {
	t.Helper()
	p := collectortest.StartProcess(t, os.Args[0], append(env, runServerEnv+"=1")...)
	return p.Cmd, p.URL
}

// TestKillNineLosesNothing sends batches from several clients, kills the
// server with SIGKILL right after the last 202, starts it again on the same
// data directory, and checks that every acknowledged span is stored
// exactly once.
func TestKillNineLosesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, _, err := auth.NewKey(0, "test")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"TRACIUM_DATA_DIR=" + dir, "TRACIUM_BOOTSTRAP_API_KEY=" + key}
	cmd, url := serverProcess(t, env...)

	var mu sync.Mutex
	acked := map[string]int{} // trace id -> spans acknowledged
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			f := storetest.Fixture{SpansPerTrace: 25, PayloadBytes: 1024, Start: time.Now().Add(-time.Hour), Spacing: time.Second}
			for i := range 15 {
				spans := f.Trace(c*100 + i)
				if post(url, key, spans) == http.StatusAccepted {
					mu.Lock()
					acked[spans[0].TraceID] = len(spans)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) != 60 {
		t.Fatalf("%d of 60 batches acknowledged before the kill", len(acked))
	}

	serverProcess(t, env...)
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, backend.SQLiteFile), SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.GetProjectByName(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for id, want := range acked {
		for {
			d, err := st.GetTrace(context.Background(), p.ID, id)
			if err == nil && d.Trace.SpanCount == int64(want) && len(d.Spans) == want {
				break
			}
			if err == nil && d.Trace.SpanCount > int64(want) {
				t.Fatalf("trace %s counts %d spans, more than the %d sent", id, d.Trace.SpanCount, want)
			}
			if time.Now().After(deadline) {
				t.Fatalf("trace %s: %d of %d spans after restart (%v)", id, d.Trace.SpanCount, want, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func post(url, key string, spans []store.Span) int {
	raw, _ := json.Marshal(map[string]any{"spans": spans})
	req, _ := http.NewRequest("POST", url+"/v1/ingest", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TRACIUM_ADDR": ":9999", "TRACIUM_MAX_BODY_BYTES": "1024", "TRACIUM_AUTO_MIGRATE": "false"}
	cfg, err := parseConfig([]string{"--writers", "3"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":9999" || cfg.MaxBodyBytes != 1024 || cfg.AutoMigrate || cfg.Writers != 3 || cfg.DataDir != "./tracium-data" {
		t.Errorf("config %+v", cfg)
	}
	var help bytes.Buffer
	if _, err := parseConfig([]string{"--help"}, func(string) string { return "" }, &help); err == nil {
		t.Error("--help: no ErrHelp")
	}
	for _, name := range []string{"TRACIUM_ADDR", "TRACIUM_DATA_DIR", "TRACIUM_DATABASE_URL", "TRACIUM_NATS_URL",
		"TRACIUM_BOOTSTRAP_API_KEY", "TRACIUM_ADMIN_EMAIL", "TRACIUM_ADMIN_PASSWORD", "TRACIUM_SECRET",
		"TRACIUM_MAX_BODY_BYTES", "TRACIUM_PRICES_FILE", "TRACIUM_AUTO_MIGRATE", "TRACIUM_RATE_LIMIT",
		"TRACIUM_BODY_TIMEOUT", "TRACIUM_INGEST_CONCURRENCY", "TRACIUM_INGEST_MEMORY_BYTES",
		"TRACIUM_SPAN_WINDOW_BACK", "TRACIUM_SPAN_WINDOW_AHEAD", "TRACIUM_MAX_DELIVERIES", "dead-letters",
		"TRACIUM_READ_DATABASE_URL", "TRACIUM_NATS_REPLICAS", "TRACIUM_QUEUE_MAX_BYTES", "TRACIUM_QUEUE_MAX_AGE",
		"TRACIUM_QUEUE_ACK_WAIT", "TRACIUM_RETENTION_DAYS", "TRACIUM_OTLP_GRPC_ADDR"} {
		if !bytes.Contains(help.Bytes(), []byte(name)) {
			t.Errorf("--help does not list %s", name)
		}
	}
	if _, err := parseConfig([]string{"--max-body-bytes", "-1"}, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
		t.Error("negative body limit accepted")
	}
	cfg, err = parseConfig(nil, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BodyTimeout != 30*time.Second || cfg.SpanWindow.Back != 400*24*time.Hour || cfg.SpanWindow.Ahead != 24*time.Hour ||
		cfg.IngestConcurrency != 64 || cfg.IngestMemoryBytes != 256<<20 || cfg.MaxDeliveries != 10 {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.Queue != (server.QueueConfig{Replicas: 1, MaxBytes: 8 << 30, AckWait: 15 * time.Second}) || cfg.RetentionDays != 0 || cfg.ReadDatabaseURL != "" {
		t.Errorf("scaling defaults: %+v, retention %d, replica %q", cfg.Queue, cfg.RetentionDays, cfg.ReadDatabaseURL)
	}
	env = map[string]string{"TRACIUM_NATS_REPLICAS": "3", "TRACIUM_QUEUE_MAX_BYTES": "1048576", "TRACIUM_QUEUE_MAX_AGE": "3d",
		"TRACIUM_QUEUE_ACK_WAIT": "20s", "TRACIUM_RETENTION_DAYS": "30", "TRACIUM_READ_DATABASE_URL": "postgres://replica/db"}
	cfg, err = parseConfig(nil, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Queue != (server.QueueConfig{Replicas: 3, MaxBytes: 1 << 20, MaxAge: 72 * time.Hour, AckWait: 20 * time.Second}) ||
		cfg.RetentionDays != 30 || cfg.ReadDatabaseURL != "postgres://replica/db" {
		t.Errorf("scaling settings: %+v, retention %d, replica %q", cfg.Queue, cfg.RetentionDays, cfg.ReadDatabaseURL)
	}
	for _, bad := range [][]string{{"--body-timeout", "0s"}, {"--span-window-back", "-3d"}, {"--ingest-memory-bytes", "lots"}, {"--max-deliveries", "0"},
		{"--nats-replicas", "0"}, {"--nats-replicas", "6"}, {"--queue-max-bytes", "0"}, {"--queue-max-age", "-1h"}, {"--retention-days", "-1"}, {"--queue-ack-wait", "soon"}} {
		if _, err := parseConfig(bad, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true},
		{"36h", 36 * time.Hour, true},
		{"400d", 400 * 24 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"0s", 0, false},
		{"-1h", 0, false},
		{"d", 0, false},
		{"-2d", 0, false},
		{"soon", 0, false},
	} {
		got, err := parseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
