// Package otlp maps OpenTelemetry traces (OTLP) onto Tracium spans: the one
// mapping the collector's OTLP endpoints and the Go bridge share. It reads
// the OpenTelemetry GenAI semantic conventions and the conventions of the
// common emitters (OpenInference, OpenLLMetry, the Vercel AI SDK, Genkit,
// ADK) and writes spans in the recorded chat shape (sdk/chat.go) and the
// token convention (store.Usage), as the SDK records them, so that a call
// looks and costs the same however it arrived. docs/opentelemetry.md
// lists the rules; the tables in this package are their one definition.
package otlp

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracium/tracium/store"
)

// Rejection names a span that was not mapped and why.
type Rejection struct {
	TraceID, SpanID string // hex, as sent ("" when unreadable)
	Reason          string
}

// Map turns the spans of one OTLP export into Tracium spans in the recorded
// shape and token convention. Spans it cannot map are returned as rejections
// (never a panic, whatever the input); the others are mapped regardless.
//
// The spans are what store.Span.Validate accepts once normalized; ingest
// still checks them against its window and limits. Map is safe for
// concurrent use and does not modify td.
func Map(td ptrace.Traces) (spans []store.Span, rejected []Rejection) {
	m := mappers.Get().(*mapper)
	defer m.release()
	spans = make([]store.Span, 0, td.SpanCount())
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		m.resource = rs.Resource().Attributes()
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			m.scope = ss.Scope()
			sps := ss.Spans()
			for k := 0; k < sps.Len(); k++ {
				sp := sps.At(k)
				s, err := m.mapSpan(sp)
				if err != nil {
					rejected = append(rejected, Rejection{
						TraceID: sp.TraceID().String(), SpanID: sp.SpanID().String(), Reason: err.Error()})
					continue
				}
				spans = append(spans, s)
			}
		}
	}
	return spans, rejected
}

// errInternal is the reason given for a span the mapping failed on: a
// bug, never the sender's fault, and never a reason to drop the export.
var errInternal = errors.New("internal error mapping the span")

// mapper holds what one export's spans share and the scratch space reused
// from span to span.
type mapper struct {
	resource pcommon.Map
	scope    pcommon.InstrumentationScope

	attrs      spanAttrs
	span       ptrace.Span
	eventsUsed []uint8
	// extra are attributes the mapping adds under the SDK's names (a
	// request parameter, a tool's name from another convention).
	extra []extraAttr
	// truncated lists the attributes whose values were cut.
	truncated []string
	genkit    genkitCache
}

// mappers recycles the scratch space of the exports mapped at once.
var mappers = sync.Pool{New: func() any { return new(mapper) }}

// release returns m to the pool holding nothing of the export.
func (m *mapper) release() {
	m.resource, m.scope, m.span = pcommon.Map{}, pcommon.InstrumentationScope{}, ptrace.Span{}
	m.attrs.src, m.attrs.vals = pcommon.Map{}, [numKeys]pcommon.Value{}
	for f := range m.attrs.fams {
		clear(m.attrs.fams[f])
	}
	clear(m.extra)
	m.genkit = genkitCache{}
	mappers.Put(m)
}

type extraAttr struct {
	key string
	val []byte // JSON
}

func (m *mapper) mapSpan(sp ptrace.Span) (s store.Span, err error) {
	defer func() {
		if recover() != nil {
			s, err = store.Span{}, errInternal
		}
	}()
	m.span = sp
	m.attrs.reset(sp.Attributes())
	m.extra, m.truncated = m.extra[:0], m.truncated[:0]
	m.genkit = genkitCache{}
	m.eventsUsed = m.eventsUsed[:0]
	for i := 0; i < sp.Events().Len(); i++ {
		m.eventsUsed = append(m.eventsUsed, eventKept)
	}

	if err := m.mapIdentity(&s); err != nil {
		return store.Span{}, err
	}
	s.Name, _ = fieldString(sp.Name(), store.MaxNameLen)
	if s.Name == "" {
		op, _ := m.attrs.str(kGenAIOperationName)
		s.Name, _ = fieldString(cmpStr(op, "span"), store.MaxNameLen)
	}
	s.Type = spanType(&m.attrs, sp.Kind())
	m.mapModel(&s)
	m.mapUsage(&s)
	m.mapPayloads(&s)
	m.mapTool(&s)
	m.mapTraceFields(&s)
	m.mapTiming(&s)
	m.mapStatus(&s)
	m.mapParams()
	s.Attributes = m.attributes()
	return s, nil
}

// mapIdentity sets the ids, the parent and the times, honouring the
// Tracium bridge's markers: tracium.trace_id puts the span in that trace,
// tracium.parent_span_id under that span. The bridge sets the parent
// marker only when the Tracium span is the span's parent by its rule (of
// a Tracium and an OpenTelemetry parent in one context, the one started
// last), so the marker wins over the span's own parent: that parent is
// then one the Tracium span is under already (the remote caller an
// otelhttp handler's span continues, inside tracium.HTTPMiddleware) or a
// span of another trace id.
func (m *mapper) mapIdentity(s *store.Span) error {
	sp, a := m.span, &m.attrs
	s.TraceID = sp.TraceID().String()
	if id, ok := a.str(kTraciumTraceID); ok {
		if id, ok := hexID(id, 32); ok {
			s.TraceID = id
			a.use(kTraciumTraceID)
		}
	}
	if s.TraceID == "" {
		return errors.New("trace_id is empty")
	}
	if sp.SpanID().IsEmpty() {
		return errors.New("span_id is empty")
	}
	s.SpanID = sp.SpanID().String()
	if id, ok := a.str(kTraciumParentSpanID); ok {
		if id, ok := hexID(id, 16); ok && id != s.SpanID {
			s.ParentSpanID = id
			a.use(kTraciumParentSpanID)
		}
	}
	if p := sp.ParentSpanID(); s.ParentSpanID == "" && !p.IsEmpty() {
		s.ParentSpanID = p.String()
	}
	if s.ParentSpanID == s.SpanID {
		return errors.New("parent_span_id equals span_id")
	}
	start, end := sp.StartTimestamp(), sp.EndTimestamp()
	if start == 0 {
		return errors.New("start_time_unix_nano is missing")
	}
	s.StartTime, s.EndTime = start.AsTime().UTC(), end.AsTime().UTC()
	if y := s.StartTime.Year(); y < 2000 || y > 9999 {
		return fmt.Errorf("start_time %s is out of range", s.StartTime.Format(time.RFC3339))
	}
	if end < start || s.EndTime.Before(s.StartTime) {
		return errors.New("end_time_unix_nano is before start_time_unix_nano")
	}
	return nil
}

// hexID reads a marker's id: n hex digits, not all zero, in lower case.
func hexID(s string, n int) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) != n || strings.Trim(s, "0") == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", false
		}
	}
	return s, true
}

// field returns the first of keys holding a non-blank string, cleaned
// and cut to n bytes. A value that had to be cut is left in the span's
// attributes whole as well.
func (m *mapper) field(keys []key, n int) (string, bool) {
	a := &m.attrs
	for _, k := range keys {
		if v, ok := a.str(k); ok {
			out, cut := fieldString(v, n)
			if !cut {
				a.use(k)
			}
			return out, true
		}
	}
	return "", false
}
