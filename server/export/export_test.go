package export_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/server/export"
	"github.com/tracium/tracium/store"
)

func sampleSpans() []store.Span {
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	cost, ttft := 0.0021, 120.5
	return []store.Span{
		{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7", Name: "=HYPERLINK(\"http://evil\")", Type: store.SpanAgent,
			StartTime: start, EndTime: start.Add(1500 * time.Millisecond), Status: store.StatusOK,
			Input: json.RawMessage(`"-2+3"`), Output: json.RawMessage(`{"answer":"line one\nline two, with \"quotes\""}`),
			UserID: "@user", SessionID: "+session", Tags: []string{"env:prod"}},
		{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b8", ParentSpanID: "00f067aa0ba902b7", Name: "chat gpt-4o-mini",
			Type: store.SpanLLM, StartTime: start.Add(time.Millisecond), EndTime: start.Add(time.Second), Status: store.StatusError,
			ErrorType: "RateLimitError", ErrorMessage: "\t429", Model: "gpt-4o-mini", Provider: "openai",
			Usage: &store.Usage{InputTokens: 1200, OutputTokens: 80, CachedTokens: 1024, TotalTokens: 1280}, CostUSD: &cost, TimeToFirstTokenMS: &ttft,
			Input: json.RawMessage(`-5`), RawInput: json.RawMessage(`{"model":"gpt-4o-mini"}`)},
	}
}

func encode(t *testing.T, f export.Format, spans []store.Span) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := export.NewEncoder(&buf, f)
	for i := range spans {
		if err := enc.Span(&spans[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJSONLIsTheSpanJSON(t *testing.T) {
	t.Parallel()
	spans := sampleSpans()
	out := encode(t, export.JSONL, spans)
	sc := bufio.NewScanner(bytes.NewReader(out))
	var got []store.Span
	for sc.Scan() {
		var s store.Span
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, s)
	}
	if len(got) != 2 {
		t.Fatalf("%d lines, want 2: %s", len(got), out)
	}
	want, _ := json.Marshal(spans[1])
	line, _ := json.Marshal(got[1])
	if !bytes.Equal(want, line) {
		t.Errorf("a line decodes to\n%s\nwant\n%s", line, want)
	}
	if string(got[1].RawInput) != `{"model":"gpt-4o-mini"}` {
		t.Errorf("the raw request is not exported: %s", got[1].RawInput)
	}
	if len(encode(t, export.JSONL, nil)) != 0 {
		t.Error("an empty JSON Lines export is not empty")
	}
}

func TestCSVRoundTripsAndDisarmsFormulas(t *testing.T) {
	t.Parallel()
	out := encode(t, export.CSV, sampleSpans())
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, out)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want a header and 2", len(rows))
	}
	if strings.Join(rows[0], ",") != strings.Join(export.CSVColumns, ",") {
		t.Errorf("header %q", rows[0])
	}
	col := func(row int, name string) string {
		for i, c := range export.CSVColumns {
			if c == name {
				return rows[row][i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	for _, tc := range []struct {
		row       int
		col, want string
	}{
		{1, "name", `'=HYPERLINK("http://evil")`},
		{1, "user_id", "'@user"},
		{1, "session_id", "'+session"},
		{1, "input", `"-2+3"`},
		{1, "output", `{"answer":"line one\nline two, with \"quotes\""}`},
		{1, "duration_ms", "1500"},
		{1, "input_tokens", ""}, // no usage recorded: unknown, not 0
		{1, "tags", `["env:prod"]`},
		{1, "start_time", "2026-11-24T10:00:00Z"},
		{2, "error_message", "'\t429"},
		{2, "input", "'-5"},
		{2, "input_tokens", "1200"},
		{2, "cached_tokens", "1024"},
		{2, "total_tokens", "1280"},
		{2, "cost_usd", "0.0021"},
		{2, "time_to_first_token_ms", "120.5"},
		{2, "model", "gpt-4o-mini"},
	} {
		if got := col(tc.row, tc.col); got != tc.want {
			t.Errorf("row %d %s = %q, want %q", tc.row, tc.col, got, tc.want)
		}
	}
	empty, err := csv.NewReader(bytes.NewReader(encode(t, export.CSV, nil))).ReadAll()
	if err != nil || len(empty) != 1 {
		t.Errorf("an empty CSV export = %q, %v; want the header row alone", empty, err)
	}
}

func TestCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", "plain": "plain", "=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "＝1+1": "'＝1+1", "a=b": "a=b", " =1": " =1", "'quoted": "'quoted",
	} {
		if got := export.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCell(f *testing.F) {
	for _, s := range []string{"=1", "x", "－1", "@a", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := export.Cell(s)
		if !strings.HasSuffix(got, s) || len(got) > len(s)+1 {
			t.Fatalf("Cell(%q) = %q changes the text", s, got)
		}
		for _, r := range "=+-@\t\r\n＝＋－＠" {
			if strings.HasPrefix(got, string(r)) {
				t.Fatalf("Cell(%q) = %q starts like a formula", s, got)
			}
		}
	})
}

func TestParseFormatAndFilename(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]export.Format{"": export.JSONL, "jsonl": export.JSONL, "csv": export.CSV} {
		if got, err := export.ParseFormat("format", in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	var pe *store.ParamError
	if _, err := export.ParseFormat("format", "xlsx"); err == nil || !strings.Contains(err.Error(), "format") {
		t.Errorf("ParseFormat(xlsx) = %v, want a ParamError naming format", err)
	} else if !asParam(err, &pe) {
		t.Errorf("ParseFormat(xlsx) = %T", err)
	}
	if got := export.CSV.Filename(`session "a/b"\..`); got != "session__a_b__.csv" {
		t.Errorf("Filename = %q", got)
	}
	if got := export.JSONL.Filename(strings.Repeat("x", 300)); len(got) != 100+len(".jsonl") {
		t.Errorf("a long name gives %d characters", len(got))
	}
}

func asParam(err error, pe **store.ParamError) bool {
	p, ok := err.(*store.ParamError)
	*pe = p
	return ok
}
