// Package server assembles the Tracium collector: the store, the span
// queue, the writer and the HTTP surfaces, and their lifecycle.
// cmd/tracium-server fills its Config.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/ingest"
	"github.com/tracium/tracium/server/metrics"
	"github.com/tracium/tracium/server/pricing"
	"github.com/tracium/tracium/server/queue"
	"github.com/tracium/tracium/server/retention"
	"github.com/tracium/tracium/server/writer"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/backend"
)

// Config is everything the server can be told. Zero values take defaults.
type Config struct {
	Addr        string // listen address; DefaultAddr
	DataDir     string // embedded data; DefaultDataDir
	DatabaseURL string // postgres://...; empty for SQLite in DataDir
	NATSURL     string // nats://... (a cluster: several, comma-separated); empty for an embedded NATS
	AutoMigrate bool   // apply pending migrations at start
	// ReadDatabaseURL, when set, is a PostgreSQL read replica of
	// DatabaseURL: the REST API and the UI read traces from it, while
	// ingest, settings, sign-in and retention use DatabaseURL.
	ReadDatabaseURL string

	// Queue sizes the span stream (queue.Config): Replicas on a JetStream
	// cluster, MaxBytes and MaxAge bound it, AckWait is how soon a dead
	// collector's batches are delivered to another.
	Queue QueueConfig
	// RetentionDays, when positive, removes every project's traces whose
	// day ended that many days ago; projects may keep less (settings).
	RetentionDays int
	// RetentionInterval is how often the retention job runs across the
	// collectors; retention.DefaultInterval.
	RetentionInterval time.Duration

	// OTLPGRPCAddr is where OTLP/gRPC (TraceService/Export) listens;
	// empty turns it off. OTLP/HTTP is always on Addr (/v1/traces).
	OTLPGRPCAddr string

	BootstrapAPIKey string // ensures project "default" has this key
	AdminEmail      string // first web UI user
	AdminPassword   string
	Secret          string // session signing key; generated into DataDir when empty

	MaxBodyBytes  int64
	MaxBatchSpans int
	RateLimit     float64 // ingest requests per second per key; <0 turns it off
	PricesFile    string  // a price table replacing the embedded one
	Writers       int     // concurrent writer loops; DefaultWriters

	// BodyTimeout bounds the time a request's headers and body take to
	// arrive; DefaultBodyTimeout. It does not bound the handler's work.
	BodyTimeout time.Duration
	// IngestConcurrency and IngestMemoryBytes bound the ingest requests
	// read and decoded at once and the bytes they hold (ingest.Config).
	IngestConcurrency int
	IngestMemoryBytes int64
	// SpanWindow bounds the start times ingest accepts around its clock.
	SpanWindow store.Window
	// MaxDeliveries is how often a batch is tried before it is
	// dead-lettered (writer.Config).
	MaxDeliveries int
	// PprofAddr, when set, is where Go's profiles are served
	// (/debug/pprof/), on a listener of their own; empty serves none.
	PprofAddr string

	Logger *slog.Logger
	// Ready, when set, receives the bound address once the server serves.
	Ready func(addr net.Addr)
}

// QueueConfig is the part of queue.Config a deployment chooses.
type QueueConfig struct {
	Replicas int
	MaxBytes int64
	MaxAge   time.Duration
	AckWait  time.Duration
}

// Defaults for Config.
const (
	DefaultAddr    = ":8080"
	DefaultDataDir = "./tracium-data"
	DefaultWriters = 2
	// DefaultBodyTimeout is long enough for a 10 MB body at 3 Mbit/s.
	DefaultBodyTimeout = 30 * time.Second
	// MinSecretBytes is the shortest TRACIUM_SECRET accepted: 256 bits
	// of key for the HMAC that signs sessions.
	MinSecretBytes = 32
	// headerTimeout bounds the time a request's headers take to arrive.
	headerTimeout = 10 * time.Second
)

