package zzproto

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tracium/tracium/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const cols = `trace_id text COLLATE "C" NOT NULL, span_id text COLLATE "C" NOT NULL, parent_span_id text NOT NULL,
 name text NOT NULL, start_time timestamptz NOT NULL, end_time timestamptz NOT NULL, input json, output json,
 model text NOT NULL, input_tokens bigint NOT NULL, search_text text NOT NULL`

var colNames = []string{"trace_id", "span_id", "parent_span_id", "name", "start_time", "end_time", "input", "output", "model", "input_tokens", "search_text"}

func hexid(n int) string { b := make([]byte, n/2); rand.Read(b); return hex.EncodeToString(b) }

type span struct {
	trace, id, parent string
	start             time.Time
	in, out, text     string
}

func gen(n int, start time.Time) []span {
	text := strings.Repeat("the quick brown fox jumps over the lazy dog ", 11)[:460]
	var out []span
	for len(out) < n {
		tid := hexid(32)
		root := hexid(16)
		for j := 0; j < 10; j++ {
			id := root
			parent := ""
			if j > 0 {
				id, parent = hexid(16), root
			}
			out = append(out, span{tid, id, parent, start.Add(time.Duration(j) * time.Millisecond),
				`{"role":"user","content":"` + text + `"}`, `{"role":"assistant","content":"` + text + `"}`, text + "\n" + text})
		}
	}
	return out[:n]
}

func row(s span, extra ...any) []any {
	r := []any{int64(1), s.trace, s.id, s.parent, "chat", s.start, s.start.Add(time.Second), s.in, s.out, "gpt-4o", int64(10), s.text}
	return append(r, extra...)
}

func setup(ctx context.Context, pool *pgxpool.Pool, days []time.Time) error {
	var b strings.Builder
	b.WriteString(`
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE base_spans (project_id bigint NOT NULL, ` + cols + `, PRIMARY KEY (project_id, trace_id, span_id, start_time)) PARTITION BY RANGE (start_time);
CREATE INDEX ON base_spans (project_id, start_time);
CREATE TABLE keys_spans (project_id bigint NOT NULL, ` + cols + `) PARTITION BY RANGE (start_time);
CREATE INDEX ON keys_spans (project_id, trace_id, span_id);
CREATE INDEX ON keys_spans (project_id, start_time);
CREATE TABLE span_keys (project_id bigint NOT NULL, trace_id text COLLATE "C" NOT NULL, span_id text COLLATE "C" NOT NULL, start_time timestamptz NOT NULL, PRIMARY KEY (project_id, trace_id, span_id));
CREATE TABLE day_spans (project_id bigint NOT NULL, ` + cols + `, trace_day date NOT NULL, PRIMARY KEY (project_id, trace_id, span_id, trace_day)) PARTITION BY RANGE (trace_day);
CREATE INDEX ON day_spans (project_id, start_time);
CREATE TABLE raw_spans (project_id bigint NOT NULL, ` + cols + `, PRIMARY KEY (project_id, trace_id, span_id, start_time)) PARTITION BY RANGE (start_time);
CREATE INDEX ON raw_spans (project_id, start_time);
`)
	for _, p := range []string{"base", "keys", "day"} {
		fmt.Fprintf(&b, `CREATE TABLE %s_traces (project_id bigint NOT NULL, trace_id text COLLATE "C" NOT NULL, trace_day date NOT NULL, span_count bigint NOT NULL, input_tokens bigint NOT NULL, search_text text NOT NULL, PRIMARY KEY (project_id, trace_id));
CREATE INDEX ON %s_traces USING gin (search_text gin_trgm_ops);
`, p, p)
	}
	for _, d := range days {
		for _, p := range []string{"base", "keys", "raw"} {
			fmt.Fprintf(&b, "CREATE TABLE %s_spans_%s PARTITION OF %s_spans FOR VALUES FROM ('%s') TO ('%s');\n", p, d.Format("20060102"), p, d.Format(time.RFC3339), d.Add(24*time.Hour).Format(time.RFC3339))
		}
		fmt.Fprintf(&b, "CREATE TABLE day_spans_%s PARTITION OF day_spans FOR VALUES FROM ('%s') TO ('%s');\n", d.Format("20060102"), d.Format("2006-01-02"), d.Add(24*time.Hour).Format("2006-01-02"))
	}
	_, err := pool.Exec(ctx, b.String())
	return err
}

