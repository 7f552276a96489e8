package store

import (
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

// Bounds on a span's numbers. Without them two spans can sum to +Inf or
// wrap a trace's token count negative.
const (
	// MaxTokenCount bounds each token count of a span (the total, their
	// sum, twice that). The largest context
	// windows hold a few million tokens, so 1e12 is four orders of
	// magnitude beyond any real call; it keeps every count exact in a
	// float64 (a browser's numbers), and nine million such spans still sum
	// within an int64 before saturating.
	MaxTokenCount = 1_000_000_000_000
	// MaxCostUSD bounds cost_usd: a million dollars for one call is no
	// price list's, and sums of such costs stay far from overflowing.
	MaxCostUSD = 1_000_000
	// MaxTimeToFirstTokenMS bounds time_to_first_token_ms: a day.
	MaxTimeToFirstTokenMS = 24 * 60 * 60 * 1000
)

// Normalize puts s in the form every backend stores: times in UTC truncated
// to microseconds (PostgreSQL's precision), ids in lower case, a missing
// status read as ok, tags sorted without duplicates, a JSON null read as
// no value, and TotalTokens = InputTokens + OutputTokens (saturating)
// whenever that sum is positive; a total sent without its parts is kept.
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
	if len(s.Tags) > 0 && !isSortedSet(s.Tags) {
		s.Tags = slices.Compact(slices.Sorted(slices.Values(s.Tags))) // a new slice: the caller's stays
	}
	if u := s.Usage; u != nil {
		if sum := SaturatingAdd(u.InputTokens, u.OutputTokens); sum > 0 && sum != u.TotalTokens {
			v := *u // the caller's Usage is not ours to change
			v.TotalTokens = sum
			s.Usage = &v
		}
	}
	s.Input = nullToNil(s.Input)
	s.Output = nullToNil(s.Output)
	s.RawInput = nullToNil(s.RawInput)
	s.RawOutput = nullToNil(s.RawOutput)
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

// How much wider than ingest's window a store's own guard is (ForWrites):
// a backlog queued at ingest and written a few days later must not be
// refused, while the partitions a writer may create stay bounded.
const (
	WriteSlackBack  = 7 * 24 * time.Hour
	WriteSlackAhead = 24 * time.Hour
)

// ForWrites returns the window a store refuses writes outside of: w with
// its defaults filled and widened by WriteSlackBack and WriteSlackAhead.
func (w Window) ForWrites() Window {
	return Window{
		Back:  cmp.Or(w.Back, DefaultWindowBack) + WriteSlackBack,
		Ahead: cmp.Or(w.Ahead, DefaultWindowAhead) + WriteSlackAhead,
	}
}

// Check reports whether start lies within w of now.
func (w Window) Check(now, start time.Time) error {
	back := cmp.Or(w.Back, DefaultWindowBack)
	ahead := cmp.Or(w.Ahead, DefaultWindowAhead)
	if start.Before(now.Add(-back)) || start.After(now.Add(ahead)) {
		return fmt.Errorf("start_time %s is outside the accepted window (%s back to %s ahead of the collector's clock)",
			start.Format(time.RFC3339), back, ahead)
	}
	return nil
}

// ValidateAt is Validate plus the check that s starts within w of now:
// what ingest runs on a span that arrives at now.
func (s *Span) ValidateAt(now time.Time, w Window) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return w.Check(now, s.StartTime)
}

// Validate reports the first reason s cannot be stored, or nil: every
// check any backend would make, so that a span it accepts can be written
// to every store. Call it after Normalize. It allocates nothing for a
// valid span.
func (s *Span) Validate() error {
	if err := s.checkFields(); err != nil {
		return err
	}
	for _, f := range [...]struct{ name, v string }{{"name", s.Name}, {"error_message", s.ErrorMessage}} {
		if !cleanText(f.v) {
			return fmt.Errorf("%s must be UTF-8 with no NUL character", f.name)
		}
	}
	for _, f := range [...]struct {
		name string
		v    json.RawMessage
		kind JSONKind
	}{
		{"input", s.Input, JSONText}, {"output", s.Output, JSONText},
		{"raw_input", s.RawInput, JSONText}, {"raw_output", s.RawOutput, JSONText},
		{"attributes", s.Attributes, JSONB}, {"metadata", s.Metadata, JSONB},
	} {
		if f.v == nil {
			continue
		}
		if err := CheckJSON(f.v, f.kind); err != nil {
			return fmt.Errorf("%s %w", f.name, err)
		}
	}
	return s.checkNumbers()
}

