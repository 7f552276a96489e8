package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/server/ui/chart"
	"github.com/tracium/tracium/store"
)

// TraceView is the trace page: a summary, the span tree beside its
// waterfall, and the selected span's detail.
type TraceView struct {
	Frame
	ID, Name, Agent, Start, Duration, Spans, Cost string
	Failed                                        bool
	Models                                        []string
	Tokens                                        TokensView
	Tags                                          []string
	UserID, SessionID                             string
	Rows                                          []SpanRow
	// Shown and Total count the rows drawn and the spans in the tree;
	// Hidden are those in collapsed subtrees or past the rows drawn.
	Shown, Total, Hidden      int
	MoreURL, AllRowsURL       string
	ExpandAllURL, CollapseURL string
	// Notes say what the page had to do to the data: cycles cut,
	// duplicate span ids left out.
	Notes  []string
	Detail *SpanDetail
	// Graph is the run drawn as a graph (?view=graph), else empty;
	// TreeURL and GraphURL switch between the views.
	Graph             template.HTML
	TreeURL, GraphURL string
	// Export downloads the trace's spans.
	Export ExportLinks
	// Scores are every score of the trace, its spans' included.
	Scores ScoresView
}

// TokensView is a usage in the page's one format.
type TokensView struct {
	Total, Input, Output, Cached, CacheWrite, Reasoning string
	Any                                                 bool
}

func tokensView(u store.Usage) TokensView {
	return TokensView{Total: formatCount(u.TotalTokens), Input: formatCount(u.InputTokens), Output: formatCount(u.OutputTokens),
		Cached: formatCount(u.CachedTokens), CacheWrite: formatCount(u.CacheCreationTokens), Reasoning: formatCount(u.ReasoningTokens),
		Any: u.TotalTokens > 0 || u.InputTokens > 0 || u.OutputTokens > 0}
}

// SpanRow is one visible line of the tree.
type SpanRow struct {
	ID, Name, Type, Duration, Model, Tokens string
	Depth, Children                         int
	Open, Failed, Selected                  bool
	ToggleURL, SelectURL                    string
	BarLeft, BarWidth                       string // percentages of the trace's duration
}

// SpanDetail is the side panel of the selected span.
type SpanDetail struct {
	ID, Name, Type, Model, RequestModel, Provider, Start, Duration, TTFT, Cost string
	Failed                                                                     bool
	ErrorType, ErrorMessage                                                    string
	Tokens                                                                     *TokensView
	TokensEstimated, TokensMissing                                             bool
	// Facts are the span's notable attributes in words: an HTTP span's
	// method, route and status, a stream closed early, an attempt.
	Facts                                          []Fact
	Input, Output                                  []Message
	InputRaw, OutputRaw, RawInput, RawOutput       string
	AttributesRaw, MetadataRaw                     string
	InputCut, OutputCut, RawInputCut, RawOutputCut bool
	FullURL                                        string // the same panel without the 64 KB cut
	// Scores are the span's own.
	Scores ScoresView
}

// Fact is one labelled value of the detail panel.
type Fact struct{ Label, Value string }

// Trees above openAllBelow spans open collapsed below the first level,
// and rows are drawn rowsStep at a time (?rows= asks for more): a
// 10,000-span trace stays a light page. The open/shut lists in the URL
// are bounded (maxStateIDs each, maxStateQuery bytes in all): every row's
// links repeat them.
const (
	openAllBelow  = 300
	rowsStep      = 200
	maxRows       = 10_000
	rawLimit      = 64 << 10
	maxStateIDs   = 64
	maxStateQuery = 4 << 10
	maxIndent     = 40
)

func (h *Handler) tracePage(w http.ResponseWriter, r *http.Request) {
	h.renderTrace(w, r, http.StatusOK, "")
}

