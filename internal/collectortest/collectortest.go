// Package collectortest runs the real Tracium collector in-process for the
// end-to-end tests of the SDK and its integrations: the real ingest API,
// JetStream (embedded) and writer, on a free port with its own SQLite data
// directory.
package collectortest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/backend"
)

// Collector is a running collector.
type Collector struct {
	// URL is the collector's base URL, for tracium.WithEndpoint.
	URL string
	// APIKey is the key of project "default".
	APIKey string
	// ProjectID is the id of project "default".
	ProjectID int64
	// Store is a second connection to the collector's database, for
	// reading what it wrote.
	Store store.Store
	// OTLPGRPCAddr is the OTLP/gRPC address (host:port) when the collector
	// was started WithOTLPGRPC, else empty.
	OTLPGRPCAddr string
}

// Option configures the collector Start runs.
type Option func(*server.Config)

// WithAdmin creates a web UI user with this email and password.
func WithAdmin(email, password string) Option {
	return func(c *server.Config) { c.AdminEmail, c.AdminPassword = email, password }
}

// WithDatabase stores in this PostgreSQL database instead of SQLite.
func WithDatabase(url string) Option {
	return func(c *server.Config) { c.DatabaseURL = url }
}

// WithOTLPGRPC serves OTLP/gRPC too, on a free port (OTLPGRPCAddr).
func WithOTLPGRPC() Option {
	return func(c *server.Config) { c.OTLPGRPCAddr = "127.0.0.1:0" }
}

// Start runs a collector until the test ends.
func Start(t testing.TB, opts ...Option) *Collector {
	t.Helper()
	key, _, err := auth.NewKey(0, "collectortest")
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{
		Addr:            "127.0.0.1:0",
		DataDir:         t.TempDir(),
		AutoMigrate:     true,
		BootstrapAPIKey: key,
		RateLimit:       -1,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("collector Run: %v", err)
		}
	})
	st, err := backend.Open(context.Background(), backend.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		t.Fatalf("open the collector's store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	c := &Collector{URL: "http://" + srv.Addr().String(), APIKey: key, ProjectID: srv.Bootstrap.Project.ID, Store: st}
	if a := srv.OTLPGRPCAddr(); a != nil {
		c.OTLPGRPCAddr = a.String()
	}
	return c
}

// WaitTrace waits until the trace has at least n spans stored and returns
// it; it fails the test after timeout.
func (c *Collector) WaitTrace(t testing.TB, traceID string, n int, timeout time.Duration) store.TraceDetail {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d, err := c.Store.GetTrace(context.Background(), c.ProjectID, traceID)
		if err == nil && len(d.Spans) >= n {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: %d spans stored after %s, want %d (last error: %v)", traceID, len(d.Spans), timeout, n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
