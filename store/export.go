package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// An export streams every span of the traces a filter selects, trace by
// trace in the traces list's order (newest first), each trace's spans in
// the order of its page (start time, then span id). It is read one
// bounded page at a time: a page of trace summaries (ListTraces), then
// the spans of those traces in reads of at most ExportBatchSpans rows or
// ExportBatchBytes of payload. Each read is one statement of its own and
// its rows are in memory before any is handed on, so a slow consumer
// holds no transaction, no connection and no snapshot while it works:
// only the current read's rows. Spans written while an export runs may or
// may not be in it.

// Export bounds, per read.
const (
	// ExportTracePage is how many trace summaries one read lists.
	ExportTracePage = 100
	// ExportBatchSpans is the most spans one read returns.
	ExportBatchSpans = 1000
	// ExportBatchBytes is the payload (input, output, their raw forms,
	// attributes and metadata) past which a read stops: it returns the
	// span that crossed it and no more.
	ExportBatchBytes = 16 << 20
	// ExportReadTimeout bounds each read of an export.
	ExportReadTimeout = 30 * time.Second
)

// SpanBatch asks for the next spans of a list of traces, ordered by the
// trace's position in TraceIDs, then start time, then span id.
type SpanBatch struct {
	TraceIDs []string
	// After is the position of the last span already read; the zero
	// SpanKey (Index -1 set by StartKey) starts at the first trace.
	After SpanKey
	// Limit and MaxBytes bound the read (ExportBatchSpans and
	// ExportBatchBytes when zero).
	Limit    int
	MaxBytes int
}

// SpanKey is a span's position in a SpanBatch.
type SpanKey struct {
	Index     int // in SpanBatch.TraceIDs
	StartTime time.Time
	SpanID    string
}

// StartKey is the position before every span of a batch.
var StartKey = SpanKey{Index: -1}

// Bounds returns the batch's limit and byte bound, defaults filled in.
func (b SpanBatch) Bounds() (limit, maxBytes int) {
	limit, maxBytes = b.Limit, b.MaxBytes
	if limit <= 0 || limit > ExportBatchSpans {
		limit = ExportBatchSpans
	}
	if maxBytes <= 0 {
		maxBytes = ExportBatchBytes
	}
	return limit, maxBytes
}

// ExportedBytes is how much of a read's byte bound s takes.
func ExportedBytes(s *Span) int {
	return len(s.Input) + len(s.Output) + len(s.RawInput) + len(s.RawOutput) + len(s.Attributes) + len(s.Metadata)
}

// SpanExporter is what an export reads. ReadSpanBatch returns whole spans
// (payloads included) and whether more follow the last one returned.
type SpanExporter interface {
	ListTraces(ctx context.Context, projectID int64, filter TraceFilter, page Page) (TraceList, error)
	ReadSpanBatch(ctx context.Context, projectID int64, batch SpanBatch) (spans []Span, more bool, err error)
}

// ExportSpans streams the spans of the project's traces that f selects
// to emit, as described above. emit is called with each span in order,
// never while a read is under way; an error from emit stops the export and
// is returned. The filter is refused as ListTraces refuses it.
func ExportSpans(ctx context.Context, r SpanExporter, projectID int64, f TraceFilter, emit func(*Span) error) error {
	page := Page{Limit: ExportTracePage}
	for {
		list, err := listForExport(ctx, r, projectID, f, page)
		if err != nil {
			return err
		}
		ids := make([]string, len(list.Traces))
		for i, t := range list.Traces {
			ids[i] = t.TraceID
		}
		if err := exportTraces(ctx, r, projectID, ids, emit); err != nil {
			return err
		}
		if list.NextCursor == "" {
			return nil
		}
		page.Cursor = list.NextCursor
	}
}

// ExportTrace streams one trace's spans to emit, as ExportSpans does; it
// returns ErrNotFound, having emitted nothing, when the project has no
// such trace.
func ExportTrace(ctx context.Context, r SpanExporter, projectID int64, traceID string, emit func(*Span) error) error {
	n, err := exportFrom(ctx, r, projectID, []string{strings.ToLower(traceID)}, emit)
	if err == nil && n == 0 {
		return fmt.Errorf("export trace %s: %w", traceID, ErrNotFound)
	}
	return err
}

func exportTraces(ctx context.Context, r SpanExporter, projectID int64, ids []string, emit func(*Span) error) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := exportFrom(ctx, r, projectID, ids, emit)
	return err
}

// exportFrom emits every span of the traces ids, which are distinct, and
// returns how many it emitted.
func exportFrom(ctx context.Context, r SpanExporter, projectID int64, ids []string, emit func(*Span) error) (int, error) {
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	after, n := StartKey, 0
	for {
		spans, more, err := readBatch(ctx, r, projectID, SpanBatch{TraceIDs: ids, After: after})
		if err != nil {
			return n, err
		}
		for i := range spans {
			if err := emit(&spans[i]); err != nil {
				return n, err
			}
			n++
		}
		if !more || len(spans) == 0 {
			return n, nil
		}
		last := spans[len(spans)-1]
		after = SpanKey{Index: pos[last.TraceID], StartTime: last.StartTime, SpanID: last.SpanID}
	}
}

func listForExport(ctx context.Context, r SpanExporter, projectID int64, f TraceFilter, page Page) (TraceList, error) {
	ctx, cancel := context.WithTimeout(ctx, ExportReadTimeout)
	defer cancel()
	return r.ListTraces(ctx, projectID, f, page)
}

func readBatch(ctx context.Context, r SpanExporter, projectID int64, b SpanBatch) ([]Span, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, ExportReadTimeout)
	defer cancel()
	return r.ReadSpanBatch(ctx, projectID, b)
}
