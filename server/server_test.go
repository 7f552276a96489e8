package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/backend"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testBundle is a running server and what a test needs to talk to it.
type testBundle struct {
	url   string
	key   string // sk_live_ key of project "default"
	store store.Store
	cfg   server.Config
	stop  func()
}

type options struct {
	postgres     bool
	externalNATS bool
	databaseURL  string // overrides the fresh test database
	configure    func(*server.Config)
}

// setup starts a server on a free port with its own data directory and
// database, and stops it when the test ends.
func setup(t *testing.T, o options) *testBundle {
	t.Helper()
	cfg := server.Config{
		Addr:            "127.0.0.1:0",
		DataDir:         t.TempDir(),
		AutoMigrate:     true,
		BootstrapAPIKey: newSecret(t),
		RateLimit:       -1,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if o.postgres {
		cfg.DatabaseURL = pgtest.NewDatabase(t)
	}
	if o.databaseURL != "" {
		cfg.DatabaseURL = o.databaseURL
	}
	if o.externalNATS {
		cfg.NATSURL = startNATS(t, t.TempDir()).ClientURL()
	}
	if o.configure != nil {
		o.configure(&cfg)
	}
	b := start(t, cfg)
	b.store = openStore(t, cfg)
	return b
}

func start(t *testing.T, cfg server.Config) *testBundle {
	t.Helper()
	srv, err := server.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return &testBundle{url: "http://" + srv.Addr().String(), key: cfg.BootstrapAPIKey, cfg: cfg, stop: stop}
}

// openStore opens a second connection to the server's database, for the
// test to look at what the writer stored.
func openStore(t *testing.T, cfg server.Config) store.Store {
	t.Helper()
	var st store.Store
	var err error
	if cfg.DatabaseURL != "" {
		st, err = postgres.Open(t.Context(), postgres.Config{URL: cfg.DatabaseURL, SkipMigrate: true})
	} else {
		st, err = sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(cfg.DataDir, backend.SQLiteFile), SkipMigrate: true})
	}
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// startNATS runs a real NATS server with JetStream on a random loopback
// port, as an external NATS would be.
func startNATS(t *testing.T, dir string) *natsserver.Server {
	t.Helper()
	return startNATSAt(t, dir, "127.0.0.1", "-1")
}

// startNATSAt runs it on a given port (-1: random), to restart one.
func startNATSAt(t *testing.T, dir, host, port string) *natsserver.Server {
	t.Helper()
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := natsserver.NewServer(&natsserver.Options{Host: host, Port: p, JetStream: true, StoreDir: dir,
		MaxPayload: 8 << 20, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(ns.Shutdown)
	return ns
}

func newSecret(t *testing.T) string {
	t.Helper()
	secret, _, err := auth.NewKey(0, "test")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// response is a decoded ingest answer.
type response struct {
	status   int
	header   http.Header
	Accepted int `json:"accepted"`
	Rejected []struct {
		Index  int    `json:"index"`
		Reason string `json:"reason"`
	} `json:"rejected"`
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (b *testBundle) post(t *testing.T, key string, body []byte, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest("POST", b.url+"/v1/ingest", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /v1/ingest: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("status %d with Content-Type %q: %s", resp.StatusCode, ct, raw)
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("status %d, undecodable body %q: %v", resp.StatusCode, raw, err)
	}
	if resp.StatusCode >= 400 && (r.Error.Code == "" || r.Error.Message == "") {
		t.Errorf("status %d without a JSON error: %s", resp.StatusCode, raw)
	}
	return r
}

func body(t *testing.T, spans ...store.Span) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"spans": spans})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// agentTrace is a small realistic trace: an agent, a plan step, a tool
// call and an LLM call with usage and no client-given cost.
func agentTrace() []store.Span {
	f := storetest.Fixture{SpansPerTrace: 4, PayloadBytes: 400, Start: time.Now().Add(-time.Minute), Spacing: time.Second}
	spans := f.Trace(1)
	spans[1].Model, spans[1].Provider, spans[1].CostUSD = "gpt-4o-mini", "openai", nil
	return spans
}

// waitTrace polls the store until the trace holds want spans.
func (b *testBundle) waitTrace(t *testing.T, st store.Store, projectID int64, traceID string, want int64) store.TraceDetail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := st.GetTrace(context.Background(), projectID, traceID)
		if err == nil && d.Trace.SpanCount == want {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: %d spans after 30s (err %v); want %d", traceID, d.Trace.SpanCount, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *testBundle) defaultProject(t *testing.T) store.Project {
	t.Helper()
	p, err := b.store.GetProjectByName(t.Context(), server.DefaultProject)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func keyRecord(projectID int64, secret string) store.APIKey {
	return auth.Record(projectID, "test", secret)
}