// CheckValidated is the part of Validate worth repeating on a span that
// passed Validate before and comes back from where it was kept (the
// writer's spans, which ingest validated): the checks that take the same
// time whatever the span's size. It leaves out those that read its text
// and JSON payloads (name, error message, input, output, raw payloads,
// attributes, metadata), which are nearly all of Validate's time, and
// keeps those of its ids, type, status, times, short fields, tags and
// numbers. A span that fails it is refused; one that passes it is not
// proved storable.
func (s *Span) CheckValidated() error {
	if err := s.checkFields(); err != nil {
		return err
	}
	return s.checkNumbers()
}

// checkFields checks the ids, name length, type, status, times, tags and
// short text fields.
func (s *Span) checkFields() error {
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
		if t == "" || len(t) > MaxTagLen || !cleanText(t) {
			return fmt.Errorf("tags must have 1 to %d bytes of UTF-8 and no NUL character", MaxTagLen)
		}
	}
	for _, f := range [...]struct{ name, v string }{
		{"model", s.Model}, {"request_model", s.RequestModel}, {"provider", s.Provider},
		{"agent_name", s.AgentName}, {"user_id", s.UserID}, {"session_id", s.SessionID},
		{"error_type", s.ErrorType},
	} {
		if len(f.v) > MaxFieldLen || !cleanText(f.v) {
			return fmt.Errorf("%s must have at most %d bytes of UTF-8 and no NUL character", f.name, MaxFieldLen)
		}
	}
	return nil
}

// checkNumbers checks the token counts, the cost and the time to first
// token.
func (s *Span) checkNumbers() error {
	if u := s.Usage; u != nil {
		for _, n := range [...]int64{u.InputTokens, u.OutputTokens, u.CachedTokens, u.CacheCreationTokens, u.ReasoningTokens} {
			if n < 0 || n > MaxTokenCount {
				return fmt.Errorf("usage counts must be between 0 and %d", int64(MaxTokenCount))
			}
		}
		if u.TotalTokens < 0 || u.TotalTokens > 2*MaxTokenCount {
			return fmt.Errorf("total_tokens must be between 0 and %d", int64(2*MaxTokenCount))
		}
	}
	if s.CostUSD != nil && !inRange(*s.CostUSD, MaxCostUSD) {
		return fmt.Errorf("cost_usd must be a number between 0 and %d", MaxCostUSD)
	}
	if s.TimeToFirstTokenMS != nil && !inRange(*s.TimeToFirstTokenMS, MaxTimeToFirstTokenMS) {
		return fmt.Errorf("time_to_first_token_ms must be a number between 0 and %d", MaxTimeToFirstTokenMS)
	}
	return nil
}

// inRange reports whether v is a finite number in [0, max]; NaN fails
// every comparison and so fails here.
func inRange(v, max float64) bool { return v >= 0 && v <= max }

// cleanText reports whether s is valid UTF-8 without NUL: what
// PostgreSQL's text holds.
func cleanText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	var seen uint8
	for i := 0; i < len(s); i++ {
		d := hexDigit[s[i]]
		if d == 0 {
			return false
		}
		seen |= d
	}
	return seen&hexNonZero != 0
}

// hexDigit classes the bytes of an id: 0 for none of 0-9 and a-f,
// hexZero for '0', hexNonZero for the others.
var hexDigit = func() (t [256]uint8) {
	for _, c := range "123456789abcdef" {
		t[c] = hexNonZero
	}
	t['0'] = hexZero
	return t
}()

const (
	hexZero uint8 = 1 << iota
	hexNonZero
)

// isSortedSet reports whether ss is sorted without repeats, as Normalize
// leaves tags.
func isSortedSet(ss []string) bool {
	for i := 1; i < len(ss); i++ {
		if ss[i-1] >= ss[i] {
			return false
		}
	}
	return true
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
