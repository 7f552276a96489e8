package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Times are stored as integer microseconds since the Unix epoch, UTC: the
// precision store.Span.Normalize keeps.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// now is the creation time the store gives rows, at stored precision.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// nullMicros maps a nullable time column to a *time.Time.
func nullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// jsonArg passes raw JSON through byte for byte, and nil as SQL NULL.
func jsonArg(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// encodeStrings stores a string set as a JSON array; nil becomes [].
func encodeStrings(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s) // []string always marshals
	return string(b)
}

// decodeStrings reads a JSON array column; it never returns nil.
func decodeStrings(col string) ([]string, error) {
	out := []string{}
	if err := json.Unmarshal([]byte(col), &out); err != nil {
		return nil, fmt.Errorf("decode %q: %w", col, err)
	}
	if out == nil { // the column held null
		out = []string{}
	}
	return out, nil
}