func (c *Config) validate() error {
	c.Addr = cmp.Or(c.Addr, DefaultAddr)
	c.DataDir = cmp.Or(c.DataDir, DefaultDataDir)
	c.Writers = cmp.Or(c.Writers, DefaultWriters)
	c.BodyTimeout = cmp.Or(c.BodyTimeout, DefaultBodyTimeout)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.DatabaseURL != "" && !backend.IsPostgres(c.DatabaseURL) {
		return errors.New("TRACIUM_DATABASE_URL must start with postgres:// or be empty")
	}
	if c.ReadDatabaseURL != "" && (!backend.IsPostgres(c.ReadDatabaseURL) || c.DatabaseURL == "") {
		return errors.New("TRACIUM_READ_DATABASE_URL must be a postgres:// read replica of TRACIUM_DATABASE_URL")
	}
	if c.RetentionDays < 0 || c.RetentionDays > store.MaxRetentionDays {
		return fmt.Errorf("TRACIUM_RETENTION_DAYS must be 0 (keep everything) to %d", store.MaxRetentionDays)
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return errors.New("TRACIUM_ADMIN_EMAIL and TRACIUM_ADMIN_PASSWORD go together")
	}
	if c.Secret != "" && len(c.Secret) < MinSecretBytes {
		return fmt.Errorf("TRACIUM_SECRET has %d bytes; it must have at least %d (for example: openssl rand -hex 32)", len(c.Secret), MinSecretBytes)
	}
	if c.BootstrapAPIKey != "" && !auth.WellFormed(c.BootstrapAPIKey) {
		return fmt.Errorf("TRACIUM_BOOTSTRAP_API_KEY must be %s followed by at least 32 letters and digits", auth.KeyPrefix)
	}
	return nil
}

// Server is a collector: open with New, serve with Run.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   store.Store
	queue   *queue.Queue
	metrics *metrics.Registry
	prices  *pricing.Table
	auth    *auth.Authenticator
	ingest  *ingest.Handler
	writers []*writer.Writer
	http    *http.Server
	ln      net.Listener
	pprofLn net.Listener // nil unless Config.PprofAddr
	grpc    *grpc.Server // nil when OTLP/gRPC is off
	grpcLn  net.Listener

	// reads serves the query API and the UI's trace pages: the store, or
	// replica when there is one.
	reads     store.Store
	replica   store.Store
	retention *retention.Job

	// Bootstrap is what start-up created or found: the default project and,
	// when one was generated, its API key.
	Bootstrap Bootstrap
}

