package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/server/ui"
	"github.com/tracium/tracium/store"
)

func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(securityHeaders, middleware.Recoverer, bodyDeadline(s.cfg.BodyTimeout))
	s.ingest.Routes(r)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", s.ready)
	r.Handle("/metrics", s.metrics)
	pages := ui.New(ui.Config{Store: s.store, Traces: s.reads, Secret: s.Bootstrap.SessionSecret, Keys: s.auth, Prices: s.prices,
		RetentionDays: s.cfg.RetentionDays, ScoreConfigsChanged: s.ingest.ForgetScoreConfigs, Logger: s.log})
	query.New(s.reads, firstOf(query.FromAPIKey(s.auth), pages.CallerOfSession), s.ingest, s.log).Routes(r)
	pages.Routes(r)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		respond.Fail(w, r, s.log, respond.NewProblem(store.ErrNotFound, "", "no such endpoint"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		respond.Fail(w, r, s.log, respond.NewProblem(respond.ErrMethodNotAllowed, "", r.Method+" is not allowed here"))
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
	// An unreachable replica is reported, not failed: ingest, which does
	// not read it, goes on; the reads answer 503 meanwhile.
	if s.replica != nil {
		status["read_replica"] = "ok"
		if err := s.replica.Ping(ctx); err != nil {
			s.log.Warn("readiness: read replica unreachable", "err", err)
			status["read_replica"] = "unreachable"
		}
	}
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(respond.RetryAfterSeconds))
	}
	respond.JSON(w, code, status)
}

// firstOf tries each way of finding a request's project in turn: an API
// key, then a web session.
func firstOf(ways ...query.CallerOf) query.CallerOf {
	return func(r *http.Request) (auth.Caller, error) {
		var err error
		for _, way := range ways {
			var c auth.Caller
			if c, err = way(r); err == nil {
				return c, nil
			}
			if !errors.Is(err, auth.ErrUnauthorized) {
				return auth.Caller{}, err
			}
		}
		return auth.Caller{}, err
	}
}
