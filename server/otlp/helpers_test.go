package otlp

import (
	"encoding/json"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/store"
)

// testStart is the start time of the spans the tests build.
var testStart = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// spanOpts describes one OTLP span for a test.
type spanOpts struct {
	name     string
	kind     ptrace.SpanKind
	attrs    map[string]any
	resource map[string]any
	events   []eventOpts
	status   ptrace.StatusCode
	message  string
	parent   pcommon.SpanID
	traceID  pcommon.TraceID
	// flags are OTLP's SpanFlags: 0x100 says whether the parent is
	// remote is known, 0x200 that it is.
	flags uint32
}

type eventOpts struct {
	name  string
	attrs map[string]any
}

var (
	testTraceID = pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	testSpanID  = pcommon.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

// traces builds an export of the given spans, each in its own resource.
func traces(t testing.TB, spans ...spanOpts) ptrace.Traces {
	t.Helper()
	td := ptrace.NewTraces()
	for i, o := range spans {
		rs := td.ResourceSpans().AppendEmpty()
		if err := rs.Resource().Attributes().FromRaw(o.resource); err != nil {
			t.Fatalf("resource: %v", err)
		}
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("test.scope")
		ss.Scope().SetVersion("1.2.3")
		sp := ss.Spans().AppendEmpty()
		tid := o.traceID
		if tid.IsEmpty() {
			tid = testTraceID
		}
		sp.SetTraceID(tid)
		sid := testSpanID
		sid[7] += byte(i)
		sp.SetSpanID(sid)
		sp.SetParentSpanID(o.parent)
		sp.SetFlags(o.flags)
		sp.SetName(o.name)
		sp.SetKind(o.kind)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(testStart))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(testStart.Add(1200 * time.Millisecond)))
		if err := sp.Attributes().FromRaw(o.attrs); err != nil {
			t.Fatalf("attributes: %v", err)
		}
		for _, e := range o.events {
			ev := sp.Events().AppendEmpty()
			ev.SetName(e.name)
			ev.SetTimestamp(pcommon.NewTimestampFromTime(testStart.Add(time.Millisecond)))
			if err := ev.Attributes().FromRaw(e.attrs); err != nil {
				t.Fatalf("event attributes: %v", err)
			}
		}
		sp.Status().SetCode(o.status)
		sp.Status().SetMessage(o.message)
	}
	return td
}

// mapOne maps one span and checks that the store accepts it.
func mapOne(t testing.TB, o spanOpts) store.Span {
	t.Helper()
	spans, rejected := Map(traces(t, o))
	if len(rejected) > 0 || len(spans) != 1 {
		t.Fatalf("Map: %d spans, rejected %+v", len(spans), rejected)
	}
	s := spans[0]
	s.Normalize()
	if err := s.Validate(); err != nil {
		t.Fatalf("the store refuses the mapped span: %v\n%+v", err, s)
	}
	return s
}

// attrsOf decodes a span's attributes.
func attrsOf(t testing.TB, s store.Span) map[string]any {
	t.Helper()
	m := map[string]any{}
	if s.Attributes != nil {
		if err := json.Unmarshal(s.Attributes, &m); err != nil {
			t.Fatalf("attributes %s: %v", s.Attributes, err)
		}
	}
	return m
}

// chatOf reads a span's input or output as the recorded chat.
func chatOf(t testing.TB, raw []byte) tracium.Chat {
	t.Helper()
	c, ok := tracium.ParseChat(raw)
	if !ok {
		t.Fatalf("not a recorded chat: %s", raw)
	}
	return c
}

// chatJSON is the canonical JSON of a chat, for comparisons.
func chatJSON(t testing.TB, c tracium.Chat) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantChat compares a span's input or output with the chat whose JSON is
// want.
func wantChat(t testing.TB, what string, raw []byte, want string) {
	t.Helper()
	var w tracium.Chat
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	if got := chatJSON(t, chatOf(t, raw)); got != chatJSON(t, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, got, chatJSON(t, w))
	}
}
