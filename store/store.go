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
// Implementations are safe for concurrent use. Every method's error wraps
// ErrNotFound, ErrConflict, ErrInvalid or ErrUnavailable when it is one of
// those, whatever the backend.
type Store interface {
	SpanWriter
	TraceReader
	ProjectStore
	APIKeyStore
	UserStore
	MemberStore
	SessionStore
	RetentionStore
	ScoreStore

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error
}

// SpanWriter writes spans. WriteSpans is idempotent: a span already stored
// (same project, trace id and span id, whatever its start time or parent)
// is left as it is, and the trace summaries count each span once whatever
// the order or repetition of the batches. The whole batch commits or none
// of it does. It refuses, with ErrInvalid, a batch holding a span that
// fails Span.Validate or starts outside the store's write window
// (Window.ForWrites of the backend's configured window).
type SpanWriter interface {
	WriteSpans(ctx context.Context, projectID int64, spans []Span) error
	// WriteValidatedSpans is WriteSpans for spans that passed Validate
	// after Normalize already, as ingest checks every span it queues: it
	// repeats only Span.CheckValidated and the write window, not the
	// checks that read the spans' text and JSON. A span that would fail
	// those may be refused by the database (an error other than
	// ErrInvalid) or stored; callers that did not validate the spans
	// themselves use WriteSpans.
	WriteValidatedSpans(ctx context.Context, projectID int64, spans []Span) error
}

// TraceReader reads traces and usage, and the sessions and users they
// make. Filters that fail their Validate are refused with a *ParamError
// (an ErrInvalid).
type TraceReader interface {
	ConversationReader
	// ListTraces returns traces newest first (by start time, then trace
	// id), without their input and output.
	ListTraces(ctx context.Context, projectID int64, filter TraceFilter, page Page) (TraceList, error)
	// GetTrace returns a trace with its whole spans, or ErrNotFound.
	GetTrace(ctx context.Context, projectID int64, traceID string) (TraceDetail, error)
	// GetTraceTree returns a trace and its spans as a page draws its tree
	// (each span as Span.Tree gives it): at most TreeLimit(limit) of them,
	// the first in SortSpans order. ErrNotFound when there is no such
	// trace.
	GetTraceTree(ctx context.Context, projectID int64, traceID string, limit int) (TraceTree, error)
	// GetSpan returns one whole span, or ErrNotFound.
	GetSpan(ctx context.Context, projectID int64, traceID, spanID string) (Span, error)
	// SearchSpans returns spans across traces, newest first (by start
	// time, then trace id, then span id), without their payloads.
	SearchSpans(ctx context.Context, projectID int64, filter SpanFilter, page Page) (SpanList, error)
	// UsageMetrics aggregates LLM and embedding spans. Sums saturate at
	// math.MaxInt64.
	UsageMetrics(ctx context.Context, projectID int64, q UsageQuery) ([]UsageRow, error)
	// ReadSpanBatch reads the next whole spans of a list of traces, for
	// ExportSpans: at most the batch's limit, stopping after the span
	// that brings their ExportedBytes to its byte bound; more says
	// whether any span follows the last one returned.
	ReadSpanBatch(ctx context.Context, projectID int64, batch SpanBatch) (spans []Span, more bool, err error)
}

// ProjectStore keeps projects.
type ProjectStore interface {
	// CreateProject returns ErrConflict when the name is taken.
	CreateProject(ctx context.Context, name string) (Project, error)
	GetProject(ctx context.Context, id int64) (Project, error)
	GetProjectByName(ctx context.Context, name string) (Project, error)
	// ListProjects returns every project, by id, whoever may see it.
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
	// UpdateUser changes the email, password hash, InstanceAdmin and
	// Disabled of u.ID. Disabling a user revokes their sessions in the same
	// transaction.
	UpdateUser(ctx context.Context, u User) (User, error)
	// DeleteUser removes a user with their memberships and sessions;
	// ErrNotFound when there is no such user.
	DeleteUser(ctx context.Context, id int64) error
}

// MemberStore keeps who belongs to which project, and as what.
type MemberStore interface {
	// AddMember gives the user role in the project, replacing the role
	// they had: ErrInvalid for an unknown role, ErrNotFound when the user
	// or the project does not exist.
	AddMember(ctx context.Context, projectID, userID int64, role Role) error
	// RemoveMember ends a membership; ErrNotFound when there was none.
	RemoveMember(ctx context.Context, projectID, userID int64) error
	// ListMembers returns a project's members, by email.
	ListMembers(ctx context.Context, projectID int64) ([]Member, error)
	// ListUserProjects returns the projects the user may open, by project
	// id, with their role in each: every project, as admin, for an
	// instance admin; none for a disabled or unknown user.
	ListUserProjects(ctx context.Context, userID int64) ([]ProjectRole, error)
	// GetMembership returns the user's role in the project: RoleAdmin for
	// an instance admin in any project that exists, and ErrNotFound when
	// the user is not a member, is disabled, or either does not exist.
	GetMembership(ctx context.Context, userID, projectID int64) (Role, error)
}

// SessionStore keeps server-side web sessions, by the hash of their id.
type SessionStore interface {
	// CreateSession stores s (IDHash, UserID and ExpiresAt set): ErrInvalid
	// when IDHash is not SessionIDHashLen bytes, ErrNotFound when the user
	// does not exist or is disabled, ErrConflict when the hash is taken.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session with idHash, or ErrNotFound when it
	// is missing, revoked, expired, or its user is disabled.
	GetSession(ctx context.Context, idHash []byte) (Session, error)
	// RevokeSession ends one session (sign-out); ending one that does not
	// exist is not an error.
	RevokeSession(ctx context.Context, idHash []byte) error
	// RevokeUserSessions ends every session of the user.
	RevokeUserSessions(ctx context.Context, userID int64) error
	// DeleteExpiredSessions removes the sessions that expired before now
	// and returns how many went.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}