// renderTrace draws the trace page with status; scoreErr says why a score
// form sent from it was refused.
func (h *Handler) renderTrace(w http.ResponseWriter, r *http.Request, status int, scoreErr string) {
	if len(r.URL.RawQuery) > maxStateQuery {
		h.errorPage(w, r, http.StatusRequestURITooLong, "This link holds more tree state than the page keeps. Open the trace again from the list.")
		return
	}
	s := sessionOf(r)
	// The tree's columns only: the selected span's payloads are read on
	// their own below, so a 10,000-span trace does not read 12 MB to
	// draw 500 rows.
	d, err := h.traces.GetTraceTree(r.Context(), s.project.ID, chi.URLParam(r, "traceID"), h.treeSpans)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, http.StatusNotFound, "No such trace in this project.")
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	form := r.URL.Query()
	v := TraceView{Frame: s.frame(d.Name, "traces"), ID: d.TraceID, Name: d.Name, Agent: d.AgentName,
		Start: formatTime(d.StartTime), Duration: formatDuration(d.Duration()), Spans: formatCount(d.SpanCount),
		Cost: formatCost(d.CostUSD), Failed: d.Status == store.StatusError, Models: d.Models, Tokens: tokensView(d.Usage),
		Tags: d.Tags, UserID: d.UserID, SessionID: d.SessionID,
		Export: linksTo("/api/v1/export/traces/"+d.TraceID, url.Values{})}
	t := newTree(d.Spans)
	st := treeState{form: form, all: len(d.Spans) <= openAllBelow, base: "/traces/" + d.TraceID, limit: rowsStep}
	if n, err := strconv.Atoi(form.Get("rows")); err == nil && n > 0 {
		st.limit = min(n, maxRows)
	}
	v.Rows, v.Hidden = t.rows(d.Trace, st)
	v.Shown, v.Total = len(v.Rows), len(d.Spans)-t.duplicates
	v.ExpandAllURL, v.CollapseURL = st.with("expand", "all"), st.base
	if len(v.Rows) >= st.limit && st.limit < maxRows {
		v.MoreURL = st.with("rows", strconv.Itoa(st.limit+rowsStep*4))
		v.AllRowsURL = st.with("rows", strconv.Itoa(maxRows))
	}
	v.Notes = t.notes()
	if int64(len(d.Spans)) < d.SpanCount {
		v.Notes = append(v.Notes, fmt.Sprintf("This trace holds %s spans; the tree holds its first %s by start time.",
			formatCount(d.SpanCount), formatCount(int64(len(d.Spans)))))
	}
	v.TreeURL, v.GraphURL = st.without("view"), st.with("view", "graph")
	if form.Get("view") == "graph" {
		v.Graph = h.graphOf(r, s.project.ID, d, t, st)
	}
	sel, ok := t.index[form.Get("span")]
	if !ok {
		sel, ok = t.opening()
	}
	if ok {
		sp, err := h.traces.GetSpan(r.Context(), s.project.ID, d.TraceID, d.Spans[sel].SpanID)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		v.Detail = spanDetail(&sp, form.Get("full") != "")
		v.Detail.FullURL = st.with("span", d.Spans[sel].SpanID) + "&full=1"
		for i := range v.Rows {
			v.Rows[i].Selected = v.Rows[i].ID == d.Spans[sel].SpanID
		}
	}
	if err := h.traceScores(r, s, &v, d, st, scoreErr); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.render(w, r, status, TracePage(v))
}

// graphOf draws the trace's run; graph spans' recorded edges are read
// from their attributes, for at most maxGraphSpans of them.
func (h *Handler) graphOf(r *http.Request, projectID int64, d store.TraceTree, t *tree, st treeState) template.HTML {
	moves := map[int][]graphMove{}
	for i := range d.Spans {
		if d.Spans[i].Type != store.SpanGraph || len(moves) >= maxGraphSpans {
			continue
		}
		sp, err := h.traces.GetSpan(r.Context(), projectID, d.TraceID, d.Spans[i].SpanID)
		if err != nil {
			h.log.Warn("ui: graph span", "err", err)
			continue
		}
		moves[i] = graphMoves(sp.Attributes)
	}
	flow := runFlow(t, func(i int) []graphMove { return moves[i] }, func(id string) string { return st.with("span", id) })
	return chart.Graph("The run of "+d.Name+" as a graph", flow)
}

// opening picks the span the page opens on when none is asked for: the
// root when it recorded something; else the first agent span below it
// (the usual HTTP request → agent run); else the first span that recorded
// anything; else the root.
func (t *tree) opening() (int, bool) {
	if len(t.roots) == 0 {
		return 0, false
	}
	root := t.roots[0]
	if hasPayload(&t.spans[root]) {
		return root, true
	}
	agent, payload := -1, -1
	t.visit(func(i, _ int) bool {
		if agent < 0 && t.spans[i].Type == store.SpanAgent {
			agent = i
		}
		if payload < 0 && hasPayload(&t.spans[i]) {
			payload = i
		}
		return agent < 0
	})
	switch {
	case agent >= 0:
		return agent, true
	case payload >= 0:
		return payload, true
	}
	return root, true
}

