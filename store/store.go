// Package store holds Tracium's domain types and the Store interface that
// ingest, the query API and the UI use. Backends live in subpackages:
// store/postgres for deployments, store/sqlite for the zero-config binary.
// Both pass the conformance suite in store/storetest.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors every backend maps its own failures to.
var (
	// ErrNotFound: the thing does not exist in this project.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique name or key is taken.
	ErrConflict = errors.New("already exists")
	// ErrInvalid: the arguments cannot be stored (a bad cursor, an unknown
	// grouping, a malformed span). Retrying the same call cannot help.
	ErrInvalid = errors.New("invalid")
	// ErrUnavailable: the database cannot be reached or is shutting down.
	// The same call may succeed later.
	ErrUnavailable = errors.New("store unavailable")
)

// Store is everything Tracium keeps. Every method that touches trace data
// takes the project id and never reads or changes another project's rows.
// Implementations are safe for concurrent use.
type Store interface {
	SpanWriter
	TraceReader
	ProjectStore
	APIKeyStore
	UserStore

	// DeleteTracesBefore removes the project's traces that started before
	// cutoff, with all their spans, and returns how many traces went.
	DeleteTracesBefore(ctx context.Context, projectID int64, cutoff time.Time) (int64, error)
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error
}

// SpanWriter writes spans. WriteSpans is idempotent: a span already stored
// (same project, trace id and span id) is left as it is, and the trace
// summaries count each span once whatever the order or repetition of the
// batches. The whole batch commits or none of it does.
type SpanWriter interface {
	WriteSpans(ctx context.Context, projectID int64, spans []Span) error
}

// TraceReader reads traces and usage.
type TraceReader interface {
	// ListTraces returns traces newest first (by start time, then trace id).
	ListTraces(ctx context.Context, projectID int64, filter TraceFilter, page Page) (TraceList, error)
	// GetTrace returns a trace with its spans, or ErrNotFound.
	GetTrace(ctx context.Context, projectID int64, traceID string) (TraceDetail, error)
	// SearchSpans returns spans across traces, newest first (by start
	// time, then trace id, then span id).
	SearchSpans(ctx context.Context, projectID int64, filter SpanFilter, page Page) (SpanList, error)
	// UsageMetrics aggregates LLM and embedding spans.
	UsageMetrics(ctx context.Context, projectID int64, q UsageQuery) ([]UsageRow, error)
}

// ProjectStore keeps projects.
type ProjectStore interface {
	// CreateProject returns ErrConflict when the name is taken.
	CreateProject(ctx context.Context, name string) (Project, error)
	GetProject(ctx context.Context, id int64) (Project, error)
	GetProjectByName(ctx context.Context, name string) (Project, error)
	ListProjects(ctx context.Context) ([]Project, error)
	RenameProject(ctx context.Context, id int64, name string) (Project, error)
}

// APIKeyStore keeps API keys. Only hashes are stored.
type APIKeyStore interface {
	// CreateAPIKey stores k (ProjectID, Name, Prefix and Hash set) and
	// returns it with its ID and CreatedAt.
	CreateAPIKey(ctx context.Context, k APIKey) (APIKey, error)
	// APIKeyByHash finds a key, revoked or not, by the SHA-256 of its
	// secret. It is the one lookup not scoped by project: it is how a
	// request's project is found.
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	ListAPIKeys(ctx context.Context, projectID int64) ([]APIKey, error)
	TouchAPIKey(ctx context.Context, projectID, keyID int64, at time.Time) error
	RevokeAPIKey(ctx context.Context, projectID, keyID int64, at time.Time) error
}

// UserStore keeps web UI users. Emails are unique and compared
// case-insensitively.
type UserStore interface {
	CreateUser(ctx context.Context, u User) (User, error)
	GetUser(ctx context.Context, id int64) (User, error)
	GetUserByEmail(ctx context.Context, email string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser changes the email, password hash and role of u.ID.
	UpdateUser(ctx context.Context, u User) (User, error)
}