// New opens the store and the queue, bootstraps the default project and
// binds the listener. Run serves.
func New(ctx context.Context, cfg Config) (_ *Server, err error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, metrics: metrics.NewRegistry()}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	prices := pricing.Default()
	if cfg.PricesFile != "" {
		if prices, err = pricing.LoadFile(cfg.PricesFile); err != nil {
			return nil, fmt.Errorf("prices file: %w", err)
		}
	}
	if cfg.DatabaseURL == "" || cfg.NATSURL == "" {
		if err := ensureDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
		if mode := dataDirOpen(cfg.DataDir); mode != "" {
			s.log.Warn("the data directory is open to other users; chmod 700 it", "dir", cfg.DataDir, "mode", mode)
		}
	}
	if s.store, err = backend.Open(ctx, backend.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, AutoMigrate: cfg.AutoMigrate, Window: cfg.SpanWindow}); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.reads = s.store
	if cfg.ReadDatabaseURL != "" {
		if s.replica, err = backend.OpenReplica(ctx, cfg.ReadDatabaseURL); err != nil {
			return nil, fmt.Errorf("open read replica: %w", err)
		}
		s.reads = s.replica
	}
	if s.queue, err = queue.Open(ctx, s.queueConfig()); err != nil {
		return nil, fmt.Errorf("open queue: %w", err)
	}
	if s.Bootstrap, err = bootstrap(ctx, s.store, cfg); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	cons, err := s.queue.Consumer(ctx)
	if err != nil {
		return nil, err
	}
	wm := writer.NewMetrics(s.metrics)
	for range cfg.Writers {
		s.writers = append(s.writers, writer.New(writer.Config{Logger: s.log, Metrics: wm, MaxDeliveries: cfg.MaxDeliveries}, cons, s.store, prices, s.queue))
	}
	s.prices = prices
	s.retention = retention.New(retention.Config{Days: cfg.RetentionDays, Interval: cfg.RetentionInterval, Logger: s.log, Metrics: s.metrics}, s.store)
	s.auth = auth.NewAuthenticator(s.store)
	if s.ingest, err = ingest.New(s.ingestConfig(), s.auth, s.queue); err != nil {
		return nil, err
	}
	s.registerGauges()
	if s.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, err
	}
	if cfg.PprofAddr != "" {
		if s.pprofLn, err = net.Listen("tcp", cfg.PprofAddr); err != nil {
			return nil, fmt.Errorf("pprof listener: %w", err)
		}
	}
	// No ReadTimeout: it would also cancel the context of a handler that
	// works past it. bodyDeadline bounds the body instead.
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: headerTimeout, IdleTimeout: 2 * time.Minute}
	if cfg.OTLPGRPCAddr != "" {
		if s.grpcLn, err = net.Listen("tcp", cfg.OTLPGRPCAddr); err != nil {
			s.ln.Close()
			return nil, fmt.Errorf("OTLP/gRPC listener: %w", err)
		}
		s.grpc = s.ingest.NewGRPCServer()
	}
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// OTLPGRPCAddr is the address OTLP/gRPC listens on, or nil when it is off.
func (s *Server) OTLPGRPCAddr() net.Addr {
	if s.grpcLn == nil {
		return nil
	}
	return s.grpcLn.Addr()
}

// Run serves until ctx is done, then drains: in-flight requests finish,
// writers finish the batches in hand, and only then do the queue and the
// store close.
func (s *Server) Run(ctx context.Context) error {
	defer s.close()
	writeCtx, stopWriters := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWriters()
	var wg sync.WaitGroup
	for _, w := range s.writers {
		wg.Go(func() { _ = w.Run(writeCtx) })
	}
	wg.Go(func() { s.expireSessions(writeCtx) })
	wg.Go(func() { _ = s.retention.Run(writeCtx) })
	if s.pprofLn != nil {
		go s.servePprof(s.pprofLn)
	}
	errc := make(chan error, 2)
	go func() { errc <- s.http.Serve(s.ln) }()
	s.log.Info("tracium listening", "addr", s.ln.Addr().String())
	if s.grpc != nil {
		go func() { errc <- s.grpc.Serve(s.grpcLn) }()
		s.log.Info("OTLP/gRPC listening", "addr", s.grpcLn.Addr().String())
	}
	if s.cfg.Ready != nil {
		s.cfg.Ready(s.ln.Addr())
	}
	var err error
	select {
	case err = <-errc: // a listener failed: stop serving on the other
		_ = s.http.Close()
		if s.grpc != nil {
			s.grpc.Stop()
		}
	case <-ctx.Done():
		s.log.Info("shutting down: draining requests and writer batches")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		stopped := s.stopGRPC(shutdownCtx)
		err = s.http.Shutdown(shutdownCtx)
		<-stopped
		cancel()
	}
	stopWriters()
	wg.Wait()
	return err
}

