package ingest

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

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
	return readBodySized(body, contentEncoding, -1, limit, hold)
}

// readBodySized is readBody for a body that declares its size (the
// Content-Length, -1 when it has none): an uncompressed body of that size
// is read into one buffer, where one of unknown size grows to its size by
// doubling.
func readBodySized(body io.Reader, contentEncoding string, size, limit int64, hold func(int64) error) ([]byte, error) {
	r := io.LimitReader(body, limit+1)
	first := int64(firstRead)
	switch strings.ToLower(strings.TrimSpace(contentEncoding)) {
	case "", "identity":
		if size >= 0 {
			first = size + 1 // room to see the end without growing
		}
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
			size := min(max(2*int64(cap(buf)), first), limit+1)
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

// batchParts are a batch's spans and scores, each left raw (a slice of
// the body) so that one bad span or score does not sink the others.
type batchParts struct {
	spans, scores []json.RawMessage
}

// splitBatch splits a body into its spans and scores. A body that is not
// a JSON object with a "spans" or a "scores" array (or both) is an error.
// It reads the body as a stream and stops at the span past maxSpans (the
// score past maxScores), so that a body of a million empty spans costs no
// more than the limit allows.
func splitBatch(body []byte, maxSpans, maxScores int) (batchParts, error) {
	if p, ok := splitPlain(body, maxSpans, maxScores); ok {
		return p, nil
	}
	return splitStream(body, maxSpans, maxScores)
}

// splitPlain is splitBatch for the bodies SDKs send: valid JSON in UTF-8,
// each value at most store.MaxJSONDepth deep, its top-level names without
// escapes, the spans and scores arrays each given once and within their
// limits. It finds each value's extent with store's JSON checker
// (store.JSONValueEnd), which reads a body several times faster than
// jsontext. For any other body it returns false, and splitStream, which
// accepts what jsontext accepts, splits it or says what is wrong; so
// every body is split as splitStream splits it.
func splitPlain(body []byte, maxSpans, maxScores int) (p batchParts, ok bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return p, false
	}
	var sawSpans, sawScores bool
	for i = skipSpace(body, i+1); ; {
		// A name: printable ASCII without escapes, the names SDKs write.
		if i >= len(body) || body[i] != '"' {
			return p, false
		}
		end := i + 1
		for end < len(body) && body[end] >= 0x20 && body[end] < 0x80 && body[end] != '"' && body[end] != '\\' {
			end++
		}
		if end >= len(body) || body[end] != '"' {
			return p, false
		}
		name := string(body[i+1 : end])
		if i = skipSpace(body, end+1); i >= len(body) || body[i] != ':' {
			return p, false
		}
		i = skipSpace(body, i+1)
		switch {
		case name == "spans" && !sawSpans:
			sawSpans = true
			p.spans, i, ok = splitArray(body, i, maxSpans)
		case name == "scores" && !sawScores:
			sawScores = true
			p.scores, i, ok = splitArray(body, i, maxScores)
		case name == "spans" || name == "scores":
			return p, false // given twice: the last wins, as splitStream decides
		default:
			i, ok = plainValueEnd(body, i)
		}
		if !ok {
			return p, false
		}
		if i = skipSpace(body, i); i >= len(body) {
			return p, false
		}
		if body[i] == '}' {
			break
		}
		if body[i] != ',' {
			return p, false
		}
		i = skipSpace(body, i+1)
	}
	if skipSpace(body, i+1) != len(body) || !sawSpans && !sawScores {
		return p, false
	}
	return p, true
}

// splitArray reads an array of at most max values at body[i], each a
// slice of body, and returns the index past it.
func splitArray(body []byte, i, max int) ([]json.RawMessage, int, bool) {
	if i >= len(body) || body[i] != '[' {
		return nil, i, false
	}
	var out []json.RawMessage
	if i = skipSpace(body, i+1); i < len(body) && body[i] == ']' {
		return out, i + 1, true
	}
	for {
		if len(out) == max {
			return nil, i, false
		}
		end, ok := plainValueEnd(body, i)
		if !ok {
			return nil, i, false
		}
		out = append(out, body[i:end:end])
		if i = skipSpace(body, end); i >= len(body) {
			return nil, i, false
		}
		switch body[i] {
		case ']':
			return out, i + 1, true
		case ',':
			i = skipSpace(body, i+1)
		default:
			return nil, i, false
		}
	}
}

// plainValueEnd is store.JSONValueEnd, reporting only whether it passed.
func plainValueEnd(body []byte, i int) (int, bool) {
	end, err := store.JSONValueEnd(body, i)
	return end, err == nil
}

// skipSpace returns the index of the first byte at or after i that is
// not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// splitStream is splitBatch read token by token with jsontext, for every
// body splitPlain leaves.
func splitStream(body []byte, maxSpans, maxScores int) (batchParts, error) {
	var p batchParts
	// The options keep what encoding/json accepted: repeated names (the
	// last wins) and invalid UTF-8, which the checks of each span refuse
	// where it matters.
	dec := jsontext.NewDecoder(bytes.NewBuffer(body), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	notBatch := fmt.Errorf(`%w: the body must be a JSON object with a "spans" or a "scores" array`, errMalformed)
	if tok, err := dec.ReadToken(); err != nil {
		return p, malformed(err)
	} else if tok.Kind() != '{' {
		return p, notBatch
	}
	found := false
	for dec.PeekKind() != '}' {
		key, err := dec.ReadToken()
		if err != nil {
			return p, malformed(err)
		}
		switch key.String() {
		case "spans":
			p.spans, err = readArray(dec, body, p.spans[:0], maxSpans, errTooManySpans, notBatch)
		case "scores":
			p.scores, err = readArray(dec, body, p.scores[:0], maxScores, errTooManyScores, notBatch)
		default:
			if err := dec.SkipValue(); err != nil {
				return p, malformed(err)
			}
			continue
		}
		if err != nil {
			return p, err
		}
		found = true
	}
	if _, err := dec.ReadToken(); err != nil { // }
		return p, malformed(err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return p, fmt.Errorf("%w: data after the batch object", errMalformed)
	}
	if !found {
		return p, notBatch
	}
	return p, nil
}

// readArray reads a JSON array of at most max values of body into out,
// each left raw as a slice of body (which outlives the decoder's
// buffer); one more is tooMany, anything but an array notArray.
func readArray(dec *jsontext.Decoder, body []byte, out []json.RawMessage, max int, tooMany, notArray error) ([]json.RawMessage, error) {
	if tok, err := dec.ReadToken(); err != nil {
		return nil, malformed(err)
	} else if tok.Kind() != '[' {
		return nil, notArray
	}
	for dec.PeekKind() != ']' {
		if len(out) == max {
			return nil, tooMany
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, malformed(err)
		}
		end := int(dec.InputOffset())
		out = append(out, body[end-len(v):end:end])
	}
	if _, err := dec.ReadToken(); err != nil { // ]
		return nil, malformed(err)
	}
	return out, nil
}

func malformed(err error) error { return fmt.Errorf("%w: %v", errMalformed, err) }

// spanOptions decode a span as encoding/json did: names matched without
// regard to case (but not to underscores), repeated names, invalid UTF-8
// in strings read as U+FFFD, and times by its reading of RFC 3339.
var spanOptions = jsonv2.JoinOptions(
	jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true),
	jsonv2.MatchCaseInsensitiveNames(true), jsonv1.MatchCaseSensitiveDelimiter(true),
	jsonv1.ParseTimeWithLooseRFC3339(true),
)

// decodeSpans decodes, normalizes and validates each span as ingest does
// on a span that arrives at now, returning the accepted ones and a
// rejection for every other.
func decodeSpans(raw []json.RawMessage, now time.Time, window store.Window) ([]store.Span, []Rejection) {
	spans := make([]store.Span, 0, len(raw))
	var rejected []Rejection
	for i, r := range raw {
		spans = append(spans, store.Span{})
		s := &spans[len(spans)-1]
		if err := jsonv2.Unmarshal(r, s, spanOptions); err != nil {
			spans = spans[:len(spans)-1]
			rejected = append(rejected, Rejection{Index: i, Reason: describeJSONError(err)})
			continue
		}
		if err := check(s, now, window); err != nil {
			spans = spans[:len(spans)-1]
			rejected = append(rejected, Rejection{Index: i, Reason: err.Error()})
			continue
		}
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
func describeJSONError(err error) string {
	var se *jsonv2.SemanticError
	if errors.As(err, &se) && se.JSONPointer != "" {
		field := strings.Join(slices.Collect(se.JSONPointer.Tokens()), ".")
		if se.GoType == reflect.TypeFor[time.Time]() {
			return fmt.Sprintf("field %q: expected an RFC 3339 time string", field)
		}
		if se.GoType != nil && se.JSONKind != 0 {
			return fmt.Sprintf("field %q: expected %s, got JSON %s", field, se.GoType, se.JSONKind)
		}
		return fmt.Sprintf("field %q: %v", field, cmp.Or[error](se.Err, se))
	}
	return "malformed span: " + err.Error()
}
