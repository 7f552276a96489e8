package tracium

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// The exporter writes span JSON by hand into a reused buffer: going
// through SpanData and encoding/json costs several allocations per span
// (hex ids, times, the attribute map), which is most of a span's cost.
// spanData and appendSpanJSON must agree; a test checks that they do.

const (
	maxNameLen = 1024
	timeLayout = "2006-01-02T15:04:05.000000000Z07:00"
)

// wireName is the span name the collector accepts: 1..1024 bytes, cut on a
// UTF-8 boundary.
func wireName(s *Span) string {
	name := s.name
	if name == "" {
		name = string(wireType(s))
	}
	if len(name) > maxNameLen {
		cut := maxNameLen
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut]
	}
	return name
}

func wireType(s *Span) SpanType {
	if s.spanType.valid() {
		return s.spanType
	}
	return SpanCustom
}

func wireStatus(s *Span) string {
	if s.failed {
		return "error"
	}
	return "ok"
}

func ttftMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// spanData converts an ended span for the redaction hook.
func spanData(s *Span) SpanData {
	x := s.xr()
	d := SpanData{
		TraceID:      s.ts.id.String(),
		SpanID:       s.id.String(),
		Name:         wireName(s),
		Type:         wireType(s),
		StartTime:    s.start.UTC(),
		EndTime:      s.start.Add(s.dur).UTC(),
		Status:       wireStatus(s),
		ErrorType:    x.errType,
		ErrorMessage: x.errMsg,
		Input:        x.inputJSON,
		Output:       x.outputJSON,
		RawInput:     x.rawInput,
		RawOutput:    x.rawOutput,
		Model:        x.model,
		RequestModel: x.requestModel,
		Provider:     x.provider,
		AgentName:    s.agentName,
		UserID:       x.userID,
		SessionID:    x.sessionID,
		Tags:         x.tags,
	}
	if s.parent.isValid() {
		d.ParentSpanID = s.parent.String()
	}
	if x.hasUsage {
		u := x.usage
		d.Usage = &u
	}
	if x.hasCost {
		c := x.cost
		d.CostUSD = &c
	}
	if x.hasTTFT {
		ms := ttftMS(x.ttft)
		d.TimeToFirstTokenMS = &ms
	}
	if len(s.attrs) > 0 {
		d.Attributes = make(map[string]any, len(s.attrs))
		for _, a := range s.attrs {
			d.Attributes[a.key] = dataValue(a.value)
		}
	}
	if len(x.metadata) > 0 {
		d.Metadata = make(map[string]any, len(x.metadata))
		for k, v := range x.metadata {
			d.Metadata[k] = v
		}
	}
	return d
}

// dataValue passes plain values through so that a redaction hook can
// inspect them, and pre-encodes the rest so that a value encoding/json
// cannot handle does not fail the span.
func dataValue(v any) any {
	switch v := v.(type) {
	case nil, string, bool, int, int32, int64, uint, uint32, uint64:
		return v
	case float64:
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v
		}
	}
	return json.RawMessage(appendValue(nil, v))
}

// appendSpanJSON appends the span as the collector's span object.
func appendSpanJSON(b []byte, s *Span) []byte {
	x := s.xr()
	b = append(b, `{"trace_id":"`...)
	b = hex.AppendEncode(b, s.ts.id[:])
	b = append(b, `","span_id":"`...)
	b = hex.AppendEncode(b, s.id[:])
	b = append(b, '"')
	if s.parent.isValid() {
		b = append(b, `,"parent_span_id":"`...)
		b = hex.AppendEncode(b, s.parent[:])
		b = append(b, '"')
	}
	b = appendField(b, "name", wireName(s))
	b = appendField(b, "type", string(wireType(s)))
	b = append(b, `,"start_time":`...)
	b = appendTime(b, s.start)
	b = append(b, `,"end_time":`...)
	b = appendTime(b, s.start.Add(s.dur))
	b = appendField(b, "status", wireStatus(s))
	b = appendField(b, "error_type", x.errType)
	b = appendField(b, "error_message", x.errMsg)
	b = appendRaw(b, "input", x.inputJSON)
	b = appendRaw(b, "output", x.outputJSON)
	b = appendRaw(b, "raw_input", x.rawInput)
	b = appendRaw(b, "raw_output", x.rawOutput)
	b = appendField(b, "model", x.model)
	b = appendField(b, "request_model", x.requestModel)
	b = appendField(b, "provider", x.provider)
	if x.hasUsage {
		b = appendUsage(b, &x.usage)
	}
	if x.hasCost {
		b = append(b, `,"cost_usd":`...)
		b = appendFloat(b, x.cost)
	}
	if x.hasTTFT {
		b = append(b, `,"time_to_first_token_ms":`...)
		b = appendFloat(b, ttftMS(x.ttft))
	}
	if len(s.attrs) > 0 {
		b = append(b, `,"attributes":{`...)
		for i, a := range s.attrs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, a.key)
			b = append(b, ':')
			b = appendValue(b, a.value)
		}
		b = append(b, '}')
	}
	if len(x.tags) > 0 {
		b = append(b, `,"tags":[`...)
		for i, t := range x.tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, t)
		}
		b = append(b, ']')
	}
	b = appendField(b, "agent_name", s.agentName)
	b = appendField(b, "user_id", x.userID)
	b = appendField(b, "session_id", x.sessionID)
	if len(x.metadata) > 0 {
		b = append(b, `,"metadata":`...)
		b = appendValue(b, x.metadata)
	}
	return append(b, '}')
}

func appendUsage(b []byte, u *Usage) []byte {
	b = append(b, `,"usage":{`...)
	first := true
	for _, f := range [...]struct {
		name string
		v    int64
	}{
		{"input_tokens", u.InputTokens},
		{"output_tokens", u.OutputTokens},
		{"cached_tokens", u.CachedTokens},
		{"cache_creation_tokens", u.CacheCreationTokens},
		{"reasoning_tokens", u.ReasoningTokens},
		{"total_tokens", u.TotalTokens},
	} {
		if f.v == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, f.name...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, f.v, 10)
	}
	return append(b, '}')
}

// appendField appends ,"name":"value" unless value is empty, matching
// omitempty.
func appendField(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

func appendRaw(b []byte, name string, raw []byte) []byte {
	if len(raw) == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return append(b, raw...)
}

// appendValue encodes the common attribute types without reflection and
// falls back to encoding/json for the rest.
func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case float64:
		return appendFloat(b, v)
	case float32:
		return appendFloat(b, float64(v))
	case time.Duration:
		return strconv.AppendInt(b, int64(v), 10)
	case time.Time:
		return appendTime(b, v)
	case error:
		return appendString(b, v.Error())
	}
	j, err := json.Marshal(v)
	if err != nil {
		return appendString(b, "tracium: cannot encode value as JSON: "+err.Error())
	}
	return append(b, j...)
}

// appendTime writes t as a quoted RFC 3339 UTC time with nine fractional
// digits. It is time.AppendFormat(timeLayout) without the layout parsing,
// which was a third of the cost of encoding a span.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	if year < 0 || year > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, timeLayout)
		return append(b, '"')
	}
	b = append(b, '"')
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond(), 9)
	return append(b, 'Z', '"')
}

// appendDigits writes v zero-padded to width digits.
func appendDigits(b []byte, v, width int) []byte {
	var buf [9]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[:width]...)
}

// appendFloat writes NaN and infinities as null: JSON has no spelling for
// them and one bad number must not make the collector reject the span.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendString writes s as a JSON string, replacing invalid UTF-8 as
// encoding/json does.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
