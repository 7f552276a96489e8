package sqlite

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/tracium/tracium/store"
)

// groupings are the SQL for each grouping's key and time bucket (UTC
// microseconds; 0 when the grouping is not by time).
var groupings = map[store.GroupBy]struct{ key, bucket string }{
	store.GroupByModel:     {`coalesce(nullif(model, ''), nullif(request_model, ''), 'unknown')`, `0`},
	store.GroupByAgentName: {`coalesce(nullif(agent_name, ''), 'unknown')`, `0`},
	store.GroupByHour:      {`''`, `start_time - start_time % 3600000000`},
	store.GroupByDay:       {`''`, `start_time - start_time % 86400000000`},
}

// UsageMetrics aggregates the project's LLM and embedding calls. SQLite has
// no percentile function, so the spans come sorted by group and duration
// and are folded here, one group in memory at a time.
func (s *Store) UsageMetrics(ctx context.Context, projectID int64, q store.UsageQuery) ([]store.UsageRow, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("usage metrics: %w", err)
	}
	g := groupings[q.GroupBy]
	w := newWhere(projectID)
	w.add("type IN ('llm', 'embedding')")
	if !q.Since.IsZero() {
		w.add("start_time >= ?", micros(q.Since))
	}
	if !q.Until.IsZero() {
		w.add("start_time < ?", micros(q.Until))
	}
	if q.Model != "" {
		w.add("EXISTS (SELECT 1 FROM json_each(spans.model_keys) WHERE value = ?)", store.ModelKey(q.Model))
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+g.key+` AS key, `+g.bucket+` AS bucket, status = 'error',
    input_tokens, output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens,
    coalesce(cost_usd, 0), end_time - start_time AS duration
FROM spans WHERE `+w.String()+` ORDER BY key, bucket, duration`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("usage metrics: %w", mapError(err))
	}
	defer rows.Close()
	acc := usageAcc{byTime: q.GroupBy == store.GroupByHour || q.GroupBy == store.GroupByDay}
	for rows.Next() {
		var c usageCall
		err := rows.Scan(&c.key, &c.bucket, &c.failed, &c.usage.InputTokens, &c.usage.OutputTokens,
			&c.usage.CachedTokens, &c.usage.CacheCreationTokens, &c.usage.ReasoningTokens, &c.usage.TotalTokens,
			&c.cost, &c.durationUS)
		if err != nil {
			return nil, fmt.Errorf("usage metrics: %w", mapError(err))
		}
		acc.add(c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("usage metrics: %w", mapError(err))
	}
	return acc.result(), nil
}

// usageCall is one span as UsageMetrics reads it.
type usageCall struct {
	key        string
	bucket     int64
	failed     bool
	usage      store.Usage
	cost       float64
	durationUS int64
}

// usageAcc folds calls sorted by (key, bucket, duration) into rows.
type usageAcc struct {
	byTime    bool
	rows      []store.UsageRow
	key       string
	bucket    int64
	durations []float64 // milliseconds, ascending, of the current group
}

func (a *usageAcc) add(c usageCall) {
	if len(a.rows) == 0 || c.key != a.key || c.bucket != a.bucket {
		a.finish()
		a.key, a.bucket = c.key, c.bucket
		r := store.UsageRow{Key: c.key}
		if a.byTime {
			r.Bucket = fromMicros(c.bucket)
			r.Key = r.Bucket.Format(time.RFC3339)
		}
		a.rows = append(a.rows, r)
	}
	r := &a.rows[len(a.rows)-1]
	r.Count++
	if c.failed {
		r.ErrorCount++
	}
	r.Usage = r.Usage.Add(c.usage) // saturating, as every sum is
	r.CostUSD += c.cost
	a.durations = append(a.durations, float64(c.durationUS)/1000)
}

// finish completes the current group's rates and percentiles.
func (a *usageAcc) finish() {
	if len(a.rows) == 0 {
		return
	}
	r := &a.rows[len(a.rows)-1]
	r.ErrorRate = float64(r.ErrorCount) / float64(r.Count)
	r.LatencyP50MS = percentile(a.durations, 0.50)
	r.LatencyP95MS = percentile(a.durations, 0.95)
	r.LatencyP99MS = percentile(a.durations, 0.99)
	a.durations = a.durations[:0]
}

func (a *usageAcc) result() []store.UsageRow {
	a.finish()
	if a.rows == nil {
		return []store.UsageRow{}
	}
	return a.rows
}

// percentile interpolates linearly between the closest ranks of sorted,
// as PostgreSQL's percentile_cont does.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := p * float64(len(sorted)-1)
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}