func createStage(ctx context.Context, c *pgx.Conn) error {
	_, err := c.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS trace_stage (trace_id text COLLATE "C", trace_day date, span_count bigint, input_tokens bigint, search_text text) ON COMMIT DELETE ROWS`)
	return err
}

type delta struct {
	trace string
	day   time.Time
	n     int64
	text  string
}

func deltas(b []span) []delta {
	var out []delta
	for _, s := range b {
		if len(out) == 0 || out[len(out)-1].trace != s.trace {
			out = append(out, delta{trace: s.trace, day: s.start.Truncate(24 * time.Hour)})
		}
		d := &out[len(out)-1]
		d.n++
		if len(d.text) < 60000 {
			d.text += s.text + "\n"
		}
	}
	return out
}

func stageRows(ds []delta) [][]any {
	rows := make([][]any, len(ds))
	for i, d := range ds {
		rows[i] = []any{d.trace, d.day, d.n, d.n * 10, d.text}
	}
	return rows
}

const upsertFmt = `INSERT INTO %s_traces AS t (project_id, trace_id, trace_day, span_count, input_tokens, search_text)
SELECT 1, trace_id, trace_day, span_count, input_tokens, search_text FROM trace_stage
ON CONFLICT (project_id, trace_id) DO UPDATE SET span_count = t.span_count + excluded.span_count,
 input_tokens = least(t.input_tokens::numeric + excluded.input_tokens, 9223372036854775807)::bigint,
 search_text = left(t.search_text || excluded.search_text, 65536)`

func writeBase(ctx context.Context, pool *pgxpool.Pool, b []span) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows := make([][]any, len(b))
		for i, s := range b {
			rows[i] = row(s)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"base_spans"}, append([]string{"project_id"}, colNames...), pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"trace_stage"}, []string{"trace_id", "trace_day", "span_count", "input_tokens", "search_text"}, pgx.CopyFromRows(stageRows(deltas(b)))); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(upsertFmt, "base"))
		return err
	})
}

func writeKeys(ctx context.Context, pool *pgxpool.Pool, b []span) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		keys := make([][]any, len(b))
		rows := make([][]any, len(b))
		for i, s := range b {
			keys[i] = []any{int64(1), s.trace, s.id, s.start}
			rows[i] = row(s)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"span_keys"}, []string{"project_id", "trace_id", "span_id", "start_time"}, pgx.CopyFromRows(keys)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"keys_spans"}, append([]string{"project_id"}, colNames...), pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"trace_stage"}, []string{"trace_id", "trace_day", "span_count", "input_tokens", "search_text"}, pgx.CopyFromRows(stageRows(deltas(b)))); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(upsertFmt, "keys"))
		return err
	})
}

func writeDay(ctx context.Context, pool *pgxpool.Pool, b []span) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"trace_stage"}, []string{"trace_id", "trace_day", "span_count", "input_tokens", "search_text"}, pgx.CopyFromRows(stageRows(deltas(b)))); err != nil {
			return err
		}
		res, err := tx.Query(ctx, fmt.Sprintf(upsertFmt, "day")+" RETURNING trace_id, trace_day")
		if err != nil {
			return err
		}
		days := map[string]time.Time{}
		var id string
		var d time.Time
		if _, err := pgx.ForEachRow(res, []any{&id, &d}, func() error { days[id] = d; return nil }); err != nil {
			return err
		}
		rows := make([][]any, len(b))
		for i, s := range b {
			rows[i] = row(s, days[s.trace])
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"day_spans"}, append(append([]string{"project_id"}, colNames...), "trace_day"), pgx.CopyFromRows(rows))
		return err
	})
}

func writeRaw(ctx context.Context, pool *pgxpool.Pool, b []span) error {
	rows := make([][]any, len(b))
	for i, s := range b {
		rows[i] = row(s)
	}
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"raw_spans"}, append([]string{"project_id"}, colNames...), pgx.CopyFromRows(rows))
	return err
}

func BenchmarkIdentity(b *testing.B) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	cfg.AfterConnect = createStage
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	start := time.Now().UTC().Add(-time.Hour)
	if err := setup(ctx, pool, []time.Time{start.Truncate(24 * time.Hour), start.Truncate(24 * time.Hour).Add(24 * time.Hour)}); err != nil {
		b.Fatal(err)
	}
	for _, per := range []int{100, 5000} {
		b.Run(fmt.Sprintf("batch=%d", per), func(b *testing.B) {
			designs := []struct {
				name  string
				write func(context.Context, *pgxpool.Pool, []span) error
			}{{"base", writeBase}, {"keys", writeKeys}, {"day", writeDay}, {"raw", writeRaw}}
			took := make([]time.Duration, len(designs))
			batches := max(2000/per, 2)
			n := 0
			for b.Loop() {
				for k := range batches {
					for j := range designs {
						d := designs[(j+k)%len(designs)]
						sp := gen(per, start)
						t0 := time.Now()
						if err := d.write(ctx, pool, sp); err != nil {
							b.Fatal(d.name, err)
						}
						took[(j+k)%len(designs)] += time.Since(t0)
					}
					n += per
				}
			}
			for j, d := range designs {
				b.ReportMetric(float64(n)/took[j].Seconds(), d.name+"-spans/s")
			}
		})
	}
}
