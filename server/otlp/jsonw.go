package otlp

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracium/tracium/store"
)

// Bounds on what one span carries over from OTLP. The export as a whole
// is bounded by ingest's body limit; these keep one value from dominating
// a span, as the SDK's own recording limits do.
const (
	// maxValueBytes bounds each string: an attribute value, a message
	// part's text. The SDK cuts recorded text at the same 1 MiB.
	maxValueBytes = 1 << 20
	// maxValueDepth bounds the nesting of map and array values written
	// as JSON; store.MaxJSONDepth is the stores' own limit, and a value
	// sits a few levels down in a span's attributes or chat.
	maxValueDepth = 64
	// maxCount bounds each token count (store.MaxTokenCount).
	maxCount = store.MaxTokenCount
	// maxEvents and maxLinks bound the events and links kept in a span's
	// attributes: OpenTelemetry SDKs' own default limits.
	maxEvents = 128
	maxLinks  = 128
)

// tooDeep replaces a value nested beyond maxValueDepth.
const tooDeep = "[nested too deeply]"

// cutString shortens s to at most n bytes on a rune boundary.
func cutString(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}

// cleanString returns s as valid UTF-8 without NUL characters, what every
// store's text holds: invalid bytes and NUL become U+FFFD.
func cleanString(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// fieldString is s cleaned and cut to n bytes for a span field; cut says
// it did not fit.
func fieldString(s string, n int) (out string, cut bool) {
	return cutString(cleanString(strings.TrimSpace(s)), n)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string that every store accepts:
// invalid UTF-8 and NUL become U+FFFD (PostgreSQL's jsonb refuses
// \u0000), control characters are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
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
			case 0:
				b = append(b, "\uFFFD"...)
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendValue appends v as JSON: strings cut at maxValueBytes, bytes as
// base64, doubles that JSON cannot hold (NaN, ±Inf) as strings, maps and
// arrays nested at most maxValueDepth deep. cut, when not nil, is set
// when something was cut.
func appendValue(b []byte, v pcommon.Value, depth int, cut *bool) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s, c := cutString(v.Str(), maxValueBytes)
		if c && cut != nil {
			*cut = true
		}
		return appendString(b, s)
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(b, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return appendFloat(b, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(b, v.Bool())
	case pcommon.ValueTypeBytes:
		raw := v.Bytes().AsRaw()
		if len(raw) > maxValueBytes/4*3 {
			raw = raw[:maxValueBytes/4*3]
			if cut != nil {
				*cut = true
			}
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, raw)
		return append(b, '"')
	case pcommon.ValueTypeMap:
		if depth >= maxValueDepth {
			if cut != nil {
				*cut = true
			}
			return appendString(b, tooDeep)
		}
		return appendMap(b, v.Map(), depth+1, cut)
	case pcommon.ValueTypeSlice:
		if depth >= maxValueDepth {
			if cut != nil {
				*cut = true
			}
			return appendString(b, tooDeep)
		}
		b = append(b, '[')
		sl := v.Slice()
		for i := 0; i < sl.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, sl.At(i), depth+1, cut)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

// appendMap appends m as a JSON object whose values sit at depth.
func appendMap(b []byte, m pcommon.Map, depth int, cut *bool) []byte {
	b = append(b, '{')
	first := true
	for k, e := range m.All() {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, k)
		b = append(b, ':')
		b = appendValue(b, e, depth, cut)
	}
	return append(b, '}')
}

func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return appendString(b, "NaN")
	case math.IsInf(f, 1):
		return appendString(b, "+Inf")
	case math.IsInf(f, -1):
		return appendString(b, "-Inf")
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// jsonDepth returns the deepest nesting of arrays and objects in b, a
// JSON text; strings are skipped.
func jsonDepth(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			depth--
		}
	}
	return deepest
}

// rawJSON returns b when it is JSON a span field can hold a few levels
// down (valid, UTF-8, nested at most maxValueDepth deep), else nil.
func rawJSON(b []byte) []byte {
	if len(b) == 0 || jsonDepth(b) > maxValueDepth || store.CheckJSON(b, store.JSONText) != nil {
		return nil
	}
	return b
}

// jsonValue is s as a JSON value: s itself when it is JSON a span can
// hold, else s as a JSON string (cut at maxValueBytes). It is the SDK's
// rule (tracium.JSONValue) with the stores' checks.
func jsonValue(s string) []byte {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil
	}
	if len(t) <= maxValueBytes {
		if raw := rawJSON([]byte(t)); raw != nil {
			return raw
		}
	}
	s, _ = cutString(s, maxValueBytes)
	return appendString(nil, s)
}
