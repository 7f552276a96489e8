package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/store"
)

// TraceView is the trace page: a summary, the span tree beside its
// waterfall, and the selected span's detail.
type TraceView struct {
	Frame
	ID, Name, Agent, Start, Duration, Spans, Cost string
	Failed                                        bool
	Usage                                         store.Usage
	Tags                                          []string
	UserID, SessionID                             string
	Rows                                          []SpanRow
	Hidden                                        int // spans collapsed or past the rows shown
	MoreURL                                       string
	ExpandAllURL, CollapseURL                     string
	Detail                                        *SpanDetail
}

// SpanRow is one visible line of the tree.
type SpanRow struct {
	ID, Name, Type, Duration, Model string
	Depth, Children                 int
	Open, Failed, Selected          bool
	ToggleURL, SelectURL            string
	BarLeft, BarWidth               string // percentages of the trace's duration
}

// SpanDetail is the side panel of the selected span.
type SpanDetail struct {
	ID, Name, Type, Model, RequestModel, Provider, Start, Duration, TTFT, Cost string
	Failed                                                                     bool
	ErrorType, ErrorMessage                                                    string
	Usage                                                                      *store.Usage
	Input, Output                                                              []Message
	InputRaw, OutputRaw, AttributesRaw, MetadataRaw                            string
	InputCut, OutputCut                                                        bool
	FullURL                                                                    string // the same panel without the 64 KB cut
}

// Trees above openAllBelow spans open collapsed below the first level,
// and rows are drawn rowsStep at a time (?rows= asks for more): a
// 10,000-span trace stays a light page.
const (
	openAllBelow = 300
	rowsStep     = 500
	maxRows      = 10_000
	rawLimit     = 64 << 10
)

func (h *Handler) tracePage(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	d, err := h.store.GetTrace(r.Context(), s.project.ID, chi.URLParam(r, "traceID"))
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, http.StatusNotFound, "No such trace in this project.")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := TraceView{Frame: s.frame(d.Name, "traces"), ID: d.TraceID, Name: d.Name, Agent: d.AgentName,
		Start: formatTime(d.StartTime), Duration: formatDuration(d.Duration()), Spans: formatCount(d.SpanCount),
		Cost: formatCost(d.CostUSD), Failed: d.Status == store.StatusError, Usage: d.Usage, Tags: d.Tags,
		UserID: d.UserID, SessionID: d.SessionID}
	t := newTree(d.Spans)
	st := treeState{form: r.URL.Query(), all: len(d.Spans) <= openAllBelow, base: "/traces/" + d.TraceID, limit: rowsStep}
	if n, err := strconv.Atoi(r.URL.Query().Get("rows")); err == nil && n > 0 {
		st.limit = min(n, maxRows)
	}
	v.Rows, v.Hidden = t.rows(d.Trace, st)
	v.ExpandAllURL, v.CollapseURL = st.with("expand", "all"), st.base
	if len(v.Rows) >= st.limit && st.limit < maxRows {
		v.MoreURL = st.with("rows", strconv.Itoa(st.limit+rowsStep*4))
	}
	sel, ok := t.index[r.URL.Query().Get("span")]
	if !ok && len(d.Spans) > 0 {
		sel, ok = t.roots[0], true
	}
	if ok {
		v.Detail = spanDetail(&d.Spans[sel], r.URL.Query().Get("full") != "")
		v.Detail.FullURL = st.with("span", d.Spans[sel].SpanID) + "&full=1"
	}
	h.render(w, r, http.StatusOK, TracePage(v))
}

// tree indexes a trace's spans by parent. Spans whose parent is not in
// the trace (not arrived yet, or in another service) are shown as roots.
type tree struct {
	spans    []store.Span
	index    map[string]int
	children map[string][]int
	roots    []int
}

func newTree(spans []store.Span) *tree {
	t := &tree{spans: spans, index: make(map[string]int, len(spans)), children: map[string][]int{}}
	for i := range spans {
		t.index[spans[i].SpanID] = i
	}
	for i := range spans { // spans come ordered by start time
		p := spans[i].ParentSpanID
		if _, ok := t.index[p]; ok && p != "" {
			t.children[p] = append(t.children[p], i)
		} else {
			t.roots = append(t.roots, i)
		}
	}
	return t
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
	if v := st.form.Get(key); v != "" {
		return strings.Split(v, ",")
	}
	return nil
}

