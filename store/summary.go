package store

import (
	"cmp"
	"slices"
	"time"
	"unicode/utf8"
)

// The rules by which spans make a trace, shared by every backend: a write
// summarises the spans it inserted (Summarize) and folds that into the
// stored trace (Trace.Merge, or its equivalent in SQL). Because only newly
// inserted spans are summarised, the result does not depend on the order,
// the batching or the repetition of the spans.

// TraceDelta is what one write adds to a trace.
type TraceDelta struct {
	// Trace holds the counts, sums, time range, tags and models of the
	// spans, and the trace-level fields the first of them offers.
	Trace
	// Root is the delta's root span, nil when it holds none.
	Root *Span
	// SearchText is the spans' SearchText joined in the order given
	// (JoinSearchText); a backend appends it to the trace's.
	SearchText string
}

// SpanIndex is what a store keeps of a span beside its fields, for model
// filters and text search. A write computes it once per span (IndexSpan)
// and hands it to SummarizeIndexed.
type SpanIndex struct {
	ModelKeys  []string // SpanModelKeys
	SearchText string   // SearchText
}

// IndexSpan returns s's SpanIndex.
func IndexSpan(s *Span) SpanIndex {
	return SpanIndex{ModelKeys: SpanModelKeys(s.Model, s.RequestModel), SearchText: SearchText(s)}
}

// Summarize folds spans of one trace, given in the order the store
// received them. Where they disagree on a trace-level field, the root
// wins, then the earliest start; the order only decides the order of
// their search texts. spans must not be empty.
func Summarize(spans []Span) TraceDelta {
	index := make([]SpanIndex, len(spans))
	for i := range spans {
		index[i] = IndexSpan(&spans[i])
	}
	return SummarizeIndexed(spans, index)
}

// SummarizeIndexed is Summarize with each span's IndexSpan given:
// index[i] is that of spans[i].
func SummarizeIndexed(spans []Span, index []SpanIndex) TraceDelta {
	var text searchJoiner
	var keys []string
	size := 0
	for i := range spans {
		size += len(index[i].SearchText) + 1
	}
	text.buf.Grow(min(size, utf8.UTFMax*MaxTraceSearchRunes))
	for i := range spans {
		text.add(index[i].SearchText)
		keys = append(keys, index[i].ModelKeys...)
	}
	ordered := make([]*Span, len(spans))
	for i := range spans {
		ordered[i] = &spans[i]
	}
	slices.SortFunc(ordered, func(a, b *Span) int {
		if a.IsRoot() != b.IsRoot() {
			if a.IsRoot() {
				return -1
			}
			return 1
		}
		return cmp.Or(a.StartTime.Compare(b.StartTime), cmp.Compare(a.SpanID, b.SpanID))
	})
	first := ordered[0]
	d := TraceDelta{Trace: Trace{TraceID: first.TraceID, Name: first.Name, StartTime: first.StartTime, EndTime: first.EndTime},
		SearchText: text.buf.String()}
	if first.IsRoot() {
		d.Root = first
		d.RootSpanID, d.Input, d.Output = first.SpanID, first.Input, first.Output
	}
	var tags, models []string
	for _, s := range ordered {
		d.StartTime, d.EndTime = minTime(d.StartTime, s.StartTime), maxTime(d.EndTime, s.EndTime)
		d.SpanCount++
		if s.Status == StatusError {
			d.ErrorCount++
		}
		if s.Usage != nil {
			d.Usage = d.Usage.Add(*s.Usage)
		}
		if s.CostUSD != nil {
			d.CostUSD += *s.CostUSD
		}
		tags = append(tags, s.Tags...)
		if m := cmp.Or(s.Model, s.RequestModel); m != "" {
			models = append(models, m)
		}
		d.AgentName = cmp.Or(d.AgentName, s.AgentName)
		d.UserID = cmp.Or(d.UserID, s.UserID)
		d.SessionID = cmp.Or(d.SessionID, s.SessionID)
		d.Metadata = firstSet(d.Metadata, s.Metadata)
	}
	d.Tags, d.Models, d.ModelKeys = sortedSet(tags), sortedSet(models), sortedSet(keys)
	d.Status = StatusOK
	if d.ErrorCount > 0 {
		d.Status = StatusError
	}
	return d
}

// Merge folds d into t and reports whether d brought the trace its root.
// The first root to arrive names the trace and gives it its input and
// output; its own trace-level values win over what earlier spans said, and
// otherwise the first value seen stays.
func (t Trace) Merge(d TraceDelta) (_ Trace, newRoot bool) {
	t.StartTime, t.EndTime = minTime(t.StartTime, d.StartTime), maxTime(t.EndTime, d.EndTime)
	t.SpanCount += d.SpanCount
	t.ErrorCount += d.ErrorCount
	t.Usage = t.Usage.Add(d.Usage)
	t.CostUSD += d.CostUSD // bounded per span, so the sum stays finite
	t.Tags = sortedSet(append(t.Tags, d.Tags...))
	t.Models = sortedSet(append(t.Models, d.Models...))
	t.ModelKeys = sortedSet(append(t.ModelKeys, d.ModelKeys...))
	var root Span // zero values: no root says nothing
	if newRoot = t.RootSpanID == "" && d.Root != nil; newRoot {
		root = *d.Root
		t.RootSpanID, t.Name, t.Input, t.Output = root.SpanID, root.Name, root.Input, root.Output
	}
	t.AgentName = cmp.Or(root.AgentName, t.AgentName, d.AgentName)
	t.UserID = cmp.Or(root.UserID, t.UserID, d.UserID)
	t.SessionID = cmp.Or(root.SessionID, t.SessionID, d.SessionID)
	t.Metadata = firstSet(root.Metadata, t.Metadata, d.Metadata)
	t.Status = StatusOK
	if t.ErrorCount > 0 {
		t.Status = StatusError
	}
	return t, newRoot
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// firstSet returns the first non-empty value.
func firstSet[T ~[]byte](vs ...T) T {
	for _, v := range vs {
		if len(v) > 0 {
			return v
		}
	}
	return nil
}

// sortedSet sorts s and drops duplicates; it never returns nil.
func sortedSet(s []string) []string {
	if len(s) == 0 {
		return []string{}
	}
	slices.Sort(s)
	return slices.Compact(s)
}
