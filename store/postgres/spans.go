package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tracium/tracium/store"
)

// Writing spans. The common batch holds only new spans, so WriteSpans
// first COPYs it straight into spans, as fast as PostgreSQL takes rows,
// and folds it into the trace summaries computed in Go. When the COPY hits
// a span already stored (a retried batch), the transaction is rolled back
// and the batch goes the careful way: COPY into a temporary table, then
// INSERT ... ON CONFLICT DO NOTHING RETURNING the spans that were new, and
// only those are summarised. Either way the whole batch commits or none.

// spanColumns are the columns of span_stage, in COPY order. spans has the
// same ones after project_id.
var spanColumns = []string{
	"trace_id", "span_id", "parent_span_id", "name", "type", "start_time", "end_time", "status",
	"error_type", "error_message", "input", "output", "model", "request_model", "provider", "has_usage",
	"input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens", "reasoning_tokens", "total_tokens",
	"cost_usd", "ttft_ms", "attributes", "tags", "agent_name", "user_id", "session_id", "metadata",
}

var copyColumns = append([]string{"project_id"}, spanColumns...)

const stageList = `trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, input, output, model, request_model, provider, has_usage,
    input_tokens, output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens,
    cost_usd, ttft_ms, attributes, tags, agent_name, user_id, session_id, metadata`

// createStagingTables gives every pooled connection its own temporary
// tables. ON COMMIT DELETE ROWS empties them after each write.
func createStagingTables(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `
CREATE TEMP TABLE IF NOT EXISTS span_stage (
    trace_id text COLLATE "C", span_id text COLLATE "C", parent_span_id text COLLATE "C",
    name text, type text, start_time timestamptz, end_time timestamptz, status text,
    error_type text, error_message text, input json, output json,
    model text, request_model text, provider text, has_usage boolean,
    input_tokens bigint, output_tokens bigint, cached_tokens bigint,
    cache_creation_tokens bigint, reasoning_tokens bigint, total_tokens bigint,
    cost_usd double precision, ttft_ms double precision, attributes jsonb, tags text[],
    agent_name text, user_id text, session_id text, metadata jsonb
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS trace_stage (
    trace_id text COLLATE "C", root_span_id text COLLATE "C", name text, agent_name text,
    tags text[], models text[], user_id text, session_id text, metadata jsonb,
    start_time timestamptz, end_time timestamptz, span_count bigint, error_count bigint,
    input_tokens bigint, output_tokens bigint, cached_tokens bigint, cache_creation_tokens bigint,
    reasoning_tokens bigint, total_tokens bigint, cost_usd double precision,
    input json, output json, search_text text,
    root_agent_name text, root_user_id text, root_session_id text, root_metadata jsonb
) ON COMMIT DELETE ROWS`)
	return err
}

// insertNew moves span_stage into spans, skipping spans already stored,
// and says which were new.
const insertNew = `INSERT INTO spans (project_id, ` + stageList + `)
SELECT $1, ` + stageList + ` FROM span_stage
ON CONFLICT DO NOTHING
RETURNING trace_id, span_id`

// WriteSpans stores spans and updates their traces in one transaction.
func (s *Store) WriteSpans(ctx context.Context, projectID int64, spans []store.Span) error {
	if len(spans) == 0 {
		return nil
	}
	batch, err := prepareBatch(spans)
	if err != nil {
		return err
	}
	if err := s.ensurePartitions(ctx, batch); err != nil {
		return err
	}
	err = s.writeBatch(ctx, projectID, batch)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" && strings.HasPrefix(pgErr.Message, "no partition") {
		// A partition was dropped by retention after we cached it.
		// Forget what we know and try once more.
		s.partitions.Clear()
		if err := s.ensurePartitions(ctx, batch); err != nil {
			return err
		}
		err = s.writeBatch(ctx, projectID, batch)
	}
	if err != nil {
		return fmt.Errorf("write spans: %w", mapError(err))
	}
	return nil
}

func (s *Store) writeBatch(ctx context.Context, projectID int64, batch []store.Span) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows := make([][]any, len(batch))
		for i := range batch {
			rows[i] = append([]any{projectID}, spanRow(&batch[i])...)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"spans"}, copyColumns, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		return mergeTraces(ctx, tx, projectID, summarize(batch))
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows := make([][]any, len(batch))
		for i := range batch {
			rows[i] = spanRow(&batch[i])
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"span_stage"}, spanColumns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy to stage: %w", err)
		}
		res, err := tx.Query(ctx, insertNew, projectID)
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		type key struct{ trace, span string }
		inserted := map[key]bool{}
		var k key
		_, err = pgx.ForEachRow(res, []any{&k.trace, &k.span}, func() error { inserted[k] = true; return nil })
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		fresh := slices.DeleteFunc(slices.Clone(batch), func(sp store.Span) bool { return !inserted[key{sp.TraceID, sp.SpanID}] })
		return mergeTraces(ctx, tx, projectID, summarize(fresh))
	})
}

// prepareBatch validates and normalises a copy of spans, drops repeats of
// a span within the batch, and sorts by (trace id, span id): concurrent
// writers then take their locks in one order and do not deadlock.
func prepareBatch(spans []store.Span) ([]store.Span, error) {
	batch := make([]store.Span, len(spans)) // Normalize must not touch the caller's slice
	for i := range spans {
		batch[i] = spans[i]
		batch[i].Normalize()
		if err := batch[i].Validate(); err != nil {
			return nil, fmt.Errorf("%w: span %d: %v", store.ErrInvalid, i, err)
		}
	}
	slices.SortStableFunc(batch, func(a, b store.Span) int {
		return cmp.Or(strings.Compare(a.TraceID, b.TraceID), strings.Compare(a.SpanID, b.SpanID))
	})
	return slices.CompactFunc(batch, func(a, b store.Span) bool {
		return a.TraceID == b.TraceID && a.SpanID == b.SpanID
	}), nil
}

func spanRow(sp *store.Span) []any {
	var u store.Usage
	if sp.Usage != nil {
		u = *sp.Usage
	}
	return []any{
		sp.TraceID, sp.SpanID, sp.ParentSpanID, sp.Name, string(sp.Type), sp.StartTime, sp.EndTime, string(sp.Status),
		sp.ErrorType, sp.ErrorMessage, jsonArg(sp.Input), jsonArg(sp.Output), sp.Model, sp.RequestModel, sp.Provider, sp.Usage != nil,
		u.InputTokens, u.OutputTokens, u.CachedTokens, u.CacheCreationTokens, u.ReasoningTokens, u.TotalTokens,
		sp.CostUSD, sp.TimeToFirstTokenMS, jsonArg(sp.Attributes), nonNil(sp.Tags), sp.AgentName, sp.UserID, sp.SessionID, jsonArg(sp.Metadata),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// jsonArg passes raw JSON through untouched, and nil as SQL NULL.
func jsonArg(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}
