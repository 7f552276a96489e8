package otlp

import (
	"encoding/json"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/store"
)

// The trace-level fields, tool details, timing and status, first match
// wins.
var (
	sessionKeys   = []key{kGenAIConversationID, kSessionID, kTraceloopSessionID, kAISessionID}
	userKeys      = []key{kUserID, kEndUserID, kTraceloopUserID, kAIUserID}
	agentKeys     = []key{kGenAIAgentName, kAgentName}
	toolNameKeys  = []key{kGenAIToolName, kToolName, kAIToolCallName}
	toolCallIDKey = []key{kGenAIToolCallID, kAIToolCallID}
)

func (m *mapper) mapTraceFields(s *store.Span) {
	s.SessionID, _ = m.field(sessionKeys, store.MaxFieldLen)
	s.UserID, _ = m.field(userKeys, store.MaxFieldLen)
	s.AgentName, _ = m.field(agentKeys, store.MaxFieldLen)
	s.Tags = m.tags()
	s.Metadata = m.metadata()
}

// tags reads tag.tags: a list of strings, or the JSON of one. Tags that
// do not fit the store's limits are cut (at store.MaxTagLen bytes, the
// first store.MaxTags), and then the attribute stays whole as well.
func (m *mapper) tags() []string {
	v, ok := m.attrs.value(kTagTags)
	if !ok {
		return nil
	}
	var list []string
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		for i := 0; i < v.Slice().Len(); i++ {
			list = append(list, v.Slice().At(i).AsString())
		}
	case pcommon.ValueTypeStr:
		if json.Unmarshal([]byte(v.Str()), &list) != nil {
			list = []string{v.Str()}
		}
	default:
		return nil
	}
	tags := make([]string, 0, len(list))
	cut := false
	for _, t := range list {
		t, c := fieldString(t, store.MaxTagLen)
		cut = cut || c
		if t != "" {
			tags = append(tags, t)
		}
	}
	if len(tags) > store.MaxTags {
		tags, cut = tags[:store.MaxTags], true
	}
	if len(tags) == 0 {
		return nil
	}
	if !cut {
		m.attrs.use(kTagTags)
	}
	return tags
}

// metadata reads metadata (OpenInference: the JSON of an object), else
// the metadata.* attributes as one object.
func (m *mapper) metadata() json.RawMessage {
	a := &m.attrs
	if v, ok := a.value(kMetadata); ok {
		var raw []byte
		switch v.Type() {
		case pcommon.ValueTypeMap:
			raw = appendValue(nil, v, 0, nil)
		case pcommon.ValueTypeStr:
			raw = []byte(strings.TrimSpace(v.Str()))
		}
		if len(raw) > 0 && raw[0] == '{' && jsonDepth(raw) <= maxValueDepth && store.CheckJSON(raw, store.JSONB) == nil {
			a.use(kMetadata)
			return raw
		}
	}
	fam := a.fams[famMetadata]
	if len(fam) == 0 {
		return nil
	}
	b := append(make([]byte, 0, 64), '{')
	for i, f := range fam {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.rest)
		b = append(b, ':')
		b = appendValue(b, f.val, 1, nil)
	}
	a.famUsed[famMetadata] = true
	return append(b, '}')
}

// mapTool records a tool span's name and call id under the SDK's
// attribute names (tracium.AttrToolName, tracium.AttrToolCallID), from
// whichever convention named them. The arguments and result are the
// span's input and output (payloads.go).
func (m *mapper) mapTool(s *store.Span) {
	a := &m.attrs
	for _, rename := range [...]struct {
		keys []key
		attr string
	}{{toolNameKeys, tracium.AttrToolName}, {toolCallIDKey, tracium.AttrToolCallID}} {
		for _, k := range rename.keys {
			v, ok := a.str(k)
			if !ok || v == "<not specified>" {
				continue
			}
			if keyNames[k] != rename.attr {
				a.use(k)
				m.extra = append(m.extra, extraAttr{rename.attr, appendString(nil, v)})
			}
			break
		}
	}
	// A tool span that names no tool is named by its framework's name for
	// the span, which stays: a Genkit tool action's genkit:name, an
	// OpenLLMetry tool's traceloop.entity.name.
	if s.Type != store.SpanTool || a.present(kGenAIToolName) || a.present(kToolName) || a.present(kAIToolCallName) {
		return
	}
	var name string
	switch kind, _ := a.str(kTraceloopSpanKind); {
	case a.present(kGenkitType):
		name, _ = a.str(kGenkitName)
	case kind == "tool":
		name, _ = a.str(kTraceloopEntityName)
	}
	if name != "" {
		m.extra = append(m.extra, extraAttr{tracium.AttrToolName, appendString(nil, name)})
	}
}

