package ui

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/tracium/tracium/server/ui/chart"
	"github.com/tracium/tracium/store"
)

// The dashboard's scores: every score name given in the range with its
// count and average, and for the one chosen (?score=, else the most
// frequent) its average and count over time and by model and agent.

// ScoreBoard is the dashboard's scores section.
type ScoreBoard struct {
	Names []ScoreNameStat
	// Name is the score charted.
	Name                                    string
	TimeChart, CountChart, ByModel, ByAgent template.HTML
}

// ScoreNameStat is one score name of the range.
type ScoreNameStat struct {
	Name, Count, Average, URL string
	Selected                  bool
}

// maxLabelSeries bounds the labels a categorical score's chart stacks;
// the rest are summed into one layer.
const maxLabelSeries = 7

func (h *Handler) scoreBoard(r *http.Request, projectID int64, rangeName string, since, until time.Time, bucket store.GroupBy) ScoreBoard {
	q := func(g store.GroupBy, name string) []store.ScoreRow {
		if r.Context().Err() != nil {
			return nil
		}
		rows, err := h.traces.ScoreMetrics(r.Context(), projectID, store.ScoreQuery{Since: since, Until: until, Name: name, GroupBy: g})
		if err != nil {
			h.log.Warn("dashboard: scores", "err", err)
		}
		return rows
	}
	var b ScoreBoard
	names := q(store.GroupByName, "")
	if len(names) == 0 {
		return b
	}
	b.Name = r.URL.Query().Get("score")
	if !slices.ContainsFunc(names, func(s store.ScoreRow) bool { return s.Key == b.Name }) {
		b.Name = slices.MaxFunc(names, func(a, c store.ScoreRow) int { return cmp.Or(cmp.Compare(a.Count, c.Count), cmp.Compare(c.Key, a.Key)) }).Key
	}
	for _, n := range names {
		st := ScoreNameStat{Name: n.Key, Count: formatCount(n.Count), Average: "–", Selected: n.Key == b.Name,
			URL: "/dashboard?" + url.Values{"range": {rangeName}, "score": {n.Key}}.Encode() + "#scores"}
		switch {
		case n.Average != nil && n.Type == store.ScoreBoolean:
			st.Average = chart.FormatPercent(*n.Average) + " true"
		case n.Average != nil:
			st.Average = formatScore(*n.Average)
		}
		b.Names = append(b.Names, st)
	}
	byTime, byModel, byAgent := q(bucket, b.Name), q(store.GroupByModel, b.Name), q(store.GroupByAgentName, b.Name)
	averaged := slices.ContainsFunc(byTime, func(s store.ScoreRow) bool { return s.Average != nil })
	if averaged {
		avg := chart.Series{Name: "average"}
		for _, row := range byTime {
			if row.Average != nil {
				avg.Points = append(avg.Points, chart.Point{T: row.Bucket, V: *row.Average})
			}
		}
		b.TimeChart = chart.Lines("Average "+b.Name+" over time", []chart.Series{avg}, formatScoreAxis, 640, 240)
	}
	b.CountChart = chart.StackedBars(b.Name+" scores over time", countSeries(byTime), chart.FormatCount, 640, 240)
	b.ByModel = scoreBars(b.Name, "model", byModel, averaged)
	b.ByAgent = scoreBars(b.Name, "agent", byAgent, averaged)
	return b
}

func formatScoreAxis(v float64) string { return formatScore(v) }

// countSeries is how many scores each bucket holds: one layer per label
// for a categorical score (the most frequent ones, the rest summed), else
// one layer.
func countSeries(rows []store.ScoreRow) []chart.Series {
	totals := map[string]int64{}
	for _, row := range rows {
		for _, l := range row.Labels {
			totals[l.Label] += l.Count
		}
	}
	labels := make([]string, 0, len(totals))
	for l := range totals {
		labels = append(labels, l)
	}
	slices.SortFunc(labels, func(a, b string) int { return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b)) })
	shown := labels[:min(len(labels), maxLabelSeries)]
	series := make([]chart.Series, len(shown))
	for i, l := range shown {
		series[i].Name = l
	}
	others := chart.Series{Name: fmt.Sprintf("%d other labels", len(labels)-len(shown))}
	values := chart.Series{Name: "scores"}
	for _, row := range rows {
		var counted, other int64
		for _, l := range row.Labels {
			counted += l.Count
			if i := slices.Index(shown, l.Label); i >= 0 {
				series[i].Points = append(series[i].Points, chart.Point{T: row.Bucket, V: float64(l.Count)})
			} else {
				other += l.Count
			}
		}
		if other > 0 {
			others.Points = append(others.Points, chart.Point{T: row.Bucket, V: float64(other)})
		}
		if n := row.Count - counted; n > 0 {
			values.Points = append(values.Points, chart.Point{T: row.Bucket, V: float64(n)})
		}
	}
	if len(others.Points) > 0 {
		series = append(series, others)
	}
	if len(values.Points) > 0 || len(series) == 0 {
		series = append(series, values)
	}
	return series
}

// scoreBars draws a score by model or agent: its average when it has one,
// else how many scores each got, largest first.
func scoreBars(name, by string, rows []store.ScoreRow, averaged bool) template.HTML {
	value := func(r store.ScoreRow) float64 { return float64(r.Count) }
	title, f := name+" scores by "+by, chart.Format(chart.FormatCount)
	if averaged {
		value = func(r store.ScoreRow) float64 {
			if r.Average == nil {
				return 0
			}
			return *r.Average
		}
		title, f = "Average "+name+" by "+by, formatScoreAxis
	}
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b store.ScoreRow) int { return cmp.Compare(value(b), value(a)) })
	sorted = sorted[:min(len(sorted), maxBars)]
	labels, values := make([]string, len(sorted)), make([]float64, len(sorted))
	for i, r := range sorted {
		labels[i], values[i] = r.Key, value(r)
	}
	return chart.Bars(title, labels, values, f, 640, max(120, 36*len(sorted)+40))
}
