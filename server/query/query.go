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
}

// ProjectOf says which project a request may read: from its API key, or
// from its web session. It returns auth.ErrUnauthorized when neither
// holds.
type ProjectOf func(r *http.Request) (projectID int64, err error)

// Handler serves the query API.
type Handler struct {
	store     Reader
	projectOf ProjectOf
	log       *slog.Logger
	// exportStall bounds how long an export waits for its client to take
	// each write.
	exportStall time.Duration
}

// New returns the query API over st.
func New(st Reader, projectOf ProjectOf, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{store: st, projectOf: projectOf, log: log, exportStall: DefaultExportStall}
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
		})
	})
}

type projectKey struct{}

func (h *Handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := h.projectOf(r)
		if errors.Is(err, auth.ErrUnauthorized) {
			err = respond.NewProblem(auth.ErrUnauthorized, "", "send Authorization: Bearer sk_live_... or sign in")
		}
		if err != nil {
			respond.Fail(w, r, h.log, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), projectKey{}, id)))
	})
}

func projectID(r *http.Request) int64 { return r.Context().Value(projectKey{}).(int64) }

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
func FromAPIKey(a *auth.Authenticator) ProjectOf {
	return func(r *http.Request) (int64, error) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return 0, auth.ErrUnauthorized
		}
		k, err := a.Authenticate(r.Context(), strings.TrimSpace(secret))
		return k.ProjectID, err
	}
}

// serveOpenAPI serves the API description; it needs no credentials.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(api.OpenAPI)
}
