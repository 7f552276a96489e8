package query

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/store"
)

// float reads a finite number, or nil when the parameter is absent.
func (p *params) float(name string) *float64 {
	s := p.v.Get(name)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.fail(name, "want a finite number")
		return nil
	}
	return &f
}

// scoreMatch reads the trace list's score filters: score_name, and
// score_min and score_max or score_label.
func (p *params) scoreMatch() store.ScoreMatch {
	return store.ScoreMatch{Name: p.str("score_name"), Min: p.float("score_min"), Max: p.float("score_max"), Label: p.str("score_label")}
}

// scorePage reads limit and a cursor of a score list.
func (p *params) scorePage() store.Page {
	limit := p.nonNegative("limit")
	if limit > store.MaxPageLimit {
		p.fail("limit", "at most 500")
	}
	page := store.Page{Limit: int(limit), Cursor: p.v.Get("cursor")}
	if _, _, err := page.BoundedScores(); err != nil {
		p.fail("cursor", "not a cursor this API returned")
	}
	return page
}

// ParseScoreFilter reads GET /api/v1/scores' filters.
func ParseScoreFilter(r *http.Request) (store.ScoreFilter, store.Page, error) {
	p := &params{v: r.URL.Query()}
	f := store.ScoreFilter{TraceID: p.str("trace_id"), SpanID: p.str("span_id"), Name: p.str("name"),
		Min: p.float("min"), Max: p.float("max"), Label: p.str("label"), Source: store.ScoreSource(p.str("source"))}
	f.Since, f.Until = p.timeRange()
	page := p.scorePage()
	return f, page, p.err
}

func (h *Handler) listScores(w http.ResponseWriter, r *http.Request) {
	f, page, err := ParseScoreFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.store.ListScores(r.Context(), projectID(r), f, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if list.Scores == nil {
		list.Scores = []store.Score{}
	}
	respond.JSON(w, http.StatusOK, list)
}

// scoreMetricsBody is the answer of /metrics/scores.
type scoreMetricsBody struct {
	Since   time.Time        `json:"since"`
	Until   time.Time        `json:"until"`
	Name    string           `json:"name,omitempty"`
	GroupBy store.GroupBy    `json:"group_by"`
	Rows    []store.ScoreRow `json:"rows"`
}

func (h *Handler) scoreMetrics(w http.ResponseWriter, r *http.Request) {
	p := &params{v: r.URL.Query()}
	since, until := p.timeRange()
	g, name := store.GroupBy(p.str("group_by")), p.str("name")
	if g == "" {
		g = store.GroupByName
	}
	if !g.Valid() && g != store.GroupByName {
		p.fail("group_by", "want name, model, agent_name, hour or day")
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
	rows, err := h.store.ScoreMetrics(r.Context(), projectID(r), store.ScoreQuery{Since: since, Until: until, Name: name, GroupBy: g})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, scoreMetricsBody{Since: since, Until: until, Name: name, GroupBy: g, Rows: rows})
}
