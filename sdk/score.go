package tracium

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"
)

// Scores say how good a trace, or one span of it, was: a check your code
// ran, an evaluator's verdict, a user's thumbs up. The exporter sends them
// beside spans, in the same batches (ScoreData is the wire format), and the
// collector keeps a score sent before its trace and shows it once the
// trace arrives.

// ErrInvalidScore is returned, wrapped, for a score the collector could
// never take: a malformed trace or span id, an empty name, or a value that
// is not a number, a bool or a string.
var ErrInvalidScore = errors.New("tracium: invalid score")

// ScoreOption sets an optional field of a score.
type ScoreOption func(*ScoreData)

// WithScoreComment attaches free text to the score (at most 10,000 bytes).
func WithScoreComment(comment string) ScoreOption {
	return func(d *ScoreData) { d.Comment = comment }
}

// WithScoreSpan scores one span of the trace (16 hex digits) rather than
// the whole trace; for Client.Score.
func WithScoreSpan(spanID string) ScoreOption {
	return func(d *ScoreData) { d.SpanID = spanID }
}

// WithScoreTime sets when the score was given; by default, when Score is
// called.
func WithScoreTime(t time.Time) ScoreOption {
	return func(d *ScoreData) { d.Time = t }
}

// WithScoreID names the score (32 hex digits): a score sent again under
// the same id is stored once. By default each call makes a new id.
func WithScoreID(id string) ScoreOption {
	return func(d *ScoreData) { d.ID = id }
}

// Score queues a score of the trace traceID (32 lowercase hex digits), of
// one of its spans with WithScoreSpan. value is a number (numeric), a bool
// (boolean) or a string (a label of a categorical score). Like a span, the
// score is sent in the background and never blocks: when the queue is full
// it is dropped and counted. It returns an ErrInvalidScore for a score the
// collector could never take; what the collector refuses later (a value
// outside the range the project configured for the name) goes to the
// error handler. It does nothing on a disabled client, and returns
// ctx.Err() when ctx is done. Safe for concurrent use.
func (c *Client) Score(ctx context.Context, traceID, name string, value any, opts ...ScoreOption) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil {
		c = DefaultClient()
	}
	d := ScoreData{TraceID: traceID, Name: name}
	for _, opt := range opts {
		if opt != nil {
			opt(&d)
		}
	}
	return c.queueScore(d, value)
}

// Score queues a score of this span; see Client.Score. It may be called
// before or after End. A nil span (its trace not sampled) scores nothing.
func (s *Span) Score(name string, value any, opts ...ScoreOption) error {
	if s == nil {
		return nil
	}
	c := s.ts.client
	if c == nil { // a remote parent read from a traceparent
		c = DefaultClient()
	}
	d := ScoreData{Name: name}
	for _, opt := range opts {
		if opt != nil {
			opt(&d)
		}
	}
	d.TraceID, d.SpanID = s.ts.id.String(), s.id.String()
	return c.queueScore(d, value)
}

// Score queues a score of the agent's span; see Client.Score.
func (a *AgentTrace) Score(name string, value any, opts ...ScoreOption) error {
	return a.root().Score(name, value, opts...)
}

// queueScore checks d, sets its value, id and time, and hands it to the
// exporter.
func (c *Client) queueScore(d ScoreData, value any) error {
	v, err := scoreValue(value)
	if err != nil {
		return fmt.Errorf("%w %q: %w", ErrInvalidScore, d.Name, err)
	}
	d.Value = v
	var t traceID
	var sp spanID
	switch {
	case !parseHexID(t[:], d.TraceID) || !t.isValid():
		return fmt.Errorf("%w %q: trace id %q is not 32 lowercase hex digits", ErrInvalidScore, d.Name, d.TraceID)
	case d.SpanID != "" && (!parseHexID(sp[:], d.SpanID) || !sp.isValid()):
		return fmt.Errorf("%w %q: span id %q is not 16 lowercase hex digits", ErrInvalidScore, d.Name, d.SpanID)
	case d.Name == "":
		return fmt.Errorf("%w: a score needs a name", ErrInvalidScore)
	}
	if d.ID == "" {
		id := newTraceID() // the same randomness and length as a trace id
		d.ID = hex.EncodeToString(id[:])
	}
	if d.Time.IsZero() {
		d.Time = time.Now()
	}
	d.Time = d.Time.UTC()
	if c.exp != nil {
		c.exp.enqueueScore(&d)
	}
	return nil
}

// scoreValue reads a score's value as the wire carries it: a float64, a
// bool or a string.
func scoreValue(v any) (any, error) {
	switch v := v.(type) {
	case bool, string:
		return v, nil
	case nil:
		return nil, errors.New("the value is nil")
	}
	rv := reflect.ValueOf(v)
	var f float64
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f = float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		f = float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		f = rv.Float()
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.String:
		return rv.String(), nil
	default:
		return nil, fmt.Errorf("a value of type %T is not a number, a bool or a string", v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errors.New("the value is not a finite number")
	}
	return f, nil
}
