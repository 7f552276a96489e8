package ui

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/tracium/tracium/server/ui/chart"
	"github.com/tracium/tracium/store"
)

// DashboardView is the usage dashboard of the current project.
type DashboardView struct {
	Frame
	Range                                  string
	Calls, Tokens, Cost, P95, ErrorRate    string
	TokensChart, CostChart, LatencyChart   template.HTML
	ErrorChart, ModelCostChart, AgentChart template.HTML
	ModelTokensChart, AgentTokensChart     template.HTML
	Empty                                  bool
	// Scores are the range's scores, by name.
	Scores ScoreBoard
}

// dashboardRanges are the choices of the range selector, with the bucket
// each is drawn in.
var dashboardRanges = map[string]struct {
	span   time.Duration
	bucket store.GroupBy
}{
	"24h": {24 * time.Hour, store.GroupByHour},
	"7d":  {7 * 24 * time.Hour, store.GroupByHour},
	"30d": {30 * 24 * time.Hour, store.GroupByDay},
}

func (h *Handler) dashboardPage(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	v := DashboardView{Frame: s.frame("Dashboard", "dashboard"), Range: r.URL.Query().Get("range")}
	rg, ok := dashboardRanges[v.Range]
	if !ok {
		v.Range, rg = "24h", dashboardRanges["24h"]
	}
	until := time.Now().UTC()
	q := func(g store.GroupBy) []store.UsageRow {
		if err := r.Context().Err(); err != nil {
			return nil
		}
		rows, err := h.traces.UsageMetrics(r.Context(), s.project.ID, store.UsageQuery{Since: until.Add(-rg.span), Until: until, GroupBy: g})
		if err != nil {
			h.log.Warn("dashboard: usage", "err", err)
		}
		return rows
	}
	byTime, byModel, byAgent := q(rg.bucket), q(store.GroupByModel), q(store.GroupByAgentName)
	var total store.UsageRow
	for _, row := range byModel {
		total.Count += row.Count
		total.ErrorCount += row.ErrorCount
		total.Usage = total.Usage.Add(row.Usage)
		total.CostUSD += row.CostUSD
		total.LatencyP95MS = max(total.LatencyP95MS, row.LatencyP95MS)
	}
	v.Empty = total.Count == 0
	v.Calls, v.Tokens, v.Cost = formatCount(total.Count), formatCount(total.Usage.TotalTokens), formatCost(total.CostUSD)
	v.P95 = chart.FormatMillis(total.LatencyP95MS)
	if total.Count > 0 {
		v.ErrorRate = chart.FormatPercent(float64(total.ErrorCount) / float64(total.Count))
	} else {
		v.ErrorRate = "–"
	}

	series := func(name string, value func(store.UsageRow) float64) chart.Series {
		out := chart.Series{Name: name}
		for _, row := range byTime {
			out.Points = append(out.Points, chart.Point{T: row.Bucket, V: value(row)})
		}
		return out
	}
	v.TokensChart = chart.StackedBars("Tokens over time", []chart.Series{
		// Under the token convention the input includes the cache's reads and
		// writes, so the stack's parts add up to the total.
		series("input", func(r store.UsageRow) float64 {
			return float64(max(r.Usage.InputTokens-r.Usage.CachedTokens-r.Usage.CacheCreationTokens, 0))
		}),
		series("cached input", func(r store.UsageRow) float64 { return float64(r.Usage.CachedTokens) }),
		series("cache write", func(r store.UsageRow) float64 { return float64(r.Usage.CacheCreationTokens) }),
		series("output", func(r store.UsageRow) float64 { return float64(r.Usage.OutputTokens) }),
	}, chart.FormatCount, 640, 240)
	v.CostChart = chart.Lines("Cost over time", []chart.Series{series("cost", func(r store.UsageRow) float64 { return r.CostUSD })},
		chart.FormatUSD, 640, 240)
	v.LatencyChart = chart.Lines("Latency over time", []chart.Series{
		series("p50", func(r store.UsageRow) float64 { return r.LatencyP50MS }),
		series("p95", func(r store.UsageRow) float64 { return r.LatencyP95MS }),
	}, chart.FormatMillis, 640, 240)
	v.ErrorChart = chart.Lines("Error rate", []chart.Series{series("errors", func(r store.UsageRow) float64 { return r.ErrorRate })},
		chart.FormatPercent, 640, 240)
	v.ModelCostChart = bars("Cost by model", byModel, func(r store.UsageRow) float64 { return r.CostUSD }, chart.FormatUSD)
	v.ModelTokensChart = bars("Tokens by model", byModel, func(r store.UsageRow) float64 { return float64(r.Usage.TotalTokens) }, chart.FormatCount)
	v.AgentChart = bars("Cost by agent", byAgent, func(r store.UsageRow) float64 { return r.CostUSD }, chart.FormatUSD)
	v.AgentTokensChart = bars("Tokens by agent", byAgent, func(r store.UsageRow) float64 { return float64(r.Usage.TotalTokens) }, chart.FormatCount)
	v.Scores = h.scoreBoard(r, s.project.ID, v.Range, until.Add(-rg.span), until, rg.bucket)
	h.render(w, r, http.StatusOK, DashboardPage(v))
}

// maxBars bounds the bars of one chart.
const maxBars = 20

// bars draws rows largest first.
func bars(title string, rows []store.UsageRow, value func(store.UsageRow) float64, f chart.Format) template.HTML {
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b store.UsageRow) int { return cmp.Compare(value(b), value(a)) })
	if len(sorted) > maxBars {
		// The rest are summed into one bar: a chart of 20,000 models says
		// nothing, and would be a page of megabytes.
		rest := store.UsageRow{Key: fmt.Sprintf("%d others", len(sorted)-maxBars+1)}
		for _, r := range sorted[maxBars-1:] {
			rest.Count += r.Count
			rest.Usage = rest.Usage.Add(r.Usage)
			rest.CostUSD += r.CostUSD
		}
		sorted = append(sorted[:maxBars-1], rest)
	}
	labels, values := make([]string, len(sorted)), make([]float64, len(sorted))
	for i, r := range sorted {
		labels[i], values[i] = r.Key, value(r)
	}
	return chart.Bars(title, labels, values, f, 640, max(120, 36*len(sorted)+40))
}
