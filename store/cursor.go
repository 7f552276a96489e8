package store

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cursor marks a position in a newest-first list: the start time and trace
// id of the last row of a page. The next page holds the rows strictly after
// it in (start time desc, trace id desc) order.
type Cursor struct {
	StartTime time.Time
	TraceID   string
}

// Encode returns the opaque form handed to clients.
func (c Cursor) Encode() string {
	raw := strconv.FormatInt(c.StartTime.UnixMicro(), 10) + ":" + c.TraceID
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
	micros, id, ok := strings.Cut(string(raw), ":")
	us, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || !isHex(id, 32) {
		return Cursor{}, fmt.Errorf("%w: cursor", ErrInvalid)
	}
	return Cursor{StartTime: time.UnixMicro(us).UTC(), TraceID: id}, nil
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
