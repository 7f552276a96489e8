package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tracium/tracium/store"
)

// Writing spans. A span lives in the partition of its trace's day, which
// the trace's row keeps; so a write first upserts the traces (learning or
// setting each one's day, and locking its row), then COPYs the spans. The
// common batch holds only new spans: its trace summaries, computed in Go,
// are merged and its spans COPYed straight in. When the COPY hits a span
// already stored (a retried batch), the transaction is rolled back and the
// batch goes the careful way: the traces are created or locked, the spans
// go through a temporary table and INSERT ... ON CONFLICT DO NOTHING
// RETURNING the ones that were new, and only those are summarised. Either
// way the whole batch commits or none of it.

// prepareConn readies every pooled connection for writes: lz4 for the
// values PostgreSQL compresses, and the connection's own staging tables.
func prepareConn(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, useLZ4); err != nil {
		return err
	}
	return createStagingTables(ctx, conn)
}

// useLZ4 has PostgreSQL compress what it TOASTs (a trace's search text,
// staged and then stored, and large payloads) with lz4 when the server
// was built with it: several times cheaper in CPU than its default pglz,
// for a little less compression. Values stored either way read the same.
const useLZ4 = `DO $$ BEGIN
    IF 'lz4' = ANY ((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression')::text[]) THEN
        SET default_toast_compression = 'lz4';
    END IF;
END $$`

// createStagingTables gives a connection its own temporary tables. ON
// COMMIT DELETE ROWS empties them after each write.
func createStagingTables(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `
CREATE TEMP TABLE IF NOT EXISTS span_stage (
    trace_id text COLLATE "C", span_id text COLLATE "C", parent_span_id text COLLATE "C",
    name text, type text, start_time timestamptz, end_time timestamptz, status text,
    error_type text, error_message text, model text, request_model text, provider text, has_usage boolean,
    input_tokens bigint, output_tokens bigint, cached_tokens bigint,
    cache_creation_tokens bigint, reasoning_tokens bigint, total_tokens bigint,
    cost_usd double precision, ttft_ms double precision, tags text[],
    agent_name text, user_id text, session_id text, metadata jsonb,
    trace_day date, model_keys text[], payload_bytes bigint, search_text text,
    input json, output json, raw_input json, raw_output json, attributes jsonb
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS trace_stage (
    trace_id text COLLATE "C", trace_day date, root_span_id text COLLATE "C", name text, agent_name text,
    tags text[], models text[], model_keys text[], user_id text, session_id text, metadata jsonb,
    start_time timestamptz, end_time timestamptz, span_count bigint, error_count bigint,
    input_tokens bigint, output_tokens bigint, cached_tokens bigint, cache_creation_tokens bigint,
    reasoning_tokens bigint, total_tokens bigint, cost_usd double precision,
    input json, output json, search_text text, search_words text,
    root_agent_name text, root_user_id text, root_session_id text, root_metadata jsonb
) ON COMMIT DELETE ROWS`)
	return err
}

// insertNew moves span_stage into spans, skipping spans already stored,
// and says which were new.
var insertNew = `INSERT INTO spans (project_id, ` + stageList + `)
SELECT $1, ` + stageList + ` FROM span_stage
ON CONFLICT DO NOTHING
RETURNING trace_id, span_id`

// WriteSpans stores spans and updates their traces in one transaction.
func (s *Store) WriteSpans(ctx context.Context, projectID int64, spans []store.Span) error {
	return s.writeSpans(ctx, projectID, spans, (*store.Span).Validate)
}

// WriteValidatedSpans is WriteSpans for spans validated before
// (store.SpanWriter).
func (s *Store) WriteValidatedSpans(ctx context.Context, projectID int64, spans []store.Span) error {
	return s.writeSpans(ctx, projectID, spans, (*store.Span).CheckValidated)
}

func (s *Store) writeSpans(ctx context.Context, projectID int64, spans []store.Span, check func(*store.Span) error) error {
	if len(spans) == 0 {
		return nil
	}
	batch, err := prepareBatch(spans, time.Now(), s.window, check)
	if err != nil {
		return fmt.Errorf("write spans: %w", err)
	}
	deltas := summarize(batch)
	if err := s.ensurePartitions(ctx, deltas); err != nil {
		return fmt.Errorf("write spans: %w", mapError(err))
	}
	err = s.writeBatch(ctx, projectID, batch, deltas)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" && strings.HasPrefix(pgErr.Message, "no partition") {
		// A partition was dropped by retention after we cached it.
		// Forget what we know and try once more.
		s.partitions.Clear()
		if err := s.ensurePartitions(ctx, deltas); err != nil {
			return fmt.Errorf("write spans: %w", mapError(err))
		}
		err = s.writeBatch(ctx, projectID, batch, deltas)
	}
	if err != nil {
		return fmt.Errorf("write spans: %w", mapError(err))
	}
	return nil
}

