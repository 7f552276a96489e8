package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/store"
)

// TracesView is the traces page: the filter form, one page of traces.
type TracesView struct {
	Frame
	Form       url.Values // the filters as submitted, to refill the form
	Rows       []TraceRow
	NextURL    string
	RefreshURL string // toggles auto-refresh
	Refreshing bool
	// Export downloads the traces the filters select.
	Export ExportLinks
	Error  string
}

// TraceRow is one line of the traces table.
type TraceRow struct {
	ID, Time, Agent, Name, Duration, Spans, Tokens, Cost string
	Failed                                               bool
	Tags                                                 []string
	Scores                                               []ScoreChip
}

// ranges are the presets of the time filter.
var ranges = map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

func (h *Handler) tracesPage(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	form := r.URL.Query()
	v := TracesView{Frame: s.frame("Traces", "traces"), Form: form}
	v.Refreshing = form.Get("refresh") != ""
	if v.Refreshing {
		v.RefreshSeconds = 10
	}
	v.RefreshURL = toggleRefresh(form)
	v.Export = exportLinks(form)

	f, page, err := query.ParseTraceFilter(r)
	if d, ok := ranges[form.Get("range")]; ok && f.Since.IsZero() {
		f.Since = time.Now().Add(-d)
	}
	if err != nil {
		v.Error = err.Error()
		h.render(w, r, http.StatusBadRequest, TracesPage(v))
		return
	}
	if page.Limit == 0 {
		page.Limit = 50
	}
	list, err := h.traces.ListTraces(r.Context(), s.project.ID, f, page)
	if errors.Is(err, store.ErrInvalid) {
		v.Error = strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": ")
		h.render(w, r, http.StatusBadRequest, TracesPage(v))
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	for _, t := range list.Traces {
		v.Rows = append(v.Rows, traceRow(t))
	}
	if list.NextCursor != "" {
		next := cloneValues(form)
		next.Set("cursor", list.NextCursor)
		v.NextURL = "/traces?" + next.Encode()
	}
	h.render(w, r, http.StatusOK, TracesPage(v))
}

func traceRow(t store.Trace) TraceRow {
	tokens := "–"
	if t.Usage.TotalTokens > 0 {
		tokens = formatCount(t.Usage.TotalTokens)
	}
	return TraceRow{
		ID: t.TraceID, Time: formatTime(t.StartTime), Agent: t.AgentName, Name: t.Name,
		Duration: formatDuration(t.Duration()), Spans: formatCount(t.SpanCount), Tokens: tokens,
		Cost: formatCost(t.CostUSD), Failed: t.Status == store.StatusError, Tags: t.Tags, Scores: scoreChips(t.Scores),
	}
}

func toggleRefresh(form url.Values) string {
	v := cloneValues(form)
	v.Del("cursor")
	if v.Get("refresh") != "" {
		v.Del("refresh")
	} else {
		v.Set("refresh", "10")
	}
	return "/traces?" + v.Encode()
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