// hasPayload reports whether a span of the tree recorded input or output.
func hasPayload(s *store.TreeSpan) bool { return s.PayloadBytes > 0 }

// notes say what newTree had to do to the data.
func (t *tree) notes() []string {
	var out []string
	for _, i := range t.cycles {
		s := &t.spans[i]
		out = append(out, fmt.Sprintf("Span %q (%s) names parent %s, which descends from it: the loop was cut and it is shown as a root.",
			s.Name, s.SpanID, s.ParentSpanID))
	}
	if t.duplicates > 0 {
		out = append(out, fmt.Sprintf("%d spans repeat the id of an earlier span and are not shown.", t.duplicates))
	}
	return out
}

// treeState is which subtrees are open, carried in the URL so that the
// page works without JavaScript: ?open=ids&shut=ids, or ?expand=all.
type treeState struct {
	form  url.Values
	all   bool
	base  string
	limit int // rows to draw
}

func (st treeState) ids(key string) []string {
	v := st.form.Get(key)
	if v == "" {
		return nil
	}
	ids := strings.Split(v, ",")
	if len(ids) > maxStateIDs {
		ids = ids[len(ids)-maxStateIDs:] // the latest toggles win
	}
	return ids
}

func (st treeState) isOpen(id string, depth int, shut, open []string) bool {
	switch {
	case slices.Contains(shut, id):
		return false
	case st.form.Get("expand") == "all" || slices.Contains(open, id):
		return true
	}
	return st.all || depth < 1
}

func (st treeState) without(key string) string {
	v := cloneValues(st.form)
	v.Del(key)
	if len(v) == 0 {
		return st.base
	}
	return st.base + "?" + v.Encode()
}

func (st treeState) with(key, value string) string {
	v := cloneValues(st.form)
	v.Set(key, value)
	return st.base + "?" + v.Encode()
}

// toggle returns the URL that flips id's subtree.
func (st treeState) toggle(id string, open bool, opened, shut []string) string {
	v := cloneValues(st.form)
	opened, shut = without(opened, id), without(shut, id)
	if open {
		shut = append(shut, id)
	} else {
		opened = append(opened, id)
	}
	setList(v, "open", opened)
	setList(v, "shut", shut)
	return st.base + "?" + v.Encode() + "#span-" + id
}

func without(list []string, id string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == id })
}

func setList(v url.Values, key string, list []string) {
	if len(list) > maxStateIDs {
		list = list[len(list)-maxStateIDs:]
	}
	if len(list) == 0 {
		v.Del(key)
		return
	}
	v.Set(key, strings.Join(list, ","))
}

// rows lays out the visible tree depth first.
func (t *tree) rows(tr store.Trace, st treeState) (rows []SpanRow, hidden int) {
	total := float64(tr.EndTime.Sub(tr.StartTime))
	if total <= 0 {
		total = 1
	}
	open, shut := st.ids("open"), st.ids("shut")
	selectBase := cloneValues(st.form)
	selectBase.Del("full")
	t.visit(func(i, depth int) bool {
		s := &t.spans[i]
		if len(rows) >= st.limit {
			hidden += 1 + t.size[i]
			return false
		}
		isOpen := st.isOpen(s.SpanID, depth, shut, open)
		selectBase.Set("span", s.SpanID)
		row := SpanRow{
			ID: s.SpanID, Name: s.Name, Type: string(s.Type), Duration: formatDuration(s.Duration()), Model: s.Model,
			Depth: min(depth, maxIndent), Children: len(t.children[i]), Open: isOpen && len(t.children[i]) > 0,
			Failed: s.Status == store.StatusError, SelectURL: st.base + "?" + selectBase.Encode() + "#span-" + s.SpanID,
			BarLeft:  percent(float64(s.StartTime.Sub(tr.StartTime)) / total),
			BarWidth: percent(max(float64(s.Duration())/total, 0.002)),
		}
		if row.Model == "" {
			row.Model = s.RequestModel
		}
		if s.HasUsage {
			row.Tokens = formatCount(s.TotalTokens)
		}
		if row.Children > 0 {
			row.ToggleURL = st.toggle(s.SpanID, isOpen, open, shut)
		}
		rows = append(rows, row)
		if !isOpen {
			hidden += t.size[i]
			return false
		}
		return true
	})
	return rows, hidden
}

