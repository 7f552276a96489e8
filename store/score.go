package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// A score says how good a trace, or one span of it, was: a person's
// feedback from the UI, a check run by code through the SDK or the REST
// API, an evaluator's verdict. It belongs to a project and a trace, and
// optionally to one span; it may arrive before its trace does and is shown
// once the trace is there.

// ScoreType is the kind of a score's value.
type ScoreType string

// The kinds of value a score may hold.
const (
	// ScoreNumeric is a number (0.8, 4, -1).
	ScoreNumeric ScoreType = "numeric"
	// ScoreBoolean is true or false; it is stored and averaged as 1 or 0.
	ScoreBoolean ScoreType = "boolean"
	// ScoreCategorical is one label of a set ("good", "off-topic").
	ScoreCategorical ScoreType = "categorical"
)

// Valid reports whether t is a known score type.
func (t ScoreType) Valid() bool {
	return t == ScoreNumeric || t == ScoreBoolean || t == ScoreCategorical
}

// ScoreSource says where a score was given.
type ScoreSource string

// The places a score comes from.
const (
	// SourceAPI is POST /api/v1/scores.
	SourceAPI ScoreSource = "api"
	// SourceSDK is the SDK, in an ingest batch.
	SourceSDK ScoreSource = "sdk"
	// SourceUI is a person on the trace page.
	SourceUI ScoreSource = "ui"
)

// Valid reports whether s is a known source.
func (s ScoreSource) Valid() bool { return s == SourceAPI || s == SourceSDK || s == SourceUI }

// Limits on what a score may carry.
const (
	MaxScoreNameLen    = 200
	MaxScoreLabelLen   = 200
	MaxScoreCommentLen = 10_000
	// MaxScoreLabels bounds the labels of a categorical configuration.
	MaxScoreLabels = 50
	// MaxScoreConfigs bounds the score names a project configures.
	MaxScoreConfigs = 100
	// MaxScoreDescriptionLen bounds a configuration's description.
	MaxScoreDescriptionLen = 1000
)

// ScoreIDLen is the length of a score id: 32 lowercase hex digits.
const ScoreIDLen = 32

// ScoreValue is a score's value. Number holds a numeric value, and 1 or 0
// for a boolean; Label holds a categorical one.
type ScoreValue struct {
	Type   ScoreType
	Number float64
	Label  string
}

// NumberValue, BoolValue and LabelValue make values of each type.
func NumberValue(v float64) ScoreValue { return ScoreValue{Type: ScoreNumeric, Number: v} }

// BoolValue is a boolean value.
func BoolValue(b bool) ScoreValue {
	v := ScoreValue{Type: ScoreBoolean}
	if b {
		v.Number = 1
	}
	return v
}

// LabelValue is a categorical value.
func LabelValue(label string) ScoreValue { return ScoreValue{Type: ScoreCategorical, Label: label} }

// ScoreValueOf reads a value as JSON gives it: a number (float64 or
// json.Number) is numeric, true or false boolean, a string a label.
func ScoreValueOf(v any) (ScoreValue, error) {
	switch v := v.(type) {
	case float64:
		return NumberValue(v), NumberValue(v).check()
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return ScoreValue{}, errors.New("value is a number out of range")
		}
		return NumberValue(f), NumberValue(f).check()
	case bool:
		return BoolValue(v), nil
	case string:
		return LabelValue(v), LabelValue(v).check()
	case nil:
		return ScoreValue{}, errors.New("value is missing: send a number, true or false, or a label")
	}
	return ScoreValue{}, errors.New("value must be a number, true or false, or a label string")
}

// JSON is the value as the API writes it: a number, a boolean or a string.
func (v ScoreValue) JSON() any {
	switch v.Type {
	case ScoreBoolean:
		return v.Number != 0
	case ScoreCategorical:
		return v.Label
	}
	return v.Number
}

// Average is what the value counts as in an average: the number, or 1 or 0
// for a boolean; false for a label.
func (v ScoreValue) Average() (float64, bool) {
	return v.Number, v.Type == ScoreNumeric || v.Type == ScoreBoolean
}

