package postgres

import "github.com/tracium/tracium/store"

// CopyRow lays a span out as a row of spans for a raw COPY, the peer that
// benchmarks measure WriteSpans against.
func CopyRow(projectID int64, sp store.Span) []any {
	sp.Normalize()
	return append([]any{projectID}, spanRow(&sp)...)
}

// CopyColumns are the columns CopyRow fills.
var CopyColumns = append([]string{"project_id"}, spanColumns...)
