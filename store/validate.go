package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what a span may carry. They keep one bad client from filling
// the database with a single span.
const (
	MaxNameLen  = 1024
	MaxTags     = 64
	MaxTagLen   = 200
	MaxFieldLen = 1024 // model, provider, agent name, user and session ids, error type
)

// Normalize puts s in the form every backend stores: times in UTC truncated
// to microseconds (PostgreSQL's precision), ids in lower case, a missing
// status read as ok, tags sorted without duplicates.
func (s *Span) Normalize() {
	s.TraceID = lowerASCII(s.TraceID)
	s.SpanID = lowerASCII(s.SpanID)
	s.ParentSpanID = lowerASCII(s.ParentSpanID)
	s.StartTime = s.StartTime.UTC().Truncate(time.Microsecond)
	s.EndTime = s.EndTime.UTC().Truncate(time.Microsecond)
	if s.Status == "" {
		s.Status = StatusOK
	}
	if s.Type == "" {
		s.Type = SpanCustom
	}
	if len(s.Tags) > 0 {
		s.Tags = slices.Compact(slices.Sorted(slices.Values(s.Tags)))
	}
	s.Input = nullToNil(s.Input)
	s.Output = nullToNil(s.Output)
	s.Attributes = nullToNil(s.Attributes)
	s.Metadata = nullToNil(s.Metadata)
}

// Window bounds the start times ingest accepts, relative to the time a
// span arrives: Back before it, Ahead after it. A zero field means its
// default. The bound keeps one client from scattering spans over years
// (every day of start time is a partition on PostgreSQL).
type Window struct {
	Back, Ahead time.Duration
}

// Defaults for Window.
const (
	DefaultWindowBack  = 400 * 24 * time.Hour
	DefaultWindowAhead = 24 * time.Hour
)

// ValidateAt is Validate plus the check that s starts within w of now:
// what ingest runs on a span that arrives at now.
func (s *Span) ValidateAt(now time.Time, w Window) error {
	if err := s.Validate(); err != nil {
		return err
	}
	back := cmp.Or(w.Back, DefaultWindowBack)
	ahead := cmp.Or(w.Ahead, DefaultWindowAhead)
	if s.StartTime.Before(now.Add(-back)) || s.StartTime.After(now.Add(ahead)) {
		return fmt.Errorf("start_time %s is outside the accepted window (%s back to %s ahead of the collector's clock)",
			s.StartTime.Format(time.RFC3339), back, ahead)
	}
	return nil
}

// Validate reports the first reason s cannot be stored, or nil. Call it
// after Normalize.
func (s *Span) Validate() error {
	switch {
	case !isHex(s.TraceID, 32):
		return errors.New("trace_id must be 32 lowercase hex characters, not all zero")
	case !isHex(s.SpanID, 16):
		return errors.New("span_id must be 16 lowercase hex characters, not all zero")
	case s.ParentSpanID != "" && !isHex(s.ParentSpanID, 16):
		return errors.New("parent_span_id must be empty or 16 lowercase hex characters")
	case s.ParentSpanID == s.SpanID:
		return errors.New("parent_span_id must differ from span_id")
	case s.Name == "" || len(s.Name) > MaxNameLen:
		return fmt.Errorf("name must have 1 to %d bytes", MaxNameLen)
	case !s.Type.Valid():
		return fmt.Errorf("type %q is not one of %v", s.Type, SpanTypes)
	case !s.Status.Valid():
		return fmt.Errorf("status %q must be ok or error", s.Status)
	case s.StartTime.Year() < 2000 || s.StartTime.Year() > 9999:
		return errors.New("start_time is missing or out of range")
	case s.EndTime.Before(s.StartTime):
		return errors.New("end_time is before start_time")
	case len(s.Tags) > MaxTags:
		return fmt.Errorf("at most %d tags", MaxTags)
	}
	for _, t := range s.Tags {
		if t == "" || len(t) > MaxTagLen || strings.IndexByte(t, 0) >= 0 {
			return fmt.Errorf("tags must have 1 to %d bytes", MaxTagLen)
		}
	}
	for name, v := range map[string]string{
		"model": s.Model, "request_model": s.RequestModel, "provider": s.Provider,
		"agent_name": s.AgentName, "user_id": s.UserID, "session_id": s.SessionID,
		"error_type": s.ErrorType,
	} {
		if len(v) > MaxFieldLen || strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("%s must have at most %d bytes and no NUL character", name, MaxFieldLen)
		}
	}
	for name, v := range map[string]string{"name": s.Name, "error_message": s.ErrorMessage, "trace_id": s.TraceID} {
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("%s contains a NUL character", name)
		}
	}
	for name, v := range map[string]json.RawMessage{
		"input": s.Input, "output": s.Output, "attributes": s.Attributes, "metadata": s.Metadata,
	} {
		if v != nil && (!json.Valid(v) || !utf8.Valid(v)) {
			return fmt.Errorf("%s is not valid UTF-8 JSON", name)
		}
		if bytes.Contains(v, []byte(`\u0000`)) && (name == "attributes" || name == "metadata") {
			return fmt.Errorf("%s contains a \\u0000 escape, which cannot be stored", name)
		}
	}
	if u := s.Usage; u != nil {
		if u.InputTokens < 0 || u.OutputTokens < 0 || u.CachedTokens < 0 ||
			u.CacheCreationTokens < 0 || u.ReasoningTokens < 0 || u.TotalTokens < 0 {
			return errors.New("usage counts must not be negative")
		}
	}
	if s.CostUSD != nil && *s.CostUSD < 0 {
		return errors.New("cost_usd must not be negative")
	}
	if s.TimeToFirstTokenMS != nil && *s.TimeToFirstTokenMS < 0 {
		return errors.New("time_to_first_token_ms must not be negative")
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	zero := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '0':
		case '1' <= c && c <= '9', 'a' <= c && c <= 'f':
			zero = false
		default:
			return false
		}
	}
	return !zero
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func nullToNil(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return m
}
