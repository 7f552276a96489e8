package store

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cursor marks a position in a newest-first list: the start time, trace
// id and, for spans, span id of the last row of a page. The next page holds
// the rows strictly after it in (start time, trace id, span id) descending
// order.
type Cursor struct {
	StartTime time.Time
	TraceID   string
	SpanID    string
}

// Encode returns the opaque form handed to clients.
func (c Cursor) Encode() string {
	raw := strconv.FormatInt(c.StartTime.UnixMicro(), 10) + ":" + c.TraceID
	if c.SpanID != "" {
		raw += ":" + c.SpanID
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor parses a cursor made by Encode. An empty string is the zero
// Cursor; anything malformed wraps ErrInvalid.
func DecodeCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: cursor", ErrInvalid)
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Cursor{}, fmt.Errorf("%w: cursor", ErrInvalid)
	}
	us, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || !isHex(parts[1], 32) || len(parts) == 3 && !isHex(parts[2], 16) {
		return Cursor{}, fmt.Errorf("%w: cursor", ErrInvalid)
	}
	c := Cursor{StartTime: time.UnixMicro(us).UTC(), TraceID: parts[1]}
	if len(parts) == 3 {
		c.SpanID = parts[2]
	}
	return c, nil
}

// limit returns p.Limit bounded to [1, MaxPageLimit], DefaultPageLimit when
// unset.
func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// Bounded returns p with its limit clamped and its cursor decoded.
func (p Page) Bounded() (limit int, c Cursor, err error) {
	c, err = DecodeCursor(p.Cursor)
	return p.limit(), c, err
}
