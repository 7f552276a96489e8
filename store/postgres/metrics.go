package postgres

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// groupKeys are the SQL for each grouping's key. Time buckets come out as
// text in RFC 3339 so that ordering by key is chronological.
var groupKeys = map[store.GroupBy]string{
	store.GroupByModel:     `coalesce(nullif(model, ''), nullif(request_model, ''), 'unknown')`,
	store.GroupByAgentName: `coalesce(nullif(agent_name, ''), 'unknown')`,
	store.GroupByHour:      `to_char(date_trunc('hour', start_time AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`,
	store.GroupByDay:       `to_char(date_trunc('day', start_time AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`,
}

// UsageMetrics aggregates the project's LLM and embedding calls.
func (s *Store) UsageMetrics(ctx context.Context, projectID int64, uq store.UsageQuery) ([]store.UsageRow, error) {
	if err := uq.Validate(); err != nil {
		return nil, fmt.Errorf("usage metrics: %w", err)
	}
	key := groupKeys[uq.GroupBy]
	q := newQuery(projectID)
	q.where("type IN ('llm', 'embedding')")
	if !uq.Since.IsZero() {
		q.where("start_time >= %s", uq.Since)
	}
	if !uq.Until.IsZero() {
		q.where("start_time < %s", uq.Until)
	}
	if uq.Model != "" {
		q.where("model_keys @> ARRAY[%s]::text[]", store.ModelKey(uq.Model))
	}
	// sum of bigint is numeric: clamped, it saturates as store.Usage.Add does.
	sql := `SELECT ` + key + ` AS key, count(*), count(*) FILTER (WHERE status = 'error'),
    ` + clampedSum("input_tokens") + `, ` + clampedSum("output_tokens") + `, ` + clampedSum("cached_tokens") + `,
    ` + clampedSum("cache_creation_tokens") + `, ` + clampedSum("reasoning_tokens") + `, ` + clampedSum("total_tokens") + `,
    coalesce(sum(cost_usd), 0),
    percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM end_time - start_time) * 1000)
FROM spans WHERE ` + q.conds() + ` GROUP BY 1 ORDER BY 1`
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, fmt.Errorf("usage metrics: %w", mapError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.UsageRow, error) {
		var r store.UsageRow
		var p []float64
		err := row.Scan(&r.Key, &r.Count, &r.ErrorCount, &r.Usage.InputTokens, &r.Usage.OutputTokens,
			&r.Usage.CachedTokens, &r.Usage.CacheCreationTokens, &r.Usage.ReasoningTokens, &r.Usage.TotalTokens,
			&r.CostUSD, &p)
		if err != nil {
			return r, err
		}
		r.LatencyP50MS, r.LatencyP95MS, r.LatencyP99MS = p[0], p[1], p[2]
		r.ErrorRate = float64(r.ErrorCount) / float64(r.Count)
		if uq.GroupBy == store.GroupByHour || uq.GroupBy == store.GroupByDay {
			r.Bucket, err = time.Parse(time.RFC3339, r.Key)
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("usage metrics: %w", mapError(err))
	}
	return out, nil
}

func clampedSum(column string) string {
	return "least(sum(" + column + "), " + strconv.FormatInt(math.MaxInt64, 10) + ")::bigint"
}
