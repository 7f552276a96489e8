package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/tracium/tracium/store"
)

// CSVColumns are the columns of a CSV export, in order. Input, output,
// attributes, metadata and tags are JSON text; the provider's raw
// request and response are in the JSON Lines export only.
var CSVColumns = []string{
	"trace_id", "span_id", "parent_span_id", "name", "type", "status", "start_time", "end_time", "duration_ms",
	"model", "request_model", "provider", "input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens",
	"reasoning_tokens", "total_tokens", "cost_usd", "time_to_first_token_ms", "error_type", "error_message",
	"agent_name", "user_id", "session_id", "tags", "input", "output", "attributes", "metadata",
}

type csvEncoder struct {
	buf    *bufio.Writer
	w      *csv.Writer
	header bool
	row    []string
}

func newCSVEncoder(buf *bufio.Writer) *csvEncoder {
	return &csvEncoder{buf: buf, w: csv.NewWriter(buf), row: make([]string, len(CSVColumns))}
}

func (e *csvEncoder) writeHeader() error {
	if e.header {
		return nil
	}
	e.header = true
	return e.w.Write(CSVColumns)
}

func (e *csvEncoder) Span(s *store.Span) error {
	if err := e.writeHeader(); err != nil {
		return err
	}
	var u store.Usage
	counted := s.Usage != nil
	if counted {
		u = *s.Usage
	}
	count := func(n int64) string {
		if !counted {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	tags := ""
	if len(s.Tags) > 0 {
		b, _ := json.Marshal(s.Tags) // strings always marshal
		tags = string(b)
	}
	r := e.row[:0]
	r = append(r, Cell(s.TraceID), Cell(s.SpanID), Cell(s.ParentSpanID), Cell(s.Name), Cell(string(s.Type)),
		Cell(string(s.Status)), s.StartTime.UTC().Format(time.RFC3339Nano), s.EndTime.UTC().Format(time.RFC3339Nano),
		strconv.FormatFloat(float64(s.Duration())/float64(time.Millisecond), 'f', -1, 64),
		Cell(s.Model), Cell(s.RequestModel), Cell(s.Provider),
		count(u.InputTokens), count(u.OutputTokens), count(u.CachedTokens), count(u.CacheCreationTokens),
		count(u.ReasoningTokens), count(u.TotalTokens), optFloat(s.CostUSD), optFloat(s.TimeToFirstTokenMS),
		Cell(s.ErrorType), Cell(s.ErrorMessage), Cell(s.AgentName), Cell(s.UserID), Cell(s.SessionID), Cell(tags),
		Cell(string(s.Input)), Cell(string(s.Output)), Cell(string(s.Attributes)), Cell(string(s.Metadata)))
	return e.w.Write(r)
}

func (e *csvEncoder) Close() error {
	if err := e.writeHeader(); err != nil {
		return err
	}
	e.w.Flush()
	if err := e.w.Error(); err != nil {
		return err
	}
	return e.buf.Flush()
}

func optFloat(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// formulaStarts are the first characters that make a spreadsheet
// (Excel, LibreOffice Calc, Google Sheets) read a cell as a formula, the
// full-width forms some of them also accept included.
const formulaStarts = "=+-@\t\r\n＝＋－＠"

// Cell makes a text value safe as a CSV cell that a spreadsheet opens: one
// that starts like a formula is prefixed with a single quote, which the
// spreadsheet shows as text (OWASP's advice on CSV injection). Numbers the
// export formats itself are written as they are.
func Cell(s string) string {
	if s == "" {
		return s
	}
	for _, r := range formulaStarts {
		if strings.HasPrefix(s, string(r)) {
			return "'" + s
		}
	}
	return s
}
