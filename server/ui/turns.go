package ui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/store"
)

// ConversationView is a conversation session's page: its figures, then
// its traces in the order they started, each as a turn of the chat.
type ConversationView struct {
	Frame
	ID, First, Last, Traces, Tokens, Cost, Errors string
	// User is the one user id, or "n users"; UserURL lists that user's
	// traces when there is one.
	User, UserURL string
	Failed        bool
	TracesURL     string
	Export        ExportLinks
	Turns         []TurnView
	// NextURL shows the later turns; empty on the last page.
	NextURL string
}

// TurnView is one trace of a conversation: what the user said and what
// came back, read in the recorded chat shape (chatMessages), with the
// trace's time, latency, tokens and cost.
type TurnView struct {
	TraceID, URL, Name, Time, Latency, Tokens, Cost string
	Failed                                          bool
	Input, Output                                   []Message
	// Note says why a turn shows no text.
	Note string
}

// Turns are read turnsPerPage at a time. A turn whose root recorded
// nothing (an HTTP request around the agent run) is read from the span
// the trace page would open on, in traces of at most maxTurnTreeSpans.
const (
	turnsPerPage     = 20
	maxTurnTreeSpans = 2000
)

func (h *Handler) conversationPage(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	id, err := query.PathID(r, "sessionID")
	if err != nil {
		h.errorPage(w, r, http.StatusBadRequest, invalidMessage(err))
		return
	}
	ctx := r.Context()
	sum, err := h.traces.GetSessionSummary(ctx, s.project.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, http.StatusNotFound, "No such session in this project.")
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	form := r.URL.Query()
	list, err := h.traces.ListSessionTraces(ctx, s.project.ID, id, store.Page{Limit: turnsPerPage, Cursor: form.Get("cursor")})
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	row := conversationRow(sum)
	v := ConversationView{Frame: s.frame("Session "+id, "sessions"), ID: id, First: row.First, Last: row.Last,
		Traces: row.Traces, Tokens: row.Tokens, Cost: row.Cost, Errors: row.Errors, User: row.User, UserURL: row.UserURL,
		Failed: row.Failed, TracesURL: "/traces?" + url.Values{"session_id": {id}}.Encode(),
		Export: linksTo("/api/v1/export/traces", url.Values{"session_id": {id}})}
	for _, t := range list.Traces {
		turn, err := h.turn(ctx, s.project.ID, t)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		v.Turns = append(v.Turns, turn)
	}
	v.NextURL = nextURL(conversationURL(id), url.Values{}, list.NextCursor)
	h.render(w, r, http.StatusOK, ConversationPage(v))
}

// turn reads one trace as a turn.
func (h *Handler) turn(ctx context.Context, projectID int64, t store.Trace) (TurnView, error) {
	v := TurnView{TraceID: t.TraceID, URL: "/traces/" + t.TraceID, Name: t.Name, Time: formatTime(t.StartTime),
		Latency: formatDuration(t.Duration()), Tokens: tokensOrDash(t.Usage), Cost: formatCost(t.CostUSD),
		Failed: t.Status == store.StatusError}
	in, out := t.Input, t.Output
	if len(in) == 0 && len(out) == 0 && t.SpanCount > 1 {
		if t.SpanCount > maxTurnTreeSpans {
			v.Note = "This trace is too big to read as a turn here; open it."
			return v, nil
		}
		sp, ok, err := h.speakingSpan(ctx, projectID, t.TraceID)
		if err != nil {
			return v, err
		}
		if ok {
			in, out = sp.Input, sp.Output
		}
	}
	v.Input, v.Output = turnMessages(in, "user", true), turnMessages(out, "assistant", false)
	if v.Input == nil && v.Output == nil {
		v.Note = "Nothing was recorded as this turn's input or output."
	}
	return v, nil
}

// speakingSpan is the span of a trace that the trace page opens on
// (tree.opening), whole, when it recorded something.
func (h *Handler) speakingSpan(ctx context.Context, projectID int64, traceID string) (store.Span, bool, error) {
	d, err := h.traces.GetTraceTree(ctx, projectID, traceID, h.treeSpans)
	if errors.Is(err, store.ErrNotFound) { // deleted meanwhile
		return store.Span{}, false, nil
	}
	if err != nil {
		return store.Span{}, false, err
	}
	i, ok := newTree(d.Spans).opening()
	if !ok || !hasPayload(&d.Spans[i]) {
		return store.Span{}, false, nil
	}
	sp, err := h.traces.GetSpan(ctx, projectID, traceID, d.Spans[i].SpanID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Span{}, false, nil
	}
	return sp, err == nil, err
}

// turnMessages reads a turn's input or output as chat messages. A
// recorded chat is shown as the trace page shows it, except that of an
// input only its last user message is kept: what the user said in this
// turn, the history before it being the earlier turns. Anything else is
// one message of role, in words: a JSON string as its text, an object of
// strings as those strings, other JSON as it is.
func turnMessages(raw []byte, role string, input bool) []Message {
	if len(raw) == 0 {
		return nil
	}
	if msgs := chatMessages(raw, rawLimit); msgs != nil {
		if input {
			for i := len(msgs) - 1; i >= 0; i-- {
				if msgs[i].Role == "user" {
					return msgs[i : i+1]
				}
			}
		}
		return msgs
	}
	text, cutShort := cut(plainText(raw), rawLimit)
	if text == "" {
		return nil
	}
	return []Message{{Role: role, Parts: []PartView{{Kind: "text", Text: text, Cut: cutShort}}}}
}

// plainText is a recorded value in words.
func plainText(raw []byte) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var fields map[string]string
	if json.Unmarshal(raw, &fields) == nil && len(fields) > 0 {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		texts := make([]string, 0, len(keys))
		for _, k := range keys {
			if fields[k] != "" {
				texts = append(texts, fields[k])
			}
		}
		return strings.Join(texts, "\n\n")
	}
	return compactJSON(raw)
}
