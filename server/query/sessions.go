package query

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/store"
)

// ParseSummaryFilter reads the filters of a sessions or users list: the
// trace list's filters, and a cursor that list returned. The web UI's
// Sessions and Users pages take the same ones.
func ParseSummaryFilter(r *http.Request) (store.TraceFilter, store.Page, error) {
	p := &params{v: r.URL.Query()}
	f := p.traceFilter()
	page := p.summaryPage()
	return f, page, p.err
}

func (p *params) summaryPage() store.Page {
	limit := p.nonNegative("limit")
	if limit > store.MaxPageLimit {
		p.fail("limit", fmt.Sprintf("at most %d", store.MaxPageLimit))
	}
	cursor := p.v.Get("cursor")
	if _, err := store.DecodeSummaryCursor(cursor); err != nil {
		p.fail("cursor", "not a cursor this API returned")
	}
	return store.Page{Limit: int(limit), Cursor: cursor}
}

// PathID is the path parameter name of r as its client wrote it: a
// session or user id may hold any character, escaped in the path
// ("a%2Fb" is "a/b").
func PathID(r *http.Request, name string) (string, error) {
	v := chi.URLParam(r, name)
	if r.URL.RawPath == "" { // the router matched the decoded path
		return v, nil
	}
	id, err := url.PathUnescape(v)
	if err != nil {
		return "", &paramError{name, "not a valid escaped path segment"}
	}
	return id, nil
}

// SessionDetail is a session with one page of its traces, oldest first.
type SessionDetail struct {
	store.SessionSummary
	Traces     []store.Trace `json:"traces"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request) {
	f, page, err := ParseSummaryFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.store.ListSessionSummaries(r.Context(), projectID(r), f, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, list)
}

func (h *Handler) getSession(w http.ResponseWriter, r *http.Request) {
	id, err := PathID(r, "sessionID")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := &params{v: r.URL.Query()}
	page := p.page()
	if p.err != nil {
		h.fail(w, r, p.err)
		return
	}
	s, err := h.store.GetSessionSummary(r.Context(), projectID(r), id)
	if err != nil {
		h.failMissing(w, r, err, "no such session in this project")
		return
	}
	list, err := h.store.ListSessionTraces(r.Context(), projectID(r), id, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, SessionDetail{SessionSummary: s, Traces: list.Traces, NextCursor: list.NextCursor})
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	f, page, err := ParseSummaryFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.store.ListUserSummaries(r.Context(), projectID(r), f, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, list)
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := PathID(r, "userID")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.store.GetUserSummary(r.Context(), projectID(r), id)
	if err != nil {
		h.failMissing(w, r, err, "no such user in this project")
		return
	}
	respond.JSON(w, http.StatusOK, u)
}
