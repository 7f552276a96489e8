// Package query is the read API: traces, spans and usage metrics of one
// project, as JSON under /api/v1. Every request is scoped to the project
// its credentials belong to; another project's trace is simply not found.
package query

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/api"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/store"
)

// Reader is what the API reads from the store.
type Reader interface {
	ListTraces(ctx context.Context, projectID int64, f store.TraceFilter, p store.Page) (store.TraceList, error)
	GetTrace(ctx context.Context, projectID int64, traceID string) (store.TraceDetail, error)
	SearchSpans(ctx context.Context, projectID int64, f store.SpanFilter, p store.Page) (store.SpanList, error)
	UsageMetrics(ctx context.Context, projectID int64, q store.UsageQuery) ([]store.UsageRow, error)
	store.ConversationReader
	ReadSpanBatch(ctx context.Context, projectID int64, batch store.SpanBatch) ([]store.Span, bool, error)
	ListScores(ctx context.Context, projectID int64, f store.ScoreFilter, p store.Page) (store.ScoreList, error)
	ScoreMetrics(ctx context.Context, projectID int64, q store.ScoreQuery) ([]store.ScoreRow, error)
}

// CallerOf says who makes a request and which project it may read: from
// its API key, or from its web session. It returns auth.ErrUnauthorized
// when neither holds.
type CallerOf func(r *http.Request) (auth.Caller, error)

// ScorePoster takes the scores of POST /api/v1/scores (server/ingest).
type ScorePoster interface {
	PostScores(w http.ResponseWriter, r *http.Request, c auth.Caller)
}

// Handler serves the query API.
type Handler struct {
	store    Reader
	callerOf CallerOf
	scores   ScorePoster
	log      *slog.Logger
	// exportStall bounds how long an export waits for its client to take
	// each write.
	exportStall time.Duration
}

// New returns the query API over st; scores, when not nil, takes the
// scores posted to it.
func New(st Reader, callerOf CallerOf, scores ScorePoster, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{store: st, callerOf: callerOf, scores: scores, log: log, exportStall: DefaultExportStall}
}

// WithExportStall sets how long an export waits for a client that stops
// reading before it drops the connection (DefaultExportStall).
func (h *Handler) WithExportStall(d time.Duration) *Handler {
	h.exportStall = d
	return h
}

// Routes mounts the API on r.
func (h *Handler) Routes(r chi.Router) {
	r.Route("/api/v1", func(r chi.Router) {
		r.Get("/openapi.json", serveOpenAPI)
		r.Group(func(r chi.Router) {
			r.Use(h.authenticate)
			r.Get("/traces", h.listTraces)
			r.Get("/traces/{traceID}", h.getTrace)
			r.Get("/spans", h.searchSpans)
			r.Get("/metrics/usage", h.usage)
			r.Get("/sessions", h.listSessions)
			r.Get("/sessions/{sessionID}", h.getSession)
			r.Get("/users", h.listUsers)
			r.Get("/users/{userID}", h.getUser)
			r.Get("/export/traces", h.exportTraces)
			r.Get("/export/traces/{traceID}", h.exportTrace)
			r.Get("/scores", h.listScores)
			r.Get("/metrics/scores", h.scoreMetrics)
			if h.scores != nil {
				r.Post("/scores", func(w http.ResponseWriter, r *http.Request) { h.scores.PostScores(w, r, callerOf(r)) })
			}
		})
	})
}

type callerKey struct{}

func (h *Handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := h.callerOf(r)
		if errors.Is(err, auth.ErrUnauthorized) {
			err = respond.NewProblem(auth.ErrUnauthorized, "", "send Authorization: Bearer sk_live_... or sign in")
		}
		if err != nil {
			respond.Fail(w, r, h.log, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

func callerOf(r *http.Request) auth.Caller { return r.Context().Value(callerKey{}).(auth.Caller) }

func projectID(r *http.Request) int64 { return callerOf(r).ProjectID }

// fail answers err through the one error map; a missing trace says which
// thing was missing.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.failMissing(w, r, err, "no such trace in this project")
}

// failMissing is fail with what a not-found says.
func (h *Handler) failMissing(w http.ResponseWriter, r *http.Request, err error, missing string) {
	if errors.Is(err, store.ErrNotFound) {
		err = respond.NewProblem(store.ErrNotFound, "", missing)
	}
	respond.Fail(w, r, h.log, err)
}

// FromAPIKey resolves a request's Bearer key to its project.
func FromAPIKey(a *auth.Authenticator) CallerOf {
	return func(r *http.Request) (auth.Caller, error) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return auth.Caller{}, auth.ErrUnauthorized
		}
		k, err := a.Authenticate(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			return auth.Caller{}, err
		}
		return auth.FromKey(k), nil
	}
}

// serveOpenAPI serves the API description; it needs no credentials.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(api.OpenAPI)
}
