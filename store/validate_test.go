package store

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func validSpan() Span {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	return Span{TraceID: strings.Repeat("ab", 16), SpanID: strings.Repeat("cd", 8), Name: "chat", Type: SpanLLM,
		StartTime: t0, EndTime: t0.Add(time.Second), Status: StatusOK}
}

func TestNormalizeTotalTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Usage
		want int64
	}{
		{Usage{InputTokens: 100, OutputTokens: 20}, 120},
		{Usage{InputTokens: 100, OutputTokens: 20, TotalTokens: 7}, 120},
		{Usage{InputTokens: 100, OutputTokens: 20, TotalTokens: 120}, 120},
		{Usage{TotalTokens: 55}, 55}, // only a total was sent: kept
		{Usage{}, 0},
		{Usage{InputTokens: math.MaxInt64, OutputTokens: 1}, math.MaxInt64},
	}
	for _, tt := range tests {
		s := validSpan()
		u := tt.in
		s.Usage = &u
		s.Normalize()
		if s.Usage.TotalTokens != tt.want {
			t.Errorf("Normalize(%+v): total %d, want %d", tt.in, s.Usage.TotalTokens, tt.want)
		}
		if u != tt.in {
			t.Errorf("Normalize changed the caller's Usage to %+v", u)
		}
	}
}