// check reports whether v can be stored.
func (v ScoreValue) check() error {
	switch v.Type {
	case ScoreNumeric:
		if math.IsNaN(v.Number) || math.IsInf(v.Number, 0) {
			return errors.New("value must be a finite number")
		}
	case ScoreBoolean:
		if v.Number != 0 && v.Number != 1 {
			return errors.New("a boolean value is 1 or 0")
		}
	case ScoreCategorical:
		if v.Label == "" || len(v.Label) > MaxScoreLabelLen || !cleanText(v.Label) {
			return fmt.Errorf("a label must have 1 to %d bytes of UTF-8 and no NUL character", MaxScoreLabelLen)
		}
	default:
		return fmt.Errorf("value type %q is not numeric, boolean or categorical", v.Type)
	}
	return nil
}

// String prints the value for people: 0.8, true, good.
func (v ScoreValue) String() string {
	switch v.Type {
	case ScoreBoolean:
		if v.Number != 0 {
			return "true"
		}
		return "false"
	case ScoreCategorical:
		return v.Label
	}
	return strconv.FormatFloat(v.Number, 'g', -1, 64)
}

// Score is one score of a trace or of one of its spans.
type Score struct {
	// ID is 32 lowercase hex digits, given by the SDK or by the collector
	// when the score arrives; writing a score again with the same id
	// leaves the first.
	ID      string
	TraceID string
	// SpanID is empty for a score of the whole trace.
	SpanID  string
	Name    string
	Value   ScoreValue
	Comment string
	Source  ScoreSource
	// The author: a web UI user, or the API key that sent it (zero when
	// not that kind).
	AuthorUserID int64
	AuthorKeyID  int64
	// Author names the author for people, set by reads: the user's email,
	// or the key's name and prefix.
	Author string
	// Time is when the score was given.
	Time time.Time
	// UpdatedAt is when a person last changed it; nil when never.
	UpdatedAt *time.Time
}

// scoreJSON is Score as the API reads and writes it.
type scoreJSON struct {
	ID           string          `json:"id"`
	TraceID      string          `json:"trace_id"`
	SpanID       string          `json:"span_id,omitempty"`
	Name         string          `json:"name"`
	Type         ScoreType       `json:"type"`
	Value        json.RawMessage `json:"value"`
	Comment      string          `json:"comment,omitempty"`
	Source       ScoreSource     `json:"source"`
	AuthorUserID int64           `json:"author_user_id,omitempty"`
	AuthorKeyID  int64           `json:"author_key_id,omitempty"`
	Author       string          `json:"author,omitempty"`
	Time         time.Time       `json:"time"`
	UpdatedAt    *time.Time      `json:"updated_at,omitempty"`
}

// MarshalJSON writes the value as a number, a boolean or a label, beside
// its type.
func (s Score) MarshalJSON() ([]byte, error) {
	v, err := json.Marshal(s.Value.JSON())
	if err != nil {
		return nil, fmt.Errorf("score %s: %w", s.ID, err)
	}
	return json.Marshal(scoreJSON{ID: s.ID, TraceID: s.TraceID, SpanID: s.SpanID, Name: s.Name, Type: s.Value.Type,
		Value: v, Comment: s.Comment, Source: s.Source, AuthorUserID: s.AuthorUserID, AuthorKeyID: s.AuthorKeyID,
		Author: s.Author, Time: s.Time, UpdatedAt: s.UpdatedAt})
}

// UnmarshalJSON reads what MarshalJSON writes; the value's type is its
// JSON kind's (ScoreValueOf).
func (s *Score) UnmarshalJSON(b []byte) error {
	var j scoreJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	var raw any
	if len(j.Value) > 0 {
		if err := json.Unmarshal(j.Value, &raw); err != nil {
			return fmt.Errorf("score value: %w", err)
		}
	}
	v, err := ScoreValueOf(raw)
	if err != nil {
		return err
	}
	*s = Score{ID: j.ID, TraceID: j.TraceID, SpanID: j.SpanID, Name: j.Name, Value: v, Comment: j.Comment,
		Source: j.Source, AuthorUserID: j.AuthorUserID, AuthorKeyID: j.AuthorKeyID, Author: j.Author,
		Time: j.Time, UpdatedAt: j.UpdatedAt}
	return nil
}

// Normalize puts s in the form every backend stores: ids in lower case,
// the time in UTC at microsecond precision.
func (s *Score) Normalize() {
	s.ID = lowerASCII(s.ID)
	s.TraceID = lowerASCII(s.TraceID)
	s.SpanID = lowerASCII(s.SpanID)
	s.Time = s.Time.UTC().Truncate(time.Microsecond)
}