// streamStats returns a function that reads the span stream's state at
// most once a second, so that one scrape asks JetStream once.
func (s *Server) streamStats() func() queue.Stats {
	var mu sync.Mutex
	var last queue.Stats
	var at time.Time
	return func() queue.Stats {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(at) < time.Second {
			return last
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		st, err := s.queue.Stats(ctx)
		if err != nil {
			return queue.Stats{}
		}
		last, at = st, time.Now()
		return last
	}
}

// stopGRPC stops OTLP/gRPC gracefully (exports in flight finish and are
// answered), or at once when ctx ends first; the channel closes when it
// has stopped.
func (s *Server) stopGRPC(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	if s.grpc == nil {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		graceful := make(chan struct{})
		go func() { s.grpc.GracefulStop(); close(graceful) }()
		select {
		case <-graceful:
		case <-ctx.Done():
			s.grpc.Stop()
			<-graceful
		}
	}()
	return done
}

func (s *Server) close() {
	if s.pprofLn != nil {
		_ = s.pprofLn.Close()
	}
	if s.queue != nil {
		s.queue.Close()
	}
	if s.replica != nil {
		_ = s.replica.Close()
	}
	if s.store != nil {
		_ = s.store.Close()
	}
}

func (s *Server) registerGauges() {
	stats := s.streamStats()
	s.metrics.NewGaugeFunc("tracium_writer_pending_batches", "Batches queued and not yet written (writer lag).", func() float64 {
		return float64(stats().Batches)
	})
	s.metrics.NewGaugeFunc("tracium_queue_stream_bytes", "Bytes of the batches queued and not yet written.", func() float64 {
		return float64(stats().Bytes)
	})
	s.metrics.NewGaugeFunc("tracium_queue_stream_max_bytes", "The span stream's maximum bytes: at it, ingest answers 503 queue_full.", func() float64 {
		return float64(stats().MaxBytes)
	})
	s.metrics.NewGaugeFunc("tracium_queue_oldest_batch_age_seconds", "Age of the oldest batch not yet written; 0 when none waits.", func() float64 {
		if st := stats(); !st.Oldest.IsZero() {
			return time.Since(st.Oldest).Seconds()
		}
		return 0
	})
	s.metrics.NewGaugeFunc("tracium_dead_letter_batches", "Batches kept on the dead-letter stream.", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, _ := s.queue.DeadCount(ctx)
		return float64(n)
	})
}

// QueueConfig is the span queue these settings name. Every process that
// opens the queue (collectors, the dead-letter commands) must open it
// with the same: opening it updates the stream to them.
func (c Config) QueueConfig() queue.Config {
	return queue.Config{URL: c.NATSURL, DataDir: cmp.Or(c.DataDir, DefaultDataDir), Replicas: c.Queue.Replicas,
		MaxBytes: c.Queue.MaxBytes, MaxAge: c.Queue.MaxAge, AckWait: c.Queue.AckWait}
}

func (s *Server) queueConfig() queue.Config {
	q := s.cfg.QueueConfig()
	q.Metrics = s.metrics
	return q
}

func (s *Server) ingestConfig() ingest.Config {
	return ingest.Config{MaxBodyBytes: s.cfg.MaxBodyBytes, MaxSpans: s.cfg.MaxBatchSpans,
		RateLimit: s.cfg.RateLimit, RateBurst: int(2 * s.cfg.RateLimit),
		MaxConcurrent: s.cfg.IngestConcurrency, MemoryBytes: s.cfg.IngestMemoryBytes, Window: s.cfg.SpanWindow,
		BodyTimeout: s.cfg.BodyTimeout, ScoreConfigs: s.store,
		Logger: s.log, Metrics: s.metrics}
}

// SetReady sets the function told the address once the server serves.
func (s *Server) SetReady(f func(net.Addr)) { s.cfg.Ready = f }

// expireSessions deletes expired web sessions every hour until ctx is
// done; a session is refused once expired anyway, this only keeps the
// table small.
func (s *Server) expireSessions(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.store.DeleteExpiredSessions(ctx, time.Now()); err != nil {
				s.log.Warn("sessions: cannot delete expired ones", "err", err)
			} else if n > 0 {
				s.log.Info("sessions: expired ones deleted", "count", n)
			}
		}
	}
}
