package query

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/store"
)

// ParseTraceFilter reads the trace list's filters from query parameters;
// the web UI's traces page takes the same ones.
func ParseTraceFilter(r *http.Request) (store.TraceFilter, store.Page, error) {
	p := &params{v: r.URL.Query()}
	f := p.traceFilter()
	page := p.page()
	return f, page, p.err
}

// traceFilter reads the filters of a trace list.
func (p *params) traceFilter() store.TraceFilter {
	var f store.TraceFilter
	f.Since, f.Until = p.timeRange()
	f.AgentName, f.Tag, f.Model = p.str("agent_name"), p.str("tag"), p.str("model")
	f.UserID, f.SessionID, f.Query = p.str("user_id"), p.str("session_id"), p.str("q")
	f.Status = p.status("status")
	f.MinDuration = time.Duration(p.nonNegative("min_duration_ms")) * time.Millisecond
	f.Score = p.scoreMatch()
	return f
}

func (h *Handler) listTraces(w http.ResponseWriter, r *http.Request) {
	f, page, err := ParseTraceFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.store.ListTraces(r.Context(), projectID(r), f, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if list.Traces == nil {
		list.Traces = []store.Trace{}
	}
	respond.JSON(w, http.StatusOK, list)
}

func (h *Handler) getTrace(w http.ResponseWriter, r *http.Request) {
	d, err := h.store.GetTrace(r.Context(), projectID(r), chi.URLParam(r, "traceID"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, d)
}

func (h *Handler) searchSpans(w http.ResponseWriter, r *http.Request) {
	p := &params{v: r.URL.Query()}
	var f store.SpanFilter
	f.Since, f.Until = p.timeRange()
	f.Type = store.SpanType(p.str("type"))
	if f.Type != "" && !f.Type.Valid() {
		p.fail("type", "not a span type")
	}
	f.Model, f.Query = p.str("model"), p.str("q")
	f.Status = p.status("status")
	page := p.page()
	if p.err != nil {
		h.fail(w, r, p.err)
		return
	}
	list, err := h.store.SearchSpans(r.Context(), projectID(r), f, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if list.Spans == nil {
		list.Spans = []store.Span{}
	}
	respond.JSON(w, http.StatusOK, list)
}

// usageBody is the answer of /metrics/usage.
type usageBody struct {
	Since   time.Time        `json:"since"`
	Until   time.Time        `json:"until"`
	GroupBy store.GroupBy    `json:"group_by"`
	Rows    []store.UsageRow `json:"rows"`
}

// DefaultUsageWindow is the range /metrics/usage covers without since.
const DefaultUsageWindow = 24 * time.Hour

func (h *Handler) usage(w http.ResponseWriter, r *http.Request) {
	p := &params{v: r.URL.Query()}
	since, until := p.timeRange()
	g, model := store.GroupBy(p.str("group_by")), p.str("model")
	if g == "" {
		g = store.GroupByModel
	}
	if !g.Valid() {
		p.fail("group_by", "want model, agent_name, hour or day")
	}
	if p.err != nil {
		h.fail(w, r, p.err)
		return
	}
	if until.IsZero() {
		until = time.Now().UTC()
	}
	if since.IsZero() {
		since = until.Add(-DefaultUsageWindow)
	}
	rows, err := h.store.UsageMetrics(r.Context(), projectID(r), store.UsageQuery{Since: since, Until: until, GroupBy: g, Model: model})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if rows == nil {
		rows = []store.UsageRow{}
	}
	respond.JSON(w, http.StatusOK, usageBody{Since: since, Until: until, GroupBy: g, Rows: rows})
}
