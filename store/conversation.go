package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Conversations are what a traced application's own end users did: the
// traces that carry one session id (a conversation, "a session" in the
// product, not to be confused with a signed-in web UI Session), and the
// traces that carry one user id. Both are read from the traces, grouped
// on the fly; nothing is stored for them.

// SessionSummary sums up one conversation: the traces of the project that
// carry its session id (and match the list's filter).
type SessionSummary struct {
	SessionID string `json:"session_id"`
	// FirstTime is the earliest start of its traces, LastTime the latest
	// end.
	FirstTime  time.Time `json:"first_time"`
	LastTime   time.Time `json:"last_time"`
	TraceCount int64     `json:"trace_count"`
	// UserCount counts the distinct user ids of its traces; UserID is the
	// smallest of them, empty when none carries one.
	UserCount int64  `json:"user_count"`
	UserID    string `json:"user_id,omitempty"`
	// ErrorCount counts its traces that have a failed span.
	ErrorCount int64   `json:"error_count"`
	Usage      Usage   `json:"usage"`
	CostUSD    float64 `json:"cost_usd"`
}

// SessionSummaryList is one page of sessions, most recently active first
// (by LastTime, then session id). NextCursor is empty on the last page.
type SessionSummaryList struct {
	Sessions   []SessionSummary `json:"sessions"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// UserSummary sums up one end user of the traced application: the traces
// that carry their user id. It is not a web UI User.
type UserSummary struct {
	UserID string `json:"user_id"`
	// FirstSeen is the earliest start of their traces, LastSeen the latest
	// end.
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	TraceCount   int64     `json:"trace_count"`
	SessionCount int64     `json:"session_count"`
	ErrorCount   int64     `json:"error_count"`
	// ErrorRate is ErrorCount over TraceCount.
	ErrorRate float64 `json:"error_rate"`
	Usage     Usage   `json:"usage"`
	CostUSD   float64 `json:"cost_usd"`
}

// UserSummaryList is one page of users, most recently seen first (by
// LastSeen, then user id). NextCursor is empty on the last page.
type UserSummaryList struct {
	Users      []UserSummary `json:"users"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// ConversationReader reads sessions and users. A TraceFilter selects the
// traces that are grouped: a session or user is listed when one of its
// traces matches, and its figures count the matching traces only. Traces
// with no session id (no user id) belong to no session (user). Filters
// that fail their Validate, and cursors that are not a SummaryCursor's,
// are refused with an ErrInvalid.
type ConversationReader interface {
	// ListSessionSummaries returns the project's sessions, most recently
	// active first.
	ListSessionSummaries(ctx context.Context, projectID int64, filter TraceFilter, page Page) (SessionSummaryList, error)
	// GetSessionSummary sums up one session over all its traces, or
	// returns ErrNotFound.
	GetSessionSummary(ctx context.Context, projectID int64, sessionID string) (SessionSummary, error)
	// ListSessionTraces returns a session's traces in the order they
	// started (oldest first, then trace id), with the root span's input
	// and output: the conversation's turns. Its cursor is a trace
	// list's.
	ListSessionTraces(ctx context.Context, projectID int64, sessionID string, page Page) (TraceList, error)
	// ListUserSummaries returns the project's users, most recently seen
	// first.
	ListUserSummaries(ctx context.Context, projectID int64, filter TraceFilter, page Page) (UserSummaryList, error)
	// GetUserSummary sums up one user over all their traces, or returns
	// ErrNotFound.
	GetUserSummary(ctx context.Context, projectID int64, userID string) (UserSummary, error)
}

// CheckGroupID refuses a session or user id that no trace can carry, as
// a *ParamError naming param.
func CheckGroupID(param, id string) error {
	if id == "" {
		return &ParamError{param, "must not be empty"}
	}
	return checkParam(param, id, MaxFieldLen)
}

// SummaryCursor marks a position in a list of sessions or users: the last
// time and the id of the last row of a page. The next page holds the rows
// strictly after it in (time, id) descending order.
type SummaryCursor struct {
	Time time.Time
	ID   string
}

// Encode returns the opaque form handed to clients.
func (c SummaryCursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.Time.UnixMicro(), 10) + ":" + c.ID))
}

// DecodeSummaryCursor parses a cursor made by SummaryCursor.Encode. An
// empty string is the zero cursor; anything malformed wraps ErrInvalid.
func DecodeSummaryCursor(s string) (SummaryCursor, error) {
	if s == "" {
		return SummaryCursor{}, nil
	}
	bad := fmt.Errorf("%w: cursor", ErrInvalid)
	if len(s) > 2*MaxFieldLen {
		return SummaryCursor{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return SummaryCursor{}, bad
	}
	us, id, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || id == "" || !utf8.ValidString(id) || checkParam("cursor", id, MaxFieldLen) != nil {
		return SummaryCursor{}, bad
	}
	return SummaryCursor{Time: time.UnixMicro(n).UTC(), ID: id}, nil
}

// BoundedSummary returns p with its limit clamped and its cursor decoded
// as a SummaryCursor.
func (p Page) BoundedSummary() (limit int, c SummaryCursor, err error) {
	c, err = DecodeSummaryCursor(p.Cursor)
	return p.limit(), c, err
}

// ErrorRate is errors over total, 0 when total is 0.
func ErrorRate(errors, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return float64(errors) / float64(total)
}

// ConversationGroup is one row of a backend's grouped read of traces (by
// session id or by user id), before it becomes a session or a user: Key
// is the grouped id, Other the smallest of the other ids (user ids of a
// session, session ids of a user) and Others how many distinct ones.
type ConversationGroup struct {
	Key, Other  string
	First, Last time.Time
	Traces      int64
	Others      int64
	Errors      int64
	Usage       Usage
	CostUSD     float64
}

// Session is the group of a session id.
func (g *ConversationGroup) Session() SessionSummary {
	return SessionSummary{SessionID: g.Key, FirstTime: g.First, LastTime: g.Last, TraceCount: g.Traces,
		UserCount: g.Others, UserID: g.Other, ErrorCount: g.Errors, Usage: g.Usage, CostUSD: g.CostUSD}
}

// User is the group of a user id.
func (g *ConversationGroup) User() UserSummary {
	return UserSummary{UserID: g.Key, FirstSeen: g.First, LastSeen: g.Last, TraceCount: g.Traces,
		SessionCount: g.Others, ErrorCount: g.Errors, ErrorRate: ErrorRate(g.Errors, g.Traces),
		Usage: g.Usage, CostUSD: g.CostUSD}
}

// GroupPage trims groups, read with one row more than limit, to a page
// and returns the cursor of the next page (empty on the last).
func GroupPage(groups []ConversationGroup, limit int) ([]ConversationGroup, string) {
	if len(groups) <= limit {
		return groups, ""
	}
	groups = groups[:limit]
	last := groups[limit-1]
	return groups, SummaryCursor{Time: last.Last, ID: last.Key}.Encode()
}

// SessionList is the page of sessions groups make.
func SessionList(groups []ConversationGroup, next string) SessionSummaryList {
	list := SessionSummaryList{Sessions: make([]SessionSummary, len(groups)), NextCursor: next}
	for i := range groups {
		list.Sessions[i] = groups[i].Session()
	}
	return list
}

// UserList is the page of users groups make.
func UserList(groups []ConversationGroup, next string) UserSummaryList {
	list := UserSummaryList{Users: make([]UserSummary, len(groups)), NextCursor: next}
	for i := range groups {
		list.Users[i] = groups[i].User()
	}
	return list
}
