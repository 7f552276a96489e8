package otlp

import (
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// What a span keeps in its attributes besides the attributes no rule
// mapped: the attributes the mapping writes under the SDK's names, the
// resource's service, the instrumentation scope, the OTel span kind and
// trace state, the events and links, and what the sender or the mapping
// left out.
const (
	attrScopeName      = "otel.scope.name"
	attrScopeVersion   = "otel.scope.version"
	attrSpanKind       = "otel.span.kind"
	attrTraceState     = "otel.trace_state"
	attrEvents         = "otel.events"
	attrLinks          = "otel.links"
	attrDroppedAttrs   = "otel.dropped_attributes_count"
	attrDroppedEvents  = "otel.dropped_events_count"
	attrDroppedLinks   = "otel.dropped_links_count"
	attrTruncatedAttrs = "tracium.truncated_attributes"
)

// resourceKeys are the resource attributes kept on every span: which
// service sent it. The rest of a resource describes the process (host,
// runtime, SDK) and is not kept.
var resourceKeys = [...]string{"service.name", "service.namespace", "service.version",
	"deployment.environment.name", "deployment.environment"}

// messageAttrs are the operation details event's attributes the chat
// reads (eventStripped).
var messageAttrs = map[string]bool{"gen_ai.input.messages": true, "gen_ai.output.messages": true,
	"gen_ai.system_instructions": true}

// attributes writes the span's attributes as one JSON object.
func (m *mapper) attributes() []byte {
	a, sp := &m.attrs, m.span
	b := make([]byte, 0, 256)
	b = append(b, '{')
	n := 0
	sep := func(k string) {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendString(b, k)
		b = append(b, ':')
	}
	for k, v := range a.src.All() {
		if kk, ok := keyByName[k]; ok && a.isUsed(kk) {
			continue
		}
		if f, _, ok := familyOf(k); ok && a.famUsed[f] {
			continue
		}
		sep(k)
		cut := false
		b = appendValue(b, v, 1, &cut)
		if cut {
			m.truncated = append(m.truncated, k)
		}
	}
	// An attribute the span sent under the same name wins.
	sent := func(k string) bool {
		if kk, ok := keyByName[k]; ok && a.isUsed(kk) {
			return false
		}
		_, ok := a.src.Get(k)
		return ok
	}
	for _, e := range m.extra {
		if !sent(e.key) {
			sep(e.key)
			b = append(b, e.val...)
		}
	}
	for _, k := range resourceKeys {
		if v, ok := m.resource.Get(k); ok && !sent(k) {
			sep(k)
			b = appendValue(b, v, 1, nil)
		}
	}
	if s := m.scope.Name(); s != "" {
		sep(attrScopeName)
		b = appendString(b, s)
	}
	if s := m.scope.Version(); s != "" {
		sep(attrScopeVersion)
		b = appendString(b, s)
	}
	if k := sp.Kind(); k != ptrace.SpanKindUnspecified {
		sep(attrSpanKind)
		b = appendString(b, spanKindName(k))
	}
	if s := sp.TraceState().AsRaw(); s != "" {
		sep(attrTraceState)
		b = appendString(b, s)
	}
	droppedEvents := int64(sp.DroppedEventsCount())
	if kept, dropped := m.keptEvents(); kept > 0 || dropped > 0 {
		droppedEvents += int64(dropped)
		if kept > 0 {
			sep(attrEvents)
			b = m.appendEvents(b)
		}
	}
	links := sp.Links()
	if links.Len() > 0 {
		sep(attrLinks)
		b = appendLinks(b, links)
	}
	for _, c := range [...]struct {
		key string
		n   int64
	}{
		{attrDroppedAttrs, int64(sp.DroppedAttributesCount())},
		{attrDroppedEvents, droppedEvents},
		{attrDroppedLinks, int64(sp.DroppedLinksCount()) + int64(max(links.Len()-maxLinks, 0))},
	} {
		if c.n > 0 {
			sep(c.key)
			b = appendInt(b, c.n)
		}
	}
	if len(m.truncated) > 0 {
		sep(attrTruncatedAttrs)
		b = append(b, '[')
		for i, k := range m.truncated {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
		}
		b = append(b, ']')
	}
	if n == 0 {
		return nil
	}
	return append(b, '}')
}

func spanKindName(k ptrace.SpanKind) string {
	switch k {
	case ptrace.SpanKindInternal:
		return "internal"
	case ptrace.SpanKindServer:
		return "server"
	case ptrace.SpanKindClient:
		return "client"
	case ptrace.SpanKindProducer:
		return "producer"
	case ptrace.SpanKindConsumer:
		return "consumer"
	}
	return "unspecified"
}

// keptEvents counts the events to keep (those the mapping did not read)
// up to maxEvents, and the ones past it.
func (m *mapper) keptEvents() (kept, dropped int) {
	for _, u := range m.eventsUsed {
		if u != eventRead {
			kept++
		}
	}
	return min(kept, maxEvents), max(kept-maxEvents, 0)
}

// appendEvents writes the kept events: [{name, time, attributes}].
func (m *mapper) appendEvents(b []byte) []byte {
	events := m.span.Events()
	b = append(b, '[')
	n := 0
	for i := 0; i < events.Len() && n < maxEvents; i++ {
		if m.eventsUsed[i] == eventRead {
			continue
		}
		ev := events.At(i)
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, `{"name":`...)
		b = appendString(b, ev.Name())
		b = append(b, `,"time":`...)
		b = appendTime(b, ev.Timestamp())
		attrs := ev.Attributes()
		if attrs.Len() > 0 {
			b = append(b, `,"attributes":{`...)
			first := true
			for k, v := range attrs.All() {
				if m.eventsUsed[i] == eventStripped && messageAttrs[k] {
					continue
				}
				if !first {
					b = append(b, ',')
				}
				first = false
				b = appendString(b, k)
				b = append(b, ':')
				b = appendValue(b, v, 4, nil)
			}
			b = append(b, '}')
		}
		if d := ev.DroppedAttributesCount(); d > 0 {
			b = append(b, `,"dropped_attributes_count":`...)
			b = appendInt(b, int64(d))
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendLinks writes the first maxLinks links: [{trace_id, span_id,
// trace_state, attributes}].
func appendLinks(b []byte, links ptrace.SpanLinkSlice) []byte {
	b = append(b, '[')
	for i := 0; i < links.Len() && i < maxLinks; i++ {
		l := links.At(i)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"trace_id":`...)
		b = appendString(b, l.TraceID().String())
		b = append(b, `,"span_id":`...)
		b = appendString(b, l.SpanID().String())
		if s := l.TraceState().AsRaw(); s != "" {
			b = append(b, `,"trace_state":`...)
			b = appendString(b, s)
		}
		if attrs := l.Attributes(); attrs.Len() > 0 {
			b = append(b, `,"attributes":`...)
			b = appendMap(b, attrs, 4, nil)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendTime(b []byte, ts pcommon.Timestamp) []byte {
	b = append(b, '"')
	b = ts.AsTime().UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }
