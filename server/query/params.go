package query

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/tracium/tracium/store"
)

// paramError names the query parameter at fault. It is a store.ErrInvalid,
// as the store's own refusals of a parameter are, so both answer 400.
type paramError struct {
	name, problem string
}

func (e *paramError) Error() string { return fmt.Sprintf("parameter %s: %s", e.name, e.problem) }
func (e *paramError) Unwrap() error { return store.ErrInvalid }

// params reads query parameters, remembering the first bad one.
type params struct {
	v   url.Values
	err error
}

func (p *params) fail(name, problem string) {
	if p.err == nil {
		p.err = &paramError{name, problem}
	}
}

func (p *params) str(name string) string { return p.v.Get(name) }

// time reads an RFC 3339 time, or Unix seconds.
func (p *params) time(name string) time.Time {
	s := p.v.Get(name)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0).UTC()
	}
	p.fail(name, "want an RFC 3339 time (2026-01-02T15:04:05Z) or Unix seconds")
	return time.Time{}
}

func (p *params) status(name string) store.Status {
	s := store.Status(p.v.Get(name))
	if s != "" && !s.Valid() {
		p.fail(name, "want ok or error")
	}
	return s
}

func (p *params) nonNegative(name string) int64 {
	s := p.v.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		p.fail(name, "want a non-negative integer")
	}
	return n
}

func (p *params) page() store.Page {
	limit := p.nonNegative("limit")
	if limit > store.MaxPageLimit {
		p.fail("limit", fmt.Sprintf("at most %d", store.MaxPageLimit))
	}
	cursor := p.v.Get("cursor")
	if _, err := store.DecodeCursor(cursor); err != nil {
		p.fail("cursor", "not a cursor this API returned")
	}
	return store.Page{Limit: int(limit), Cursor: cursor}
}

// timeRange checks since < until when both are given.
func (p *params) timeRange() (since, until time.Time) {
	since, until = p.time("since"), p.time("until")
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		p.fail("until", "must be after since")
	}
	return since, until
}
