package store

import "time"

// GroupBy says how UsageMetrics buckets spans.
type GroupBy string

// The groupings UsageMetrics accepts. Hour and day buckets are in UTC.
const (
	GroupByModel     GroupBy = "model"
	GroupByAgentName GroupBy = "agent_name"
	GroupByHour      GroupBy = "hour"
	GroupByDay       GroupBy = "day"
)

// Valid reports whether g is a known grouping.
func (g GroupBy) Valid() bool {
	switch g {
	case GroupByModel, GroupByAgentName, GroupByHour, GroupByDay:
		return true
	}
	return false
}

// UsageQuery selects the spans UsageMetrics aggregates: the LLM and
// embedding calls that started in [Since, Until), and when Model is set
// only those it finds (by ModelKey, as TraceFilter.Model does).
type UsageQuery struct {
	Since, Until time.Time
	GroupBy      GroupBy
	Model        string
}

// UsageRow is one bucket of UsageMetrics. Key is the model or agent name,
// or for time groupings the bucket start formatted as RFC 3339 (Bucket
// holds it as a time).
type UsageRow struct {
	Key          string    `json:"key"`
	Bucket       time.Time `json:"bucket,omitzero"`
	Count        int64     `json:"count"`
	ErrorCount   int64     `json:"error_count"`
	ErrorRate    float64   `json:"error_rate"`
	Usage        Usage     `json:"usage"`
	CostUSD      float64   `json:"cost_usd"`
	LatencyP50MS float64   `json:"latency_p50_ms"`
	LatencyP95MS float64   `json:"latency_p95_ms"`
	LatencyP99MS float64   `json:"latency_p99_ms"`
}
