package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/store"
)

// Rejection says why one span of a batch was not accepted.
type Rejection struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// Errors of reading and splitting a body, each answered with its own code.
var (
	// errTooLarge is a body over the configured limit, compressed or not.
	errTooLarge = errors.New("body too large")
	// errTooManySpans is a batch of more spans than the limit.
	errTooManySpans = errors.New("too many spans")
	// errTooManyScores is a batch of more scores than the limit.
	errTooManyScores = errors.New("too many scores")
	// errSlowBody is a body that did not arrive within the read deadline.
	errSlowBody = errors.New("the body did not arrive in time")
	// errMalformed is a body that is not a JSON batch.
	errMalformed = errors.New("malformed JSON")
)

// firstRead is the buffer a body starts in; it doubles from there.
const firstRead = 32 << 10

// readBody reads at most limit bytes of the request body, decompressing
// gzip first; the limit applies to the decompressed size too, so a small
// compressed bomb cannot expand without bound. Before its buffer grows it
// calls hold with the bytes the growth needs, and stops with hold's error
// when the budget cannot give them.
func readBody(body io.Reader, contentEncoding string, limit int64, hold func(int64) error) ([]byte, error) {
	r := io.LimitReader(body, limit+1)
	switch strings.ToLower(strings.TrimSpace(contentEncoding)) {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, readError(fmt.Errorf("gzip: %w", err))
		}
		defer zr.Close()
		r = io.LimitReader(zr, limit+1)
	default:
		return nil, fmt.Errorf("%w: unsupported Content-Encoding %q", respond.ErrBadRequest, contentEncoding)
	}
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			size := min(max(2*int64(cap(buf)), firstRead), limit+1)
			if err := hold(readFactor * size); err != nil {
				return nil, err
			}
			grown := make([]byte, len(buf), size)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, errTooLarge
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, readError(fmt.Errorf("read body: %w", err))
		}
	}
}

// readError says whether a read failed on the client's pace (past the
// body deadline) or on its bytes.
func readError(err error) error {
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return errSlowBody
	}
	return fmt.Errorf("%w: %v", respond.ErrBadRequest, err)
}

// decodeBatch splits a body into its spans, each left raw; see
// splitBatch.
func decodeBatch(body []byte, maxSpans int) ([]json.RawMessage, error) {
	p, err := splitBatch(body, maxSpans, DefaultMaxScores)
	return p.spans, err
}

// batchParts are a batch's spans and scores, each left raw so that one
// bad span or score does not sink the others.
type batchParts struct {
	spans, scores []json.RawMessage
}

// splitBatch splits a body into its spans and scores. A body that is not
// a JSON object with a "spans" or a "scores" array (or both) is an error.
// It reads the body as a stream and stops at the span past maxSpans (the
// score past maxScores), so that a body of a million empty spans costs no
// more than the limit allows.
func splitBatch(body []byte, maxSpans, maxScores int) (batchParts, error) {
	var p batchParts
	dec := json.NewDecoder(bytes.NewReader(body))
	notBatch := fmt.Errorf(`%w: the body must be a JSON object with a "spans" or a "scores" array`, errMalformed)
	if tok, err := dec.Token(); err != nil {
		return p, malformed(err)
	} else if tok != json.Delim('{') {
		return p, notBatch
	}
	found := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return p, malformed(err)
		}
		switch key {
		case "spans":
			p.spans, err = readArray(dec, p.spans[:0], maxSpans, errTooManySpans, notBatch)
		case "scores":
			p.scores, err = readArray(dec, p.scores[:0], maxScores, errTooManyScores, notBatch)
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return p, malformed(err)
			}
			continue
		}
		if err != nil {
			return p, err
		}
		found = true
	}
	if _, err := dec.Token(); err != nil { // }
		return p, malformed(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return p, fmt.Errorf("%w: data after the batch object", errMalformed)
	}
	if !found {
		return p, notBatch
	}
	return p, nil
}

// readArray reads a JSON array of at most max values into out, each left
// raw; one more is tooMany, anything but an array notArray.
func readArray(dec *json.Decoder, out []json.RawMessage, max int, tooMany, notArray error) ([]json.RawMessage, error) {
	if tok, err := dec.Token(); err != nil {
		return nil, malformed(err)
	} else if tok != json.Delim('[') {
		return nil, notArray
	}
	for dec.More() {
		if len(out) == max {
			return nil, tooMany
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed(err)
		}
		out = append(out, raw)
	}
	if _, err := dec.Token(); err != nil { // ]
		return nil, malformed(err)
	}
	return out, nil
}

func malformed(err error) error { return fmt.Errorf("%w: %v", errMalformed, err) }

// decodeSpans decodes, normalizes and validates each span as ingest does
// on a span that arrives at now, returning the accepted ones and a
// rejection for every other.
func decodeSpans(raw []json.RawMessage, now time.Time, window store.Window) ([]store.Span, []Rejection) {
	spans := make([]store.Span, 0, len(raw))
	var rejected []Rejection
	for i, r := range raw {
		var s store.Span
		if err := json.Unmarshal(r, &s); err != nil {
			rejected = append(rejected, Rejection{Index: i, Reason: describeJSONError(r, err)})
			continue
		}
		if err := check(&s, now, window); err != nil {
			rejected = append(rejected, Rejection{Index: i, Reason: err.Error()})
			continue
		}
		spans = append(spans, s)
	}
	return spans, rejected
}

// check normalizes s and reports why it cannot be accepted at now, or
// nil: the one rule every ingest endpoint applies to a span.
func check(s *store.Span, now time.Time, window store.Window) error {
	s.Normalize()
	return s.ValidateAt(now, window)
}

// describeJSONError names the field at fault where it can: a client
// fixing its exporter needs to know which one.
func describeJSONError(raw json.RawMessage, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) == nil {
		for _, name := range []string{"start_time", "end_time"} {
			var t time.Time
			if v, ok := fields[name]; ok && json.Unmarshal(v, &t) != nil {
				return fmt.Sprintf("field %q: expected an RFC 3339 time string", name)
			}
		}
	}
	return "malformed span: " + err.Error()
}