func (st treeState) isOpen(id string, depth int) bool {
	switch {
	case slices.Contains(st.ids("shut"), id):
		return false
	case st.form.Get("expand") == "all" || slices.Contains(st.ids("open"), id):
		return true
	}
	return st.all || depth < 1
}

func (st treeState) with(key, value string) string {
	v := cloneValues(st.form)
	v.Set(key, value)
	return st.base + "?" + v.Encode()
}

// toggle returns the URL that flips id's subtree.
func (st treeState) toggle(id string, open bool) string {
	v := cloneValues(st.form)
	open_, shut := without(st.ids("open"), id), without(st.ids("shut"), id)
	if open {
		shut = append(shut, id)
	} else {
		open_ = append(open_, id)
	}
	setList(v, "open", open_)
	setList(v, "shut", shut)
	return st.base + "?" + v.Encode() + "#span-" + id
}

func without(list []string, id string) []string {
	return slices.DeleteFunc(list, func(s string) bool { return s == id })
}

func setList(v url.Values, key string, list []string) {
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
	selected := st.form.Get("span")
	var walk func(i, depth int)
	walk = func(i, depth int) {
		s := &t.spans[i]
		kids := t.children[s.SpanID]
		if len(rows) >= st.limit {
			hidden += 1 + t.size(s.SpanID)
			return
		}
		open := st.isOpen(s.SpanID, depth)
		sel := cloneValues(st.form)
		sel.Set("span", s.SpanID)
		sel.Del("full")
		rows = append(rows, SpanRow{
			ID: s.SpanID, Name: s.Name, Type: string(s.Type), Duration: formatDuration(s.Duration()), Model: s.Model,
			Depth: depth, Children: len(kids), Open: open && len(kids) > 0, Failed: s.Status == store.StatusError,
			Selected: s.SpanID == selected, ToggleURL: st.toggle(s.SpanID, open), SelectURL: st.base + "?" + sel.Encode() + "#span-" + s.SpanID,
			BarLeft:  percent(float64(s.StartTime.Sub(tr.StartTime)) / total),
			BarWidth: percent(max(float64(s.Duration())/total, 0.002)),
		})
		if !open {
			hidden += t.size(s.SpanID)
			return
		}
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	for _, i := range t.roots {
		walk(i, 0)
	}
	return rows, hidden
}

// size counts the descendants of id.
func (t *tree) size(id string) int {
	n := 0
	for _, k := range t.children[id] {
		n += 1 + t.size(t.spans[k].SpanID)
	}
	return n
}

func percent(f float64) string { return fmt.Sprintf("%.3f%%", min(max(f, 0), 1)*100) }

func spanDetail(s *store.Span, full bool) *SpanDetail {
	limit := rawLimit
	if full {
		limit = 0
	}
	d := &SpanDetail{ID: s.SpanID, Name: s.Name, Type: string(s.Type), Model: s.Model, RequestModel: s.RequestModel,
		Provider: s.Provider, Start: s.StartTime.UTC().Format("15:04:05.000"), Duration: formatDuration(s.Duration()),
		Failed: s.Status == store.StatusError, ErrorType: s.ErrorType, ErrorMessage: s.ErrorMessage, Usage: s.Usage,
		Input: chatMessages(s.Input), Output: chatMessages(s.Output)}
	if s.CostUSD != nil {
		d.Cost = formatCost(*s.CostUSD)
	}
	if s.TimeToFirstTokenMS != nil {
		d.TTFT = formatDuration(time.Duration(*s.TimeToFirstTokenMS * float64(time.Millisecond)))
	}
	d.InputRaw, d.InputCut = prettyJSON(s.Input, limit)
	d.OutputRaw, d.OutputCut = prettyJSON(s.Output, limit)
	d.AttributesRaw, _ = prettyJSON(s.Attributes, limit)
	d.MetadataRaw, _ = prettyJSON(s.Metadata, limit)
	return d
}