func percent(f float64) string { return fmt.Sprintf("%.3f%%", min(max(f, 0), 1)*100) }

func spanDetail(s *store.Span, full bool) *SpanDetail {
	limit := rawLimit
	if full {
		limit = 0
	}
	d := &SpanDetail{ID: s.SpanID, Name: s.Name, Type: string(s.Type), Model: s.Model, RequestModel: s.RequestModel,
		Provider: s.Provider, Start: s.StartTime.UTC().Format("15:04:05.000"), Duration: formatDuration(s.Duration()),
		Failed: s.Status == store.StatusError, ErrorType: s.ErrorType, ErrorMessage: s.ErrorMessage,
		Input: chatMessages(s.Input, limit), Output: chatMessages(s.Output, limit)}
	if s.Usage != nil {
		tv := tokensView(*s.Usage)
		d.Tokens = &tv
	}
	if s.CostUSD != nil {
		d.Cost = formatCost(*s.CostUSD)
	}
	if s.TimeToFirstTokenMS != nil {
		d.TTFT = formatDuration(time.Duration(*s.TimeToFirstTokenMS * float64(time.Millisecond)))
	}
	attrs := decodeAttributes(s.Attributes)
	d.Facts = facts(attrs)
	d.TokensEstimated = attrs[tracium.AttrUsageEstimated] == true
	d.TokensMissing = s.Usage == nil && (attrs[tracium.AttrUsageMissing] == true || s.Type == store.SpanLLM)
	d.InputRaw, d.InputCut = prettyJSON(s.Input, limit)
	d.OutputRaw, d.OutputCut = prettyJSON(s.Output, limit)
	d.RawInput, d.RawInputCut = prettyJSON(s.RawInput, limit)
	d.RawOutput, d.RawOutputCut = prettyJSON(s.RawOutput, limit)
	d.AttributesRaw, _ = prettyJSON(s.Attributes, limit)
	d.MetadataRaw, _ = prettyJSON(s.Metadata, limit)
	return d
}

// decodeAttributes reads a span's attributes; numbers stay json.Number so
// that large ones print as sent.
func decodeAttributes(raw json.RawMessage) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}

// factAttributes are the attributes shown as facts, in order, with their
// labels.
var factAttributes = []struct{ key, label string }{
	{tracium.AttrHTTPMethod, "Method"},
	{tracium.AttrHTTPRoute, "Route"},
	{tracium.AttrURLPath, "Path"},
	{tracium.AttrHTTPStatusCode, "Status"},
	{tracium.AttrRPCService, "Service"},
	{tracium.AttrRPCMethod, "RPC method"},
	{tracium.AttrRPCGRPCStatusCode, "gRPC status"},
	{tracium.AttrMessagingSystem, "Queue system"},
	{tracium.AttrMessagingQueue, "Queue"},
	{tracium.AttrMessagingMessageID, "Job id"},
	{tracium.AttrTaskAttempt, "Attempt"},
	{tracium.AttrTaskMaxRetries, "Max retries"},
	{tracium.AttrTaskQueuedMS, "Queued (ms)"},
}

func facts(attrs map[string]any) []Fact {
	var out []Fact
	for _, a := range factAttributes {
		if v, ok := attrs[a.key]; ok {
			out = append(out, Fact{Label: a.label, Value: fmt.Sprint(v)})
		}
	}
	if n, ok := attrs[tracium.AttrAttempt].(json.Number); ok {
		// The clients count retries from 0; people count attempts from 1.
		if i, err := n.Int64(); err == nil {
			out = append(out, Fact{Label: "Attempt", Value: strconv.FormatInt(i+1, 10)})
		}
	}
	if attrs[tracium.AttrStreamClosedEarly] == true {
		out = append(out, Fact{Label: "Stream", Value: "closed by the caller before its end"})
	} else if attrs[tracium.AttrStream] == true {
		out = append(out, Fact{Label: "Stream", Value: "yes"})
	}
	return out
}
