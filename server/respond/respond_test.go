package respond_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/store"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err        error
		status     int
		code       string
		message    string // a part of the message the client sees
		retryAfter bool
	}{
		{auth.ErrUnauthorized, 401, "unauthorized", "credentials", false},
		{fmt.Errorf("get trace: %w", store.ErrNotFound), 404, "not_found", "not found", false},
		{fmt.Errorf("%w: project name", store.ErrConflict), 409, "conflict", "already exists", false},
		{fmt.Errorf("%w: q must have at most 50000 bytes", store.ErrInvalid), 400, "invalid_parameter", "q must have", false},
		{fmt.Errorf("%w: cursor", store.ErrInvalid), 400, "invalid_parameter", "cursor", false},
		{fmt.Errorf("list traces: %w: dial tcp 10.0.0.1:5432", store.ErrUnavailable), 503, "unavailable", "database", true},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), 503, "unavailable", "too long", true},
		{context.Canceled, 503, "unavailable", "cancelled", true},
		{respond.NewProblem(respond.ErrTooLarge, "body_too_large", "the body exceeds 10 bytes"), 413, "body_too_large", "exceeds 10", false},
		{respond.NewProblem(respond.ErrRateLimited, "", "slow down"), 429, "rate_limited", "slow down", true},
		{respond.NewProblem(respond.ErrUnsupportedMediaType, "", "send application/x-protobuf"), 415, "unsupported_media_type", "x-protobuf", false},
		{respond.NewProblem(respond.ErrOverloaded, "", ""), 503, "overloaded", "busy", true},
		{fmt.Errorf("publish: %w", respond.NewProblem(respond.ErrUnavailable, "", "the span queue is down")), 503, "unavailable", "span queue", true},
		{fmt.Errorf("%w: gzip: invalid header", respond.ErrBadRequest), 400, "bad_request", "gzip", false},
		{errors.New("pq: relation spans does not exist"), 500, "internal", "internal error", false},
	} {
		d := respond.Describe(tc.err)
		if d.Status != tc.status || d.Code != tc.code || !strings.Contains(d.Message, tc.message) || (d.RetryAfter > 0) != tc.retryAfter {
			t.Errorf("Describe(%v) = %+v; want %d %s containing %q, Retry-After %v", tc.err, d, tc.status, tc.code, tc.message, tc.retryAfter)
		}
	}
}

// TestFail checks what reaches the client: a 500 never carries the
// cause, which goes to the log; 503 carries Retry-After.
func TestFail(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	r := httptest.NewRequest("GET", "/api/v1/traces", nil)

	w := httptest.NewRecorder()
	respond.Fail(w, r, log, errors.New("secret detail: password=hunter2"))
	if w.Code != 500 || strings.Contains(w.Body.String(), "hunter2") || !strings.Contains(w.Body.String(), `"internal error"`) {
		t.Errorf("500: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "hunter2") {
		t.Errorf("the cause of a 500 was not logged: %s", logs.String())
	}

	w = httptest.NewRecorder()
	respond.Fail(w, r, log, fmt.Errorf("%w: connection refused", store.ErrUnavailable))
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || strings.Contains(w.Body.String(), "refused") {
		t.Errorf("503: %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}

	w = httptest.NewRecorder()
	respond.Fail(w, r, log, auth.ErrUnauthorized)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("401: %d WWW-Authenticate %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

// TestJSONEncodesFirst: a value that cannot be encoded is a 500 with a
// JSON error, never the status the caller meant with an empty body.
func TestJSONEncodesFirst(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	respond.JSON(w, http.StatusOK, map[string]float64{"cost_usd": math.Inf(1)})
	var body respond.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 500 || body.Error.Code != "internal" {
		t.Errorf("+Inf: status %d body %q (%v); want 500 with a JSON error", w.Code, w.Body, err)
	}

	w = httptest.NewRecorder()
	respond.JSON(w, http.StatusAccepted, map[string]int{"accepted": 3})
	if w.Code != 202 || strings.TrimSpace(w.Body.String()) != `{"accepted":3}` || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("good value: %d %q %q", w.Code, w.Body, w.Header().Get("Content-Type"))
	}
}
