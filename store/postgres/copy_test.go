package postgres

import (
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/tracium/tracium/store"
)

// TestEncodeSpanColumns: encodeSpan writes one value for each of the
// stage columns, NULL where spanRow has nil.
func TestEncodeSpanColumns(t *testing.T) {
	t.Parallel()
	for _, sp := range []store.Span{{}, {Input: json.RawMessage(`1`), Metadata: json.RawMessage(`{}`), Tags: []string{"a"}}} {
		var w copyWriter
		encodeSpan(&w, &sp, store.SpanIndex{}, pgEpoch)
		row := spanRow(&sp, store.SpanIndex{}, pgEpoch)
		var values int
		for i := 0; i < len(w.buf); values++ {
			n := int32(binary.BigEndian.Uint32(w.buf[i:]))
			if null := n < 0; values < len(row) && null != (row[values] == nil || isNilPointer(row[values])) {
				t.Errorf("column %s: NULL %v, spanRow %#v", stageColumns[values], null, row[values])
			}
			i += 4 + max(int(n), 0)
		}
		if values != len(stageColumns) || values != len(row) {
			t.Errorf("encodeSpan wrote %d values, spanRow %d, for the %d stage columns", values, len(row), len(stageColumns))
		}
	}
}

func isNilPointer(v any) bool {
	p, ok := v.(*float64)
	return ok && p == nil
}
