// Package export writes spans as files a person downloads: JSON Lines,
// one span a line in the API's own span JSON, or CSV, one span a row,
// safe to open in a spreadsheet. An Encoder writes each span as it comes,
// holding none: the caller streams them from the store (store.ExportSpans)
// and the memory used stays that of one span and a write buffer.
package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/tracium/tracium/store"
)

// Format is a file format of an export.
type Format string

// The formats an export is written in.
const (
	JSONL Format = "jsonl"
	CSV   Format = "csv"
)

// ParseFormat reads a format parameter; empty is JSONL. Anything else is
// a *store.ParamError naming param.
func ParseFormat(param, s string) (Format, error) {
	switch Format(s) {
	case "", JSONL:
		return JSONL, nil
	case CSV:
		return CSV, nil
	}
	return "", &store.ParamError{Param: param, Reason: "want jsonl or csv"}
}

// ContentType is the format's media type.
func (f Format) ContentType() string {
	if f == CSV {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson; charset=utf-8"
}

// Filename is the name a download of name in the format is saved under:
// name's letters, digits, dots, dashes and underscores (others become
// "_"), at most 100 of them, and the format's extension.
func (f Format) Filename(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() >= 100 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), ".") + "." + string(f)
}

// Encoder writes spans in one format. It is not safe for concurrent use.
type Encoder interface {
	// Span writes one span (CSV writes its header row first).
	Span(s *store.Span) error
	// Close writes whatever is buffered (the header row of an empty CSV
	// too); it does not close the writer.
	Close() error
}

// bufferSize is the write buffer of an encoder: big enough that a
// response is written in few system calls, small beside a page of spans.
const bufferSize = 64 << 10

// NewEncoder returns an encoder of f writing to w.
func NewEncoder(w io.Writer, f Format) Encoder {
	buf := bufio.NewWriterSize(w, bufferSize)
	if f == CSV {
		return newCSVEncoder(buf)
	}
	return &jsonlEncoder{w: buf, enc: json.NewEncoder(buf)}
}

// jsonlEncoder writes each span as the API's span JSON, one a line
// (json.Encoder ends each value with a newline and escapes none inside).
type jsonlEncoder struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func (e *jsonlEncoder) Span(s *store.Span) error {
	if err := e.enc.Encode(s); err != nil {
		return fmt.Errorf("export span %s: %w", s.SpanID, err)
	}
	return nil
}

func (e *jsonlEncoder) Close() error { return e.w.Flush() }
