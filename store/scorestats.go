package store

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// How scores are summed up, the same on every backend: each backend
// groups its scores in SQL by what the answer is keyed on and by type and
// label, and the rows are folded here into counts, averages and label
// counts.

// ScoreCount is one group of scores as a backend counts them: scores of
// one type and, for categorical ones, one label, with the sum of their
// values (a boolean counts 1 or 0).
type ScoreCount struct {
	Type  ScoreType
	Label string
	Count int64
	Sum   float64
}

// LabelCount is how many categorical scores carry one label.
type LabelCount struct {
	Label string `json:"label"`
	Count int64  `json:"count"`
}

// ScoreStats sums up a set of scores: how many there are, the average of
// the numeric and boolean ones (for booleans, the share of true), and how
// many carry each label, most frequent first.
type ScoreStats struct {
	Count   int64        `json:"count"`
	Average *float64     `json:"average,omitempty"`
	Labels  []LabelCount `json:"labels,omitempty"`

	sum      float64
	averaged int64
}

// add counts one group in.
func (s *ScoreStats) add(c ScoreCount) {
	s.Count += c.Count
	if c.Type == ScoreCategorical {
		s.Labels = append(s.Labels, LabelCount{Label: c.Label, Count: c.Count})
		return
	}
	s.sum += c.Sum
	s.averaged += c.Count
}

// finish computes the average and orders the labels.
func (s *ScoreStats) finish() {
	if s.averaged > 0 {
		avg := s.sum / float64(s.averaged)
		s.Average = &avg
	}
	slices.SortFunc(s.Labels, func(a, b LabelCount) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Label, b.Label)) })
}

// ScoreSummary sums up a trace's scores of one name and type: what the
// traces list shows.
type ScoreSummary struct {
	Name string    `json:"name"`
	Type ScoreType `json:"type"`
	ScoreStats
}

// TraceScoreCount is one row of a backend's grouping of the scores of
// listed traces, by trace, name, type and label.
type TraceScoreCount struct {
	TraceID string
	Name    string
	ScoreCount
}

// SummarizeScores folds rows into each trace's summaries, by name then
// type.
func SummarizeScores(rows []TraceScoreCount) map[string][]ScoreSummary {
	out := map[string][]ScoreSummary{}
	for _, r := range rows {
		sums := out[r.TraceID]
		i := slices.IndexFunc(sums, func(s ScoreSummary) bool { return s.Name == r.Name && s.Type == r.Type })
		if i < 0 {
			sums = append(sums, ScoreSummary{Name: r.Name, Type: r.Type})
			i = len(sums) - 1
		}
		sums[i].add(r.ScoreCount)
		out[r.TraceID] = sums
	}
	for _, sums := range out {
		for i := range sums {
			sums[i].finish()
		}
		slices.SortFunc(sums, func(a, b ScoreSummary) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type)) })
	}
	return out
}

// GroupByName groups scores by their name (ScoreMetrics only).
const GroupByName GroupBy = "name"

// ScoreQuery selects the scores ScoreMetrics sums up: those given in
// [Since, Until), of Name when it is set.
//
// Grouped by model, a score of a span that has a model counts toward that
// model; any other counts toward each model its trace used ("unknown" for
// none, or a trace not yet stored). Grouped by agent, it counts toward its
// span's agent, else its trace's. Hour and day buckets are of the score's
// time, in UTC.
type ScoreQuery struct {
	Since, Until time.Time
	Name         string
	GroupBy      GroupBy
}

// Validate reports the first parameter of q that no backend accepts, as a
// *ParamError.
func (q ScoreQuery) Validate() error {
	if !q.GroupBy.Valid() && q.GroupBy != GroupByName {
		return &ParamError{"group_by", fmt.Sprintf("%q is not name, model, agent_name, hour or day", q.GroupBy)}
	}
	return checkParam("name", q.Name, MaxScoreNameLen)
}

// ScoreRow is one group of ScoreMetrics. Key is the name, model or agent,
// or for time groupings the bucket's start in RFC 3339 (Bucket holds it as
// a time).
type ScoreRow struct {
	Key    string    `json:"key"`
	Bucket time.Time `json:"bucket,omitzero"`
	// Type is the type of every score of the row; empty when they differ.
	Type ScoreType `json:"type,omitempty"`
	ScoreStats
}

// GroupedScoreCount is one row of a backend's grouping for ScoreMetrics:
// by key (or bucket), type and label.
type GroupedScoreCount struct {
	Key    string
	Bucket time.Time
	ScoreCount
}

// FoldScoreRows folds rows, sorted by key or by bucket, into ScoreMetrics'
// answer; for a time grouping each row's key becomes its bucket in RFC
// 3339.
func FoldScoreRows(rows []GroupedScoreCount, byTime bool) []ScoreRow {
	out := []ScoreRow{}
	for _, r := range rows {
		if byTime {
			r.Bucket = r.Bucket.UTC()
			r.Key = r.Bucket.Format(time.RFC3339)
		} else {
			r.Bucket = time.Time{}
		}
		if n := len(out); n == 0 || out[n-1].Key != r.Key {
			out = append(out, ScoreRow{Key: r.Key, Bucket: r.Bucket, Type: r.Type})
		}
		last := &out[len(out)-1]
		if last.Type != r.Type {
			last.Type = ""
		}
		last.add(r.ScoreCount)
	}
	for i := range out {
		out[i].finish()
	}
	return out
}
