package server

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/tracium/tracium/server/ingest"
	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/server/respond"
)

func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	ingest.New(s.ingestConfig(), s.auth, s.queue).Routes(r)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", s.ready)
	r.Handle("/metrics", s.metrics)
	query.New(s.store, query.FromAPIKey(s.auth), s.log).Routes(r)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		respond.Error(w, http.StatusNotFound, "not_found", "no such endpoint")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		respond.Error(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here")
	})
	return r
}

// ready answers 200 when both the store and the queue answer.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{"store": "ok", "queue": "ok"}
	code := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness: store unreachable", "err", err)
		status["store"], code = "unreachable", http.StatusServiceUnavailable
	}
	if err := s.queue.Ping(ctx); err != nil {
		s.log.Warn("readiness: queue unreachable", "err", err)
		status["queue"], code = "unreachable", http.StatusServiceUnavailable
	}
	respond.JSON(w, code, status)
}
