// Package server assembles the Tracium collector: the store, the HTTP
// surfaces and their lifecycle. cmd/tracium-server fills its Config.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/backend"
)

// Config is everything the server can be told. Zero values take the
// defaults below.
type Config struct {
	Addr        string // listen address; DefaultAddr
	DataDir     string // embedded data; DefaultDataDir
	DatabaseURL string // postgres://...; empty for SQLite in DataDir
	AutoMigrate bool   // apply pending migrations at start
	Logger      *slog.Logger
}

// Defaults for Config.
const (
	DefaultAddr    = ":8080"
	DefaultDataDir = "./tracium-data"
)

func (c *Config) validate() error {
	c.Addr = cmp.Or(c.Addr, DefaultAddr)
	c.DataDir = cmp.Or(c.DataDir, DefaultDataDir)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.DatabaseURL != "" && !backend.IsPostgres(c.DatabaseURL) {
		return errors.New("database URL must start with postgres:// or be empty")
	}
	return nil
}

// Server is a running collector.
type Server struct {
	cfg   Config
	store store.Store
	http  *http.Server
	ln    net.Listener
}

// New opens the store and binds the listener; Run serves.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	st, err := backend.Open(ctx, backend.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, AutoMigrate: cfg.AutoMigrate})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, store: st, ln: ln}
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Run serves until ctx is done, then drains in-flight requests.
func (s *Server) Run(ctx context.Context) error {
	defer s.store.Close()
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	s.cfg.Logger.Info("tracium listening", "addr", s.ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.http.Shutdown(shutdownCtx)
}

func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"status":"ok"}`)
	})
	r.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.store.Ping(ctx); err != nil {
			s.cfg.Logger.Warn("readiness: store unreachable", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, `{"status":"unavailable","store":"unreachable"}`)
			return
		}
		fmt.Fprintln(w, `{"status":"ok"}`)
	})
	return r
}
