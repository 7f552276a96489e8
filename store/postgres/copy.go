package postgres

import (
	"context"
	"encoding/binary"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// The writer's COPY of spans, in PostgreSQL's binary COPY format, encoded
// here rather than value by value through pgx's type map: a span's 37
// columns cost no interface values, no per-value encode plans and no
// conversion of its JSON to strings, and the JSON goes to the server as
// the bytes ingest received.

// copySpans COPYs batch into table (spans, whose columns are copyColumns,
// or span_stage, whose columns are stageColumns, without the project id),
// each span in the partition of its trace's day.
func copySpans(ctx context.Context, tx pgx.Tx, table string, projectID int64, batch []indexedSpan, days map[string]traceDay) error {
	columns, withProject := stageColumns, false
	if table == "spans" {
		columns, withProject = copyColumns, true
	}
	sql := "COPY " + table + " (" + strings.Join(columns, ", ") + ") FROM STDIN (FORMAT binary)"
	rows := &copyRows{n: len(batch), encode: func(w *copyWriter, i int) {
		b := &batch[i]
		w.tuple(len(columns))
		if withProject {
			w.int8(projectID)
		}
		encodeSpan(w, &b.Span, b.index, days[b.TraceID].day)
	}}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, rows, sql); err != nil {
		return err
	}
	return nil
}

// encodeSpan writes the values of stageColumns, in their order, as
// spanRow lays them out.
func encodeSpan(w *copyWriter, sp *store.Span, idx store.SpanIndex, day time.Time) {
	var u store.Usage
	if sp.Usage != nil {
		u = *sp.Usage
	}
	// spanHead
	w.text(sp.TraceID)
	w.text(sp.SpanID)
	w.text(sp.ParentSpanID)
	w.text(sp.Name)
	w.text(string(sp.Type))
	w.timestamptz(sp.StartTime)
	w.timestamptz(sp.EndTime)
	w.text(string(sp.Status))
	w.text(sp.ErrorType)
	w.text(sp.ErrorMessage)
	w.text(sp.Model)
	w.text(sp.RequestModel)
	w.text(sp.Provider)
	w.bool(sp.Usage != nil)
	for _, n := range [...]int64{u.InputTokens, u.OutputTokens, u.CachedTokens, u.CacheCreationTokens, u.ReasoningTokens, u.TotalTokens} {
		w.int8(n)
	}
	w.float8(sp.CostUSD)
	w.float8(sp.TimeToFirstTokenMS)
	w.textArray(sp.Tags)
	w.text(sp.AgentName)
	w.text(sp.UserID)
	w.text(sp.SessionID)
	w.jsonb(sp.Metadata)
	// spanDerived
	w.date(day)
	w.textArray(idx.ModelKeys)
	w.int8(int64(len(sp.Input) + len(sp.Output)))
	w.text(idx.SearchText)
	// spanPayload
	w.json(sp.Input)
	w.json(sp.Output)
	w.json(sp.RawInput)
	w.json(sp.RawOutput)
	w.jsonb(sp.Attributes)
}

// copyRows is an io.Reader of a binary COPY's data: the header, n tuples
// that encode writes, and the trailer, encoded a chunk at a time as the
// connection reads them.
type copyRows struct {
	n      int
	encode func(w *copyWriter, i int)
	next   int // the next tuple to encode
	w      copyWriter
	off    int // of w.buf, read so far
	done   bool
}

// copyChunk is how much is encoded ahead of the connection.
const copyChunk = 64 << 10

func (r *copyRows) Read(p []byte) (int, error) {
	for r.off == len(r.w.buf) {
		if r.done {
			return 0, io.EOF
		}
		r.w.buf, r.off = r.w.buf[:0], 0
		if r.next == 0 {
			r.w.buf = append(r.w.buf, "PGCOPY\n\xff\r\n\x00"...)
			r.w.buf = binary.BigEndian.AppendUint32(r.w.buf, 0) // flags
			r.w.buf = binary.BigEndian.AppendUint32(r.w.buf, 0) // header extension
		}
		for r.next < r.n && len(r.w.buf) < copyChunk {
			r.encode(&r.w, r.next)
			r.next++
		}
		if r.next == r.n {
			r.w.buf = binary.BigEndian.AppendUint16(r.w.buf, 0xffff) // trailer: -1
			r.done = true
		}
	}
	n := copy(p, r.w.buf[r.off:])
	r.off += n
	return n, nil
}

// copyWriter appends values in the binary format of their column's type
// (each type's send function), each prefixed with its length.
type copyWriter struct {
	buf []byte
}

// tuple starts a row of n columns.
func (w *copyWriter) tuple(n int) { w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(n)) }

func (w *copyWriter) null() { w.buf = binary.BigEndian.AppendUint32(w.buf, math.MaxUint32) } // -1

func (w *copyWriter) length(n int) { w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(n)) }

func (w *copyWriter) text(s string) {
	w.length(len(s))
	w.buf = append(w.buf, s...)
}

func (w *copyWriter) int8(v int64) {
	w.length(8)
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(v))
}

func (w *copyWriter) bool(v bool) {
	w.length(1)
	if v {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

// float8 writes a double precision, or NULL for nil.
func (w *copyWriter) float8(v *float64) {
	if v == nil {
		w.null()
		return
	}
	w.length(8)
	w.buf = binary.BigEndian.AppendUint64(w.buf, math.Float64bits(*v))
}

// pgEpoch is where PostgreSQL's timestamps and dates count from.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// timestamptz writes microseconds since pgEpoch.
func (w *copyWriter) timestamptz(t time.Time) {
	w.length(8)
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(t.UnixMicro()-pgEpoch.UnixMicro()))
}

// date writes days since pgEpoch of a UTC midnight.
func (w *copyWriter) date(t time.Time) {
	w.length(4)
	days := (t.Unix() - pgEpoch.Unix()) / (24 * 60 * 60)
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(int32(days)))
}

// textOID is the element type of a text[].
const textOID = 25

// textArray writes a one-dimensional text[] without NULLs; nil or empty
// is the empty array.
func (w *copyWriter) textArray(ss []string) {
	if len(ss) == 0 {
		w.length(12)
		w.buf = binary.BigEndian.AppendUint32(w.buf, 0) // dimensions
		w.buf = binary.BigEndian.AppendUint32(w.buf, 0) // no NULLs
		w.buf = binary.BigEndian.AppendUint32(w.buf, textOID)
		return
	}
	size := 20
	for _, s := range ss {
		size += 4 + len(s)
	}
	w.length(size)
	w.buf = binary.BigEndian.AppendUint32(w.buf, 1) // dimensions
	w.buf = binary.BigEndian.AppendUint32(w.buf, 0) // no NULLs
	w.buf = binary.BigEndian.AppendUint32(w.buf, textOID)
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(len(ss)))
	w.buf = binary.BigEndian.AppendUint32(w.buf, 1) // lower bound
	for _, s := range ss {
		w.text(s)
	}
}

// json writes a json value as its text, or NULL for nil.
func (w *copyWriter) json(b []byte) {
	if b == nil {
		w.null()
		return
	}
	w.length(len(b))
	w.buf = append(w.buf, b...)
}

// jsonb writes a jsonb value: its format version, 1, then its text; or
// NULL for nil.
func (w *copyWriter) jsonb(b []byte) {
	if b == nil {
		w.null()
		return
	}
	w.length(1 + len(b))
	w.buf = append(w.buf, 1)
	w.buf = append(w.buf, b...)
}