// mapTiming sets the time to first token: gen_ai.response.time_to_first_chunk
// and the AI SDK's gen_ai.client.operation.time_to_first_chunk in
// seconds, the AI SDK's ai.response.msToFirstChunk in milliseconds.
func (m *mapper) mapTiming(s *store.Span) {
	a := &m.attrs
	for _, t := range [...]struct {
		k     key
		scale float64
	}{{kGenAITimeToFirstChunk, 1000}, {kGenAIClientTimeToFirstChunk, 1000}, {kAIMsToFirstChunk, 1}} {
		if f, ok := a.number(t.k); ok && f >= 0 && f*t.scale <= store.MaxTimeToFirstTokenMS {
			ms := f * t.scale
			s.TimeToFirstTokenMS = &ms
			a.use(t.k)
			return
		}
	}
}

// mapStatus sets the outcome. A span fails when its status code is ERROR;
// its message is the status message, else the last exception event's
// exception.message, and its type the exception's exception.type, else
// error.type. The exception's stack trace is kept as the
// exception.stacktrace attribute, which the UI shows.
func (m *mapper) mapStatus(s *store.Span) {
	st := m.span.Status()
	s.Status = store.StatusOK
	if st.Code() != ptrace.StatusCodeError {
		return
	}
	s.Status = store.StatusError
	s.ErrorMessage = cleanString(st.Message())
	events := m.span.Events()
	for i := events.Len() - 1; i >= 0; i-- {
		ev := events.At(i)
		if ev.Name() != "exception" {
			continue
		}
		attrs := ev.Attributes()
		if t, ok := attrs.Get("exception.type"); ok {
			s.ErrorType, _ = fieldString(t.AsString(), store.MaxFieldLen)
		}
		if msg, ok := attrs.Get("exception.message"); ok && s.ErrorMessage == "" {
			s.ErrorMessage, _ = fieldString(msg.AsString(), maxValueBytes)
		}
		if st, ok := attrs.Get("exception.stacktrace"); ok {
			m.extra = append(m.extra, extraAttr{"exception.stacktrace", appendValue(nil, st, 0, nil)})
		}
		msg, hasMsg := attrs.Get("exception.message")
		if onlyExceptionAttrs(attrs) && (!hasMsg || cleanString(msg.AsString()) == s.ErrorMessage) {
			m.eventsUsed[i] = eventRead
		}
		break
	}
	if s.ErrorType == "" {
		if t, ok := m.attrs.str(kErrorType); ok {
			s.ErrorType, _ = fieldString(t, store.MaxFieldLen)
			m.attrs.use(kErrorType)
		}
	}
	s.ErrorMessage, _ = fieldString(s.ErrorMessage, maxValueBytes)
}

// onlyExceptionAttrs reports whether an exception event carries nothing
// but the attributes mapStatus reads, so that leaving it out loses
// nothing.
func onlyExceptionAttrs(attrs pcommon.Map) bool {
	for k := range attrs.All() {
		switch k {
		case "exception.type", "exception.message", "exception.stacktrace", "exception.escaped":
		default:
			return false
		}
	}
	return true
}

// requestParams renames the GenAI request parameters to the attribute
// names the SDK records and the UI reads (tracium.AttrTemperature, ...).
var requestParams = [...]struct {
	k    key
	attr string
}{
	{kGenAIRequestTemperature, tracium.AttrTemperature},
	{kGenAIRequestTopP, tracium.AttrTopP},
	{kGenAIRequestMaxTokens, tracium.AttrMaxTokens},
	{kGenAIRequestStream, tracium.AttrStream},
}

func (m *mapper) mapParams() {
	for _, p := range requestParams {
		if v, ok := m.attrs.value(p.k); ok && v.Type() != pcommon.ValueTypeMap && v.Type() != pcommon.ValueTypeSlice {
			m.attrs.use(p.k)
			m.extra = append(m.extra, extraAttr{p.attr, appendValue(nil, v, 0, nil)})
		}
	}
}