func TestUsageAddSaturates(t *testing.T) {
	t.Parallel()
	max := Usage{InputTokens: math.MaxInt64, OutputTokens: math.MaxInt64, CachedTokens: math.MaxInt64,
		CacheCreationTokens: math.MaxInt64, ReasoningTokens: math.MaxInt64, TotalTokens: math.MaxInt64}
	if got := max.Add(max); got != max {
		t.Errorf("MaxInt64 + MaxInt64 = %+v, want MaxInt64 everywhere", got)
	}
	one := Usage{InputTokens: 1, TotalTokens: 1}
	if got := max.Add(one).InputTokens; got != math.MaxInt64 {
		t.Errorf("MaxInt64 + 1 = %d", got)
	}
	big := Usage{InputTokens: MaxTokenCount, OutputTokens: MaxTokenCount, TotalTokens: 2 * MaxTokenCount}
	if got := big.Add(big); got.InputTokens != 2*MaxTokenCount || got.TotalTokens != 4*MaxTokenCount {
		t.Errorf("two spans of MaxTokenCount = %+v", got)
	}
	for _, tt := range []struct{ a, b, want int64 }{
		{1, 2, 3}, {math.MaxInt64 - 1, 1, math.MaxInt64}, {math.MaxInt64 - 1, 2, math.MaxInt64}, {0, 0, 0},
	} {
		if got := SaturatingAdd(tt.a, tt.b); got != tt.want {
			t.Errorf("SaturatingAdd(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name   string
		change func(*Span)
		want   string // a part of the reason; "" for a valid span
	}{
		{"valid", func(*Span) {}, ""},
		{"tokens at the bound", func(s *Span) {
			s.Usage = &Usage{InputTokens: MaxTokenCount, OutputTokens: MaxTokenCount, TotalTokens: 2 * MaxTokenCount}
		}, ""},
		{"tokens over the bound", func(s *Span) { s.Usage = &Usage{InputTokens: MaxTokenCount + 1} }, "usage counts"},
		{"negative tokens", func(s *Span) { s.Usage = &Usage{CachedTokens: -1} }, "usage counts"},
		{"total over twice the bound", func(s *Span) { s.Usage = &Usage{TotalTokens: 2*MaxTokenCount + 1} }, "total_tokens"},
		{"cost at the bound", func(s *Span) { s.CostUSD = f(MaxCostUSD) }, ""},
		{"cost over the bound", func(s *Span) { s.CostUSD = f(1.7e308) }, "cost_usd"},
		{"cost +Inf", func(s *Span) { s.CostUSD = f(math.Inf(1)) }, "cost_usd"},
		{"cost NaN", func(s *Span) { s.CostUSD = f(math.NaN()) }, "cost_usd"},
		{"cost negative", func(s *Span) { s.CostUSD = f(-0.01) }, "cost_usd"},
		{"ttft NaN", func(s *Span) { s.TimeToFirstTokenMS = f(math.NaN()) }, "time_to_first_token_ms"},
		{"ttft absurd", func(s *Span) { s.TimeToFirstTokenMS = f(1e300) }, "time_to_first_token_ms"},
		{"ttft fine", func(s *Span) { s.TimeToFirstTokenMS = f(312.5) }, ""},
		{"lone surrogate in attributes", func(s *Span) { s.Attributes = []byte(`{"a":"\ud800"}`) }, "attributes contains a lone surrogate"},
		{"lone surrogate in input is fine", func(s *Span) { s.Input = []byte(`{"a":"\ud800"}`) }, ""},
		{"huge number in metadata", func(s *Span) { s.Metadata = []byte(`{"a":1e1000000}`) }, "metadata holds the number"},
		{"NUL escape in metadata", func(s *Span) { s.Metadata = []byte(`{"a":"\u0000"}`) }, "metadata contains a \\u0000"},
		{"bad raw output", func(s *Span) { s.RawOutput = []byte(`{"a":`) }, "raw_output is not valid JSON"},
		{"deep input", func(s *Span) { s.Input = []byte(strings.Repeat("[", 600) + strings.Repeat("]", 600)) }, "input nests deeper"},
		{"invalid UTF-8 in JSON", func(s *Span) { s.Output = []byte("\"\xff\"") }, "output is not valid UTF-8"},
		{"invalid UTF-8 name", func(s *Span) { s.Name = "a\xffb" }, "name must be UTF-8"},
		{"invalid UTF-8 agent", func(s *Span) { s.AgentName = "\xc3" }, "agent_name must have"},
		{"NUL in error message", func(s *Span) { s.ErrorMessage = "a\x00" }, "error_message"},
		{"invalid UTF-8 tag", func(s *Span) { s.Tags = []string{"\xff"} }, "tags"},
	}
	for _, tt := range tests {
		s := validSpan()
		tt.change(&s)
		err := s.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Validate = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: Validate = %v, want a reason with %q", tt.name, err, tt.want)
		}
	}
}

func TestValidateAllocatesNothing(t *testing.T) {
	s := validSpan()
	s.Input = []byte(`{"messages":[{"role":"user","parts":[{"type":"text","content":"hi"}]}]}`)
	s.Attributes = []byte(`{"temperature":0.2}`)
	s.Tags = []string{"a", "b"}
	s.Usage = &Usage{InputTokens: 3, OutputTokens: 4, TotalTokens: 7}
	if n := testing.AllocsPerRun(100, func() {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Validate allocates %v times per valid span", n)
	}
}

func TestWindowForWrites(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	w := Window{}.ForWrites()
	if w.Back != DefaultWindowBack+7*24*time.Hour || w.Ahead != DefaultWindowAhead+24*time.Hour {
		t.Errorf("ForWrites of the defaults = %+v", w)
	}
	for _, tt := range []struct {
		start time.Time
		ok    bool
	}{
		{now, true},
		{now.Add(-DefaultWindowBack - 6*24*time.Hour), true}, // refused at ingest, kept by the store
		{now.Add(-DefaultWindowBack - 8*24*time.Hour), false},
		{now.Add(47 * time.Hour), true},
		{now.Add(49 * time.Hour), false},
	} {
		if err := w.Check(now, tt.start); (err == nil) != tt.ok {
			t.Errorf("Check(%v) = %v, want ok %v", tt.start, err, tt.ok)
		}
	}
	custom := Window{Back: time.Hour, Ahead: time.Minute}.ForWrites()
	if custom.Back != time.Hour+WriteSlackBack || custom.Ahead != time.Minute+WriteSlackAhead {
		t.Errorf("ForWrites of a set window = %+v", custom)
	}
}

func TestFilterValidate(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("q", MaxQueryLen+1)
	tests := []struct {
		name  string
		err   error
		param string // "" when valid
	}{
		{"empty", TraceFilter{}.Validate(), ""},
		{"q at the bound", TraceFilter{Query: long[1:]}.Validate(), ""},
		{"q too long", TraceFilter{Query: long}.Validate(), "q"},
		{"q with NUL", TraceFilter{Query: "a\x00"}.Validate(), "q"},
		{"agent invalid UTF-8", TraceFilter{AgentName: "\xff"}.Validate(), "agent_name"},
		{"tag NUL", TraceFilter{Tag: "\x00"}.Validate(), "tag"},
		{"model NUL", TraceFilter{Model: "gpt\x00"}.Validate(), "model"},
		{"user", TraceFilter{UserID: "\xfe"}.Validate(), "user_id"},
		{"session", TraceFilter{SessionID: "\x00"}.Validate(), "session_id"},
		{"status", TraceFilter{Status: "maybe"}.Validate(), "status"},
		{"span q", SpanFilter{Query: long}.Validate(), "q"},
		{"span model", SpanFilter{Model: "\xff"}.Validate(), "model"},
		{"span type", SpanFilter{Type: "nope"}.Validate(), "type"},
		{"usage group", UsageQuery{GroupBy: "week"}.Validate(), "group_by"},
		{"usage model", UsageQuery{GroupBy: GroupByModel, Model: "\x00"}.Validate(), "model"},
		{"usage fine", UsageQuery{GroupBy: GroupByDay, Model: "gpt-4o"}.Validate(), ""},
	}
	for _, tt := range tests {
		var pe *ParamError
		switch {
		case tt.param == "" && tt.err != nil:
			t.Errorf("%s: %v, want nil", tt.name, tt.err)
		case tt.param != "" && (!errors.As(tt.err, &pe) || pe.Param != tt.param || !errors.Is(tt.err, ErrInvalid)):
			t.Errorf("%s: %v, want an ErrInvalid naming %s", tt.name, tt.err, tt.param)
		}
	}
}

func TestIsHex(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"00f067aa0ba902b7", true},
		{"0000000000000001", true},
		{"f000000000000000", true},
		{"0000000000000000", false}, // all zero
		{"00F067AA0BA902B7", false}, // capitals
		{"00f067aa0ba902bg", false},
		{"00f067aa0ba902b", false}, // short
		{"00f067aa0ba902b7a", false},
		{"00f067aa0ba902\x00b", false},
		{"00f067aa0ba902\xffb", false},
	} {
		if got := isHex(tc.s, 16); got != tc.want {
			t.Errorf("isHex(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}
