package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/store"
)

// The Sessions, Session and Users pages show what the traced
// application's own users did: its conversations (the traces sharing a
// session id) and its users (by user id). They are not the signed-in
// web sessions of session.go.

// ConversationsView is the Sessions page: the filter form and one page of
// conversation sessions, most recently active first.
type ConversationsView struct {
	Frame
	Form    url.Values
	Rows    []ConversationRow
	NextURL string
	Error   string
}

// ConversationRow is one line of the sessions table.
type ConversationRow struct {
	ID, URL, First, Last, Traces, Tokens, Cost, Errors string
	// User is the one user id, or "n users"; UserURL lists that user's
	// traces when there is one.
	User, UserURL string
	Failed        bool
}

// EndUsersView is the Users page: the traced application's users, not
// the web UI's.
type EndUsersView struct {
	Frame
	Form    url.Values
	Rows    []EndUserRow
	NextURL string
	Error   string
}

// EndUserRow is one line of the users table.
type EndUserRow struct {
	ID, FirstSeen, LastSeen, Traces, Sessions, Tokens, Cost, ErrorRate string
	TracesURL, SessionsURL                                             string
	Failed                                                             bool
}

// summaryFilter reads a sessions or users list's filters, the time range
// presets of the traces page included.
func summaryFilter(r *http.Request) (store.TraceFilter, store.Page, error) {
	f, page, err := query.ParseSummaryFilter(r)
	applyRange(r.URL.Query(), &f)
	if page.Limit == 0 {
		page.Limit = 50
	}
	return f, page, err
}

// applyRange turns the form's time range preset into a since.
func applyRange(form url.Values, f *store.TraceFilter) {
	if d, ok := ranges[form.Get("range")]; ok && f.Since.IsZero() {
		f.Since = time.Now().Add(-d)
	}
}

// invalidMessage is what a page says of a filter the store refused.
func invalidMessage(err error) string {
	return strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": ")
}

func (h *Handler) conversationsPage(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	form := r.URL.Query()
	v := ConversationsView{Frame: s.frame("Sessions", "sessions"), Form: form}
	f, page, err := summaryFilter(r)
	if err != nil {
		v.Error = err.Error()
		h.render(w, r, http.StatusBadRequest, ConversationsPage(v))
		return
	}
	list, err := h.traces.ListSessionSummaries(r.Context(), s.project.ID, f, page)
	if errors.Is(err, store.ErrInvalid) {
		v.Error = invalidMessage(err)
		h.render(w, r, http.StatusBadRequest, ConversationsPage(v))
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	for _, ss := range list.Sessions {
		v.Rows = append(v.Rows, conversationRow(ss))
	}
	v.NextURL = nextURL("/sessions", form, list.NextCursor)
	h.render(w, r, http.StatusOK, ConversationsPage(v))
}

func conversationRow(s store.SessionSummary) ConversationRow {
	row := ConversationRow{ID: s.SessionID, URL: conversationURL(s.SessionID), First: formatTime(s.FirstTime), Last: formatTime(s.LastTime),
		Traces: formatCount(s.TraceCount), Tokens: tokensOrDash(s.Usage), Cost: formatCost(s.CostUSD),
		Errors: formatCount(s.ErrorCount), Failed: s.ErrorCount > 0}
	switch s.UserCount {
	case 0:
		row.User = "–"
	case 1:
		row.User, row.UserURL = s.UserID, userTracesURL(s.UserID)
	default:
		row.User = formatCount(s.UserCount) + " users"
	}
	return row
}

func (h *Handler) endUsersPage(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	form := r.URL.Query()
	v := EndUsersView{Frame: s.frame("Users", "users"), Form: form}
	f, page, err := summaryFilter(r)
	if err != nil {
		v.Error = err.Error()
		h.render(w, r, http.StatusBadRequest, EndUsersPage(v))
		return
	}
	list, err := h.traces.ListUserSummaries(r.Context(), s.project.ID, f, page)
	if errors.Is(err, store.ErrInvalid) {
		v.Error = invalidMessage(err)
		h.render(w, r, http.StatusBadRequest, EndUsersPage(v))
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	for _, u := range list.Users {
		v.Rows = append(v.Rows, EndUserRow{ID: u.UserID, FirstSeen: formatTime(u.FirstSeen), LastSeen: formatTime(u.LastSeen),
			Traces: formatCount(u.TraceCount), Sessions: formatCount(u.SessionCount), Tokens: tokensOrDash(u.Usage),
			Cost: formatCost(u.CostUSD), ErrorRate: formatRate(u.ErrorRate), Failed: u.ErrorCount > 0,
			TracesURL: userTracesURL(u.UserID), SessionsURL: "/sessions?" + url.Values{"user_id": {u.UserID}}.Encode()})
	}
	v.NextURL = nextURL("/users", form, list.NextCursor)
	h.render(w, r, http.StatusOK, EndUsersPage(v))
}

// nextURL is the link to the page after cursor, the filters kept; empty
// on the last page.
func nextURL(path string, form url.Values, cursor string) string {
	if cursor == "" {
		return ""
	}
	next := cloneValues(form)
	next.Set("cursor", cursor)
	return path + "?" + next.Encode()
}

func conversationURL(id string) string { return "/sessions/" + url.PathEscape(id) }

func userTracesURL(id string) string { return "/traces?" + url.Values{"user_id": {id}}.Encode() }

func tokensOrDash(u store.Usage) string {
	if u.TotalTokens > 0 {
		return formatCount(u.TotalTokens)
	}
	return "–"
}

// formatRate prints a share as a percentage with at most one decimal.
func formatRate(r float64) string {
	if r == 0 {
		return "0%"
	}
	s := strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(r*100, 'f', 1, 64), "0"), ".")
	return s + "%"
}

// exportFilters are the parameters an export link carries from a page's
// filter form: the trace list's, the time range preset made a since.
var exportFilters = []string{"q", "status", "agent_name", "model", "tag", "user_id", "session_id", "min_duration_ms", "since", "until"}

// ExportLinks are a page's download links.
type ExportLinks struct{ CSV, JSONL string }

// exportLinks links the export of the traces the form's filters select.
func exportLinks(form url.Values) ExportLinks {
	v := url.Values{}
	for _, k := range exportFilters {
		if x := form.Get(k); x != "" {
			v.Set(k, x)
		}
	}
	if d, ok := ranges[form.Get("range")]; ok && v.Get("since") == "" {
		v.Set("since", time.Now().Add(-d).UTC().Format(time.RFC3339))
	}
	return linksTo("/api/v1/export/traces", v)
}

// linksTo is the CSV and JSON Lines links of an export path.
func linksTo(path string, v url.Values) ExportLinks {
	csv, jsonl := cloneValues(v), cloneValues(v)
	csv.Set("format", "csv")
	jsonl.Set("format", "jsonl")
	return ExportLinks{CSV: path + "?" + csv.Encode(), JSONL: path + "?" + jsonl.Encode()}
}