// Validate reports the first reason s cannot be stored, or nil. Call it
// after Normalize. It does not check the value against the project's
// configuration of the name (ScoreConfig.Check does).
func (s *Score) Validate() error {
	switch {
	case !isHex(s.ID, ScoreIDLen):
		return errors.New("id must be 32 lowercase hex characters, not all zero")
	case !isHex(s.TraceID, 32):
		return errors.New("trace_id must be 32 lowercase hex characters, not all zero")
	case s.SpanID != "" && !isHex(s.SpanID, 16):
		return errors.New("span_id must be empty or 16 lowercase hex characters")
	}
	if err := CheckScoreName(s.Name); err != nil {
		return err
	}
	if err := s.Value.check(); err != nil {
		return err
	}
	switch {
	case len(s.Comment) > MaxScoreCommentLen || !cleanText(s.Comment):
		return fmt.Errorf("comment must have at most %d bytes of UTF-8 and no NUL character", MaxScoreCommentLen)
	case !s.Source.Valid():
		return fmt.Errorf("source %q is not api, sdk or ui", s.Source)
	case s.Time.Year() < 2000 || s.Time.Year() > 9999:
		return errors.New("time is missing or out of range")
	case s.AuthorUserID < 0 || s.AuthorKeyID < 0:
		return errors.New("author ids are positive")
	}
	return nil
}

// ValidateAt is Validate plus the check that the score's time lies within
// w of now, as a span's start time must.
func (s *Score) ValidateAt(now time.Time, w Window) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if w.Check(now, s.Time) != nil {
		return fmt.Errorf("time %s is outside the accepted window around the collector's clock", s.Time.Format(time.RFC3339))
	}
	return nil
}

// CheckScoreName reports whether name can name a score.
func CheckScoreName(name string) error {
	if name == "" || len(name) > MaxScoreNameLen || !cleanText(name) || strings.TrimSpace(name) != name {
		return fmt.Errorf("name must have 1 to %d bytes of UTF-8, no NUL character and no surrounding spaces", MaxScoreNameLen)
	}
	return nil
}

// ScoreUpdate is what a person may change of a score.
type ScoreUpdate struct {
	Value   ScoreValue
	Comment string
	At      time.Time
}

// ScoreFilter narrows ListScores. Zero fields do not filter.
type ScoreFilter struct {
	TraceID string
	SpanID  string
	Name    string
	// Min and Max bound numeric and boolean values (a boolean is 1 or 0),
	// both ends included; Label finds categorical scores with that label.
	Min, Max *float64
	Label    string
	Source   ScoreSource
	// Since and Until bound the score's time: [Since, Until).
	Since, Until time.Time
}

// Validate reports the first parameter of f that no backend accepts, as a
// *ParamError.
func (f *ScoreFilter) Validate() error {
	f.TraceID, f.SpanID = lowerASCII(f.TraceID), lowerASCII(f.SpanID)
	switch {
	case f.TraceID != "" && !isHex(f.TraceID, 32):
		return &ParamError{"trace_id", "want 32 hex characters"}
	case f.SpanID != "" && !isHex(f.SpanID, 16):
		return &ParamError{"span_id", "want 16 hex characters"}
	case f.Source != "" && !f.Source.Valid():
		return &ParamError{"source", "want api, sdk or ui"}
	}
	if err := checkParam("name", f.Name, MaxScoreNameLen); err != nil {
		return err
	}
	return checkValueRange("", f.Min, f.Max, f.Label)
}

// checkValueRange checks a value range and label filter whose parameters
// are named prefix+min, prefix+max and prefix+label.
func checkValueRange(prefix string, lo, hi *float64, label string) error {
	for _, b := range [...]struct {
		name string
		v    *float64
	}{{prefix + "min", lo}, {prefix + "max", hi}} {
		if b.v != nil && (math.IsNaN(*b.v) || math.IsInf(*b.v, 0)) {
			return &ParamError{b.name, "want a finite number"}
		}
	}
	if lo != nil && hi != nil && *lo > *hi {
		return &ParamError{prefix + "max", "must not be below " + prefix + "min"}
	}
	if label != "" && (lo != nil || hi != nil) {
		return &ParamError{prefix + "label", "a label filter does not go with a value range"}
	}
	return checkParam(prefix+"label", label, MaxScoreLabelLen)
}