func (s *Store) writeBatch(ctx context.Context, projectID int64, batch []indexedSpan, deltas []store.TraceDelta) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		days, err := upsertTraces(ctx, tx, projectID, deltas, mergeTraces)
		if err != nil {
			return err
		}
		return copySpans(ctx, tx, "spans", projectID, batch, days)
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return writeCarefully(ctx, tx, projectID, batch, deltas) })
}

// writeCarefully writes a batch some of whose spans may be stored already.
// A trace with no row yet has none of its spans stored, so it is created
// with the summary of all of them; the other traces are locked, and get
// the summary of the spans that turn out to be new.
func writeCarefully(ctx context.Context, tx pgx.Tx, projectID int64, batch []indexedSpan, deltas []store.TraceDelta) error {
	days, err := upsertTraces(ctx, tx, projectID, deltas, createOrLockTraces)
	if err != nil {
		return err
	}
	if err := copySpans(ctx, tx, "span_stage", projectID, batch, days); err != nil {
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
	fresh := slices.DeleteFunc(slices.Clone(batch), func(sp indexedSpan) bool {
		return days[sp.TraceID].created || !inserted[key{sp.TraceID, sp.SpanID}]
	})
	if len(fresh) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `TRUNCATE trace_stage`); err != nil {
		return fmt.Errorf("clear trace stage: %w", err)
	}
	_, err = upsertTraces(ctx, tx, projectID, summarize(fresh), mergeTraces)
	return err
}

// indexedSpan is a span of a batch with its index, computed once.
type indexedSpan struct {
	store.Span
	index store.SpanIndex
}

// prepareBatch normalises a copy of spans and checks them (Span.Validate
// or, for spans validated before, Span.CheckValidated), refuses spans
// outside the write window w around now, drops the repeats of a span
// within the batch (the first stays) and indexes the rest. The spans keep
// their order: a trace's search text joins its spans' in the order they
// arrived.
func prepareBatch(spans []store.Span, now time.Time, w store.Window, check func(*store.Span) error) ([]indexedSpan, error) {
	batch := make([]indexedSpan, 0, len(spans)) // Normalize must not touch the caller's slice
	type key struct{ trace, span string }
	seen := make(map[key]bool, len(spans))
	for i := range spans {
		sp := spans[i]
		sp.Normalize()
		err := check(&sp)
		if err == nil {
			err = w.Check(now, sp.StartTime)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: span %d: %v", store.ErrInvalid, i, err)
		}
		if k := (key{sp.TraceID, sp.SpanID}); !seen[k] {
			seen[k] = true
			batch = append(batch, indexedSpan{Span: sp})
		}
	}
	for i := range batch {
		batch[i].index = store.IndexSpan(&batch[i].Span)
	}
	return batch, nil
}

// summarize groups spans into one delta per trace, by the store's rules,
// in trace id order: the order in which the writers of every process take
// the traces' row locks, so that they do not deadlock. Each trace's spans
// keep the order given.
//
// The groups are laid out in one array, each span copied once: a span is
// hundreds of bytes, and a batch thousands of spans.
func summarize(spans []indexedSpan) []store.TraceDelta {
	type group struct{ start, n int }
	groupOf := make([]int32, len(spans))
	byTrace := make(map[string]int32, len(spans)/4+1)
	var groups []group
	for i := range spans {
		g, ok := byTrace[spans[i].TraceID]
		if !ok {
			g = int32(len(groups))
			byTrace[spans[i].TraceID] = g
			groups = append(groups, group{})
		}
		groupOf[i] = g
		groups[g].n++
	}
	at := 0
	for g := range groups {
		groups[g].start = at
		at += groups[g].n
		groups[g].n = 0
	}
	grouped := make([]store.Span, len(spans))
	index := make([]store.SpanIndex, len(spans))
	for i := range spans {
		g := &groups[groupOf[i]]
		grouped[g.start+g.n], index[g.start+g.n] = spans[i].Span, spans[i].index
		g.n++
	}
	out := make([]store.TraceDelta, 0, len(groups))
	for _, g := range groups {
		out = append(out, store.SummarizeIndexed(grouped[g.start:g.start+g.n:g.start+g.n], index[g.start:g.start+g.n:g.start+g.n]))
	}
	slices.SortFunc(out, func(a, b store.TraceDelta) int { return cmp.Compare(a.TraceID, b.TraceID) })
	return out
}

// day is the UTC day of t, the partition of a trace that starts at t.
func day(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
