package store

import (
	"fmt"
	"unicode/utf8"
)

// MaxQueryLen bounds a text query (the q= parameter) in bytes. A person
// types a few words; 1,000 bytes is several sentences, and it bounds the
// work of a substring search over MaxTraceSearchRunes of text.
const MaxQueryLen = 1000

// ParamError is an ErrInvalid that names the filter parameter at fault,
// by its name in the query API (q, agent_name, ...), so that the answer
// can name it too.
type ParamError struct {
	Param  string
	Reason string
}

func (e *ParamError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Param, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *ParamError) Unwrap() error { return ErrInvalid }

// checkParam refuses a filter string no stored value could equal and that
// a database might choke on: invalid UTF-8, a NUL, or more than max bytes.
func checkParam(name, v string, max int) error {
	switch {
	case len(v) > max:
		return &ParamError{name, fmt.Sprintf("longer than %d bytes", max)}
	case !utf8.ValidString(v):
		return &ParamError{name, "not valid UTF-8"}
	}
	for i := 0; i < len(v); i++ {
		if v[i] == 0 {
			return &ParamError{name, "contains a NUL character"}
		}
	}
	return nil
}

// Validate reports the first parameter of f that no backend accepts, as a
// *ParamError. Every backend's ListTraces calls it, so both refuse the
// same filters the same way.
func (f TraceFilter) Validate() error {
	for _, p := range [...]struct {
		name, v string
		max     int
	}{
		{"q", f.Query, MaxQueryLen},
		{"agent_name", f.AgentName, MaxFieldLen},
		{"tag", f.Tag, MaxTagLen},
		{"model", f.Model, MaxFieldLen},
		{"user_id", f.UserID, MaxFieldLen},
		{"session_id", f.SessionID, MaxFieldLen},
	} {
		if err := checkParam(p.name, p.v, p.max); err != nil {
			return err
		}
	}
	if f.Status != "" && !f.Status.Valid() {
		return &ParamError{"status", "want ok or error"}
	}
	if f.MinDuration < 0 {
		return &ParamError{"min_duration_ms", "must not be negative"}
	}
	return f.Score.validate()
}

// Validate reports the first parameter of f that no backend accepts, as a
// *ParamError.
func (f SpanFilter) Validate() error {
	if err := checkParam("q", f.Query, MaxQueryLen); err != nil {
		return err
	}
	if err := checkParam("model", f.Model, MaxFieldLen); err != nil {
		return err
	}
	if f.Type != "" && !f.Type.Valid() {
		return &ParamError{"type", "not a span type"}
	}
	if f.Status != "" && !f.Status.Valid() {
		return &ParamError{"status", "want ok or error"}
	}
	return nil
}

// Validate reports the first parameter of q that no backend accepts, as a
// *ParamError.
func (q UsageQuery) Validate() error {
	if !q.GroupBy.Valid() {
		return &ParamError{"group_by", fmt.Sprintf("%q is not model, agent_name, hour or day", q.GroupBy)}
	}
	return checkParam("model", q.Model, MaxFieldLen)
}
