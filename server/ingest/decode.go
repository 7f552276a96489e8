package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tracium/tracium/store"
)

// Batch is the body of POST /v1/ingest.
type Batch struct {
	Spans []json.RawMessage `json:"spans"`
}

// Rejection says why one span of a batch was not accepted.
type Rejection struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// errTooLarge is a body over the configured limit, compressed or not.
var errTooLarge = errors.New("body too large")

// readBody reads at most limit bytes of the request body, decompressing
// gzip first; the limit applies to the decompressed size too, so a small
// compressed bomb cannot expand without bound.
func readBody(body io.Reader, contentEncoding string, limit int64) ([]byte, error) {
	r := io.LimitReader(body, limit+1)
	switch strings.ToLower(strings.TrimSpace(contentEncoding)) {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = io.LimitReader(zr, limit+1)
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", contentEncoding)
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(r)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if n > limit {
		return nil, errTooLarge
	}
	return buf.Bytes(), nil
}

// decodeBatch parses a body into its spans. A body that is not a JSON
// object with a "spans" array is an error; each span is decoded on its own
// by decodeSpans so that one bad span does not sink the others.
func decodeBatch(body []byte) (Batch, error) {
	var b Batch
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&b); err != nil {
		return b, fmt.Errorf("malformed JSON: %v", err)
	}
	if dec.More() {
		return b, errors.New("malformed JSON: data after the batch object")
	}
	if b.Spans == nil {
		return b, errors.New(`the body must be a JSON object with a "spans" array`)
	}
	return b, nil
}

// decodeSpans decodes, normalizes and validates each span, returning the
// accepted ones and a rejection for every other.
func decodeSpans(raw []json.RawMessage) ([]store.Span, []Rejection) {
	spans := make([]store.Span, 0, len(raw))
	var rejected []Rejection
	for i, r := range raw {
		var s store.Span
		if err := json.Unmarshal(r, &s); err != nil {
			rejected = append(rejected, Rejection{Index: i, Reason: describeJSONError(r, err)})
			continue
		}
		s.Normalize()
		if err := s.Validate(); err != nil {
			rejected = append(rejected, Rejection{Index: i, Reason: err.Error()})
			continue
		}
		spans = append(spans, s)
	}
	return spans, rejected
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
