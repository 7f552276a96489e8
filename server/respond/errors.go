package respond

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store"
)

// Kinds of failure that belong to no lower package: the HTTP layer's own.
// The store's sentinels (store.ErrNotFound, ...) and auth.ErrUnauthorized
// are kinds too; see the kinds table.
var (
	// ErrBadRequest: the request cannot be read (bad encoding, malformed
	// JSON).
	ErrBadRequest = errors.New("bad request")
	// ErrTooLarge: the request is over a size limit.
	ErrTooLarge = errors.New("too large")
	// ErrRateLimited: the credentials sent more than their rate.
	ErrRateLimited = errors.New("rate limited")
	// ErrOverloaded: the collector is at its limit of concurrent work;
	// nothing was done and the same request may succeed shortly.
	ErrOverloaded = errors.New("overloaded")
	// ErrUnavailable: a dependency other than the store (the span queue)
	// cannot take the request now; nothing was done.
	ErrUnavailable = errors.New("unavailable")
	// ErrRequestTimeout: the request did not arrive within its deadline.
	ErrRequestTimeout = errors.New("request timeout")
	// ErrMethodNotAllowed: the path exists, the method does not.
	ErrMethodNotAllowed = errors.New("method not allowed")
	// ErrForbidden: the credentials are good but may not do this (a
	// viewer writing, a session request without its CSRF token).
	ErrForbidden = errors.New("forbidden")
	// ErrUnsupportedMediaType: the body's Content-Type is not one the
	// endpoint reads.
	ErrUnsupportedMediaType = errors.New("unsupported media type")
)

// kind is what one kind of error answers. A public kind's own message
// (the error's text) is for the client; any other's is logged and the
// client gets message.
type kind struct {
	err     error
	status  int
	code    string
	message string
	public  bool
}

// kinds is the one map from error kind to HTTP status and code. The first
// match wins, so a Problem's Kind is found before anything it wraps.
var kinds = []kind{
	{auth.ErrUnauthorized, http.StatusUnauthorized, "unauthorized", "missing, invalid or revoked credentials", false},
	{ErrForbidden, http.StatusForbidden, "forbidden", "not allowed with these credentials", true},
	{store.ErrNotFound, http.StatusNotFound, "not_found", "not found", false},
	{store.ErrConflict, http.StatusConflict, "conflict", "already exists", false},
	{store.ErrInvalid, http.StatusBadRequest, "invalid_parameter", "invalid parameter", true},
	{ErrBadRequest, http.StatusBadRequest, "bad_request", "bad request", true},
	{ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large", "request too large", true},
	{ErrRequestTimeout, http.StatusRequestTimeout, "request_timeout", "the request did not arrive in time", true},
	{ErrMethodNotAllowed, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed", true},
	{ErrUnsupportedMediaType, http.StatusUnsupportedMediaType, "unsupported_media_type", "unsupported Content-Type", true},
	{ErrRateLimited, http.StatusTooManyRequests, "rate_limited", "too many requests; retry after the Retry-After delay", true},
	{ErrOverloaded, http.StatusServiceUnavailable, "overloaded", "the collector is busy; nothing was done, retry after the Retry-After delay", true},
	{ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "a dependency is unavailable; nothing was done, retry later", false},
	{store.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "the database is unavailable; retry later", false},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "unavailable", "the request took too long; retry later", false},
	{context.Canceled, http.StatusServiceUnavailable, "unavailable", "the request was cancelled", false},
}

const (
	codeInternal    = "internal"
	messageInternal = "internal error"
	// RetryAfterSeconds is what 429 and 503 answers ask clients to wait
	// unless a Problem says otherwise.
	RetryAfterSeconds = 2
)

// Problem is an error that says what the client is told: a code more
// specific than its kind's ("body_too_large" under ErrTooLarge) and a
// message. Its Kind decides the status.
type Problem struct {
	Kind    error
	Code    string // empty: the kind's code
	Message string
	// RetryAfter, in seconds, overrides RetryAfterSeconds on 429 and 503.
	RetryAfter int
}

// NewProblem returns a Problem of kind with code and message.
func NewProblem(kind error, code, message string) *Problem {
	return &Problem{Kind: kind, Code: code, Message: message}
}

func (p *Problem) Error() string { return p.Message }
func (p *Problem) Unwrap() error { return p.Kind }

// Detail is how an error is answered.
type Detail struct {
	Status     int
	Code       string
	Message    string
	RetryAfter int  // seconds; set on 429 and 503
	Internal   bool // no kind matched: a 500 whose cause is only logged
}

// Describe maps err to its answer through the kinds table. The web UI
// uses it to choose its error page's status.
func Describe(err error) Detail {
	var p *Problem
	errors.As(err, &p)
	for _, k := range kinds {
		if !errors.Is(err, k.err) {
			continue
		}
		d := Detail{Status: k.status, Code: k.code, Message: k.message}
		switch {
		case p != nil:
			d.Code, d.Message = cmp.Or(p.Code, k.code), cmp.Or(p.Message, k.message)
		case k.public:
			d.Message = publicMessage(err, k.err)
		}
		if d.Status == http.StatusServiceUnavailable || d.Status == http.StatusTooManyRequests {
			d.RetryAfter = RetryAfterSeconds
			if p != nil && p.RetryAfter > 0 {
				d.RetryAfter = p.RetryAfter
			}
		}
		return d
	}
	return Detail{Status: http.StatusInternalServerError, Code: codeInternal, Message: messageInternal, Internal: true}
}

// Fail answers err: the status and code from its kind, Retry-After on 429
// and 503, WWW-Authenticate on 401. A 500 tells the client only "internal
// error" and logs the detail; a 503 logs its cause as a warning.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	d := FailHeaders(w, r, log, err)
	Error(w, d.Status, d.Code, d.Message)
}

// FailHeaders is Fail without the body, for an endpoint whose protocol
// gives errors another shape (OTLP's google.rpc.Status): it logs err and
// sets the headers as Fail does, and returns what the body must say.
func FailHeaders(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) Detail {
	d := Describe(err)
	switch {
	case d.Internal:
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	case d.Status == http.StatusServiceUnavailable:
		log.Warn("unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	h := w.Header()
	if d.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(d.RetryAfter))
	}
	if d.Status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", `Bearer realm="tracium"`)
	}
	return d
}

// publicMessage is err's text without the kind's own prefix
// ("invalid: cursor" says "cursor").
func publicMessage(err, kind error) string {
	msg := err.Error()
	if m, ok := strings.CutPrefix(msg, kind.Error()+": "); ok {
		return m
	}
	return msg
}