// ScoreList is one page of scores, newest first (by time, then id).
type ScoreList struct {
	Scores     []Score `json:"scores"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// ScoreCursor marks the last score of a page.
type ScoreCursor struct {
	Time time.Time
	ID   string
}

// Encode returns the opaque form handed to clients.
func (c ScoreCursor) Encode() string {
	raw := "s:" + strconv.FormatInt(c.Time.UnixMicro(), 10) + ":" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// BoundedScores returns p's limit, clamped as Bounded does, and its
// cursor read as a ScoreCursor: anything malformed wraps ErrInvalid.
func (p Page) BoundedScores() (int, ScoreCursor, error) {
	if p.Cursor == "" {
		return p.limit(), ScoreCursor{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	parts := strings.Split(string(raw), ":")
	if err != nil || len(parts) != 3 || parts[0] != "s" || !isHex(parts[2], ScoreIDLen) {
		return 0, ScoreCursor{}, fmt.Errorf("%w: cursor", ErrInvalid)
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return 0, ScoreCursor{}, fmt.Errorf("%w: cursor", ErrInvalid)
	}
	return p.limit(), ScoreCursor{Time: time.UnixMicro(us).UTC(), ID: parts[2]}, nil
}

// ScoreStore keeps scores and the score names a project configures. Like
// every Store method, each is scoped by project.
type ScoreStore interface {
	// WriteScores stores scores. It is idempotent: a score already stored
	// (same project and id) is left as it is. The whole batch commits or
	// none of it does; a score failing Score.Validate, or given outside
	// the store's write window, refuses it with ErrInvalid. A score's
	// trace need not be stored yet.
	WriteScores(ctx context.Context, projectID int64, scores []Score) error
	// ListScores returns scores newest first (by time, then id), with
	// their Author named.
	ListScores(ctx context.Context, projectID int64, f ScoreFilter, page Page) (ScoreList, error)
	// GetScore returns one score, or ErrNotFound.
	GetScore(ctx context.Context, projectID int64, id string) (Score, error)
	// UpdateScore changes a score's value and comment, or ErrNotFound.
	UpdateScore(ctx context.Context, projectID int64, id string, u ScoreUpdate) (Score, error)
	// DeleteScore removes a score, or ErrNotFound.
	DeleteScore(ctx context.Context, projectID int64, id string) error
	// ScoreMetrics sums up scores by q.GroupBy, in key or bucket order.
	ScoreMetrics(ctx context.Context, projectID int64, q ScoreQuery) ([]ScoreRow, error)

	// PutScoreConfig creates or replaces the configuration of c.Name:
	// ErrInvalid when c fails Validate or the project already has
	// MaxScoreConfigs other names.
	PutScoreConfig(ctx context.Context, c ScoreConfig) (ScoreConfig, error)
	// ListScoreConfigs returns the project's configurations, by name.
	ListScoreConfigs(ctx context.Context, projectID int64) ([]ScoreConfig, error)
	// DeleteScoreConfig removes a configuration (scores of the name stay),
	// or ErrNotFound.
	DeleteScoreConfig(ctx context.Context, projectID int64, name string) error
}

// ScoreMatch is a trace filter on scores: a score named Name (any name
// when empty) whose value lies in [Min, Max] (a boolean is 1 or 0), or
// whose label is Label. The zero ScoreMatch filters nothing.
type ScoreMatch struct {
	Name     string
	Min, Max *float64
	Label    string
}

// IsZero reports whether m filters nothing.
func (m ScoreMatch) IsZero() bool {
	return m.Name == "" && m.Min == nil && m.Max == nil && m.Label == ""
}

// validate checks m as the query parameters score_name, score_min,
// score_max and score_label.
func (m ScoreMatch) validate() error {
	if err := checkParam("score_name", m.Name, MaxScoreNameLen); err != nil {
		return err
	}
	return checkValueRange("score_", m.Min, m.Max, m.Label)
}

// PrepareScores returns normalized copies of scores, or an ErrInvalid
// naming the first that cannot be stored or was given outside w around
// now: what every backend's WriteScores checks before it writes.
func PrepareScores(scores []Score, now time.Time, w Window) ([]Score, error) {
	out := make([]Score, len(scores))
	for i, sc := range scores {
		sc.Normalize()
		if err := sc.ValidateAt(now, w); err != nil {
			return nil, fmt.Errorf("%w: score %d (%s): %w", ErrInvalid, i, sc.ID, err)
		}
		out[i] = sc
	}
	return out, nil
}

// AuthorName is how a score's author is named for people: the user's
// email, else the API key's name and prefix, else nothing (a user who was
// removed).
func AuthorName(email, keyName, keyPrefix string) string {
	switch {
	case email != "":
		return email
	case keyName != "" || keyPrefix != "":
		return "key " + keyName + " (" + keyPrefix + "…)"
	}
	return ""
}
