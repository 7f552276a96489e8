package migrations_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/migrations"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/sqlite"
)

// Rows as the first schema held them: each provider's own token
// convention, a span stored twice under two start times (PostgreSQL's old
// key allowed it), a trace whose sums overflowed nothing yet, users with
// one role for every project.
const (
	oldTrace  = "0123456789abcdef0123456789abcdef"
	hugeTrace = "fedcba9876543210fedcba9876543210"
)

type oldSpan struct {
	trace, id, parent, name, typ, provider, model, requestModel string
	offset                                                      time.Duration
	in, out, cached, creation, reasoning, total                 int64
	input, output                                               string
}

var oldSpans = []oldSpan{
	{trace: oldTrace, id: "1000000000000001", name: "run", typ: "agent",
		input: `{"messages":[{"role":"user","parts":[{"type":"text","content":"Where is it?"}]}]}`},
	{trace: oldTrace, id: "1000000000000002", parent: "1000000000000001", name: "chat", typ: "llm", provider: "anthropic",
		model: "claude-sonnet-4-5-20250929", offset: time.Second, in: 100, out: 20, cached: 1000, creation: 50, total: 1170,
		output: `{"messages":[{"role":"assistant","parts":[{"type":"text","content":"The capital is Lisbon."}]}]}`},
	{trace: oldTrace, id: "1000000000000003", parent: "1000000000000001", name: "think", typ: "llm", provider: "google",
		model: "gemini-2.5-pro", offset: 2 * time.Second, in: 80, out: 20, reasoning: 100, total: 200},
	{trace: oldTrace, id: "1000000000000004", parent: "1000000000000001", name: "mini", typ: "llm", provider: "openai",
		model: "gpt-4o-mini-2024-07-18", requestModel: "gpt-4o-mini", offset: 3 * time.Second, in: 10, out: 5, cached: 4, total: 15},
	{trace: hugeTrace, id: "2000000000000001", name: "a", typ: "llm", provider: "openai", model: "m", in: math.MaxInt64, total: math.MaxInt64},
	{trace: hugeTrace, id: "2000000000000002", parent: "2000000000000001", name: "b", typ: "llm", provider: "openai", model: "m",
		offset: time.Second, in: math.MaxInt64, total: math.MaxInt64},
}

// base is today, so that the spans' days and the duplicate's day before
// are both recent.
var dataBase = time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)

func TestMigrateOldRows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dialect migrations.Dialect
		db      func(t *testing.T) (*sql.DB, func(t *testing.T) store.Store)
	}{
		{migrations.Postgres, func(t *testing.T) (*sql.DB, func(t *testing.T) store.Store) {
			url := pgtest.NewDatabase(t)
			return openDB(t, "pgx", url), func(t *testing.T) store.Store {
				s, err := postgres.Open(t.Context(), postgres.Config{URL: url, SkipMigrate: true})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		}},
		{migrations.SQLite, func(t *testing.T) (*sql.DB, func(t *testing.T) store.Store) {
			path := filepath.Join(t.TempDir(), "t.db")
			return openDB(t, "sqlite", "file:"+path+"?_pragma=foreign_keys(1)"), func(t *testing.T) store.Store {
				s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, SkipMigrate: true})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		}},
	} {
		t.Run(string(tc.dialect), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db, open := tc.db(t)
			p, err := migrations.NewProvider(tc.dialect, db)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 1); err != nil {
				t.Fatal(err)
			}
			seedV1(t, db, tc.dialect)
			if _, err := p.Up(ctx); err != nil {
				t.Fatalf("up over old rows: %v", err)
			}
			checkMigrated(t, open(t), tc.dialect)

			if _, err := p.DownTo(ctx, 1); err != nil {
				t.Fatalf("down over migrated rows: %v", err)
			}
			var in int64
			if err := db.QueryRowContext(ctx, `SELECT input_tokens FROM spans WHERE span_id = '1000000000000002'`).Scan(&in); err != nil || in != 100 {
				t.Errorf("after down the Anthropic input is %d (%v), want its own convention's 100", in, err)
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatalf("up again: %v", err)
			}
			checkMigrated(t, open(t), tc.dialect)
		})
	}
}

func seedV1(t *testing.T, db *sql.DB, d migrations.Dialect) {
	t.Helper()
	ctx := t.Context()
	ph := func(n int) string { // placeholders $1.. or ?
		if d == migrations.Postgres {
			return fmt.Sprintf("$%d", n)
		}
		return "?"
	}
	tm := func(t time.Time) any {
		if d == migrations.Postgres {
			return t
		}
		return t.UnixMicro()
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	created := tm(dataBase)
	for _, name := range []string{"alpha", "beta"} {
		exec(fmt.Sprintf(`INSERT INTO projects (name, created_at) VALUES (%s, %s)`, ph(1), ph(2)), name, created)
	}
	for _, u := range [][2]string{{"admin@x", "admin"}, {"member@x", "member"}, {"viewer@x", "viewer"}} {
		exec(fmt.Sprintf(`INSERT INTO users (email, password_hash, role, created_at) VALUES (%s, %s, %s, %s)`, ph(1), ph(2), ph(3), ph(4)),
			u[0], []byte("h"), u[1], created)
	}
	if d == migrations.Postgres {
		for _, day := range []time.Time{dataBase.Truncate(24 * time.Hour), dataBase.Truncate(24 * time.Hour).Add(24 * time.Hour)} {
			exec(fmt.Sprintf(`CREATE TABLE spans_p%s PARTITION OF spans FOR VALUES FROM ('%s') TO ('%s')`,
				day.Format("20060102"), day.Format(time.RFC3339), day.Add(24*time.Hour).Format(time.RFC3339)))
		}
	}
	insert := fmt.Sprintf(`INSERT INTO spans (project_id, trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    model, request_model, provider, has_usage, input_tokens, output_tokens, cached_tokens, cache_creation_tokens,
    reasoning_tokens, total_tokens, input, output)
VALUES (1, %s, %s, %s, %s, %s, %s, %s, 'ok', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)`,
		ph(1), ph(2), ph(3), ph(4), ph(5), ph(6), ph(7), ph(8), ph(9), ph(10), ph(11), ph(12), ph(13), ph(14), ph(15), ph(16), ph(17), ph(18), ph(19))
	put := func(s oldSpan, start time.Time) {
		var input, output any
		if s.input != "" {
			input = s.input
		}
		if s.output != "" {
			output = s.output
		}
		exec(insert, s.trace, s.id, s.parent, s.name, s.typ, tm(start), tm(start.Add(time.Second)), s.model, s.requestModel,
			s.provider, s.typ == "llm", s.in, s.out, s.cached, s.creation, s.reasoning, s.total, input, output)
	}
	for _, s := range oldSpans {
		put(s, dataBase.Add(s.offset))
	}
	if d == migrations.Postgres {
		// The same span id resent with a start time on the next day: a
		// second row; the migration keeps the one that starts first.
		put(oldSpans[1], dataBase.Add(26*time.Hour))
	}
	// The summaries as the first schema kept them: old sums, the duplicate
	// counted, models from the answering model only.
	trace := fmt.Sprintf(`INSERT INTO traces (project_id, trace_id, root_span_id, name, models, start_time, end_time, span_count,
    input_tokens, output_tokens, total_tokens) VALUES (1, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)`,
		ph(1), ph(2), ph(3), ph(4), ph(5), ph(6), ph(7), ph(8), ph(9), ph(10))
	models := any(`["claude-sonnet-4-5-20250929","gemini-2.5-pro","gpt-4o-mini-2024-07-18"]`)
	if d == migrations.Postgres {
		models = []string{"claude-sonnet-4-5-20250929", "gemini-2.5-pro", "gpt-4o-mini-2024-07-18"}
	}
	if d == migrations.Postgres {
		exec(trace, oldTrace, "1000000000000001", "run", models, tm(dataBase), tm(dataBase.Add(26*time.Hour+time.Second)), 5, 290, 65, 2725)
	} else {
		exec(trace, oldTrace, "1000000000000001", "run", models, tm(dataBase), tm(dataBase.Add(4*time.Second)), 4, 190, 45, 1385)
	}
	hugeModels := any(`["m"]`)
	if d == migrations.Postgres {
		hugeModels = []string{"m"}
	}
	exec(trace, hugeTrace, "2000000000000001", "a", hugeModels, tm(dataBase), tm(dataBase.Add(2*time.Second)), 2, int64(math.MaxInt64), 0, int64(math.MaxInt64))
}

func checkMigrated(t *testing.T, s store.Store, d migrations.Dialect) {
	t.Helper()
	ctx := context.Background()
	tr, err := s.GetTrace(ctx, 1, oldTrace)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Spans) != 4 || tr.SpanCount != 4 {
		t.Errorf("%d spans, count %d; want 4 (a span stored twice kept once)", len(tr.Spans), tr.SpanCount)
	}
	usage := map[string]store.Usage{}
	var sum store.Usage
	for _, sp := range tr.Spans {
		if sp.Usage != nil {
			usage[sp.Name] = *sp.Usage
			sum = sum.Add(*sp.Usage)
		}
	}
	if u := usage["chat"]; u.InputTokens != 1150 || u.OutputTokens != 20 || u.TotalTokens != 1170 {
		t.Errorf("Anthropic usage %+v; want input 1150 (cache included), total 1170", u)
	}
	if u := usage["think"]; u.InputTokens != 80 || u.OutputTokens != 120 || u.TotalTokens != 200 {
		t.Errorf("Gemini usage %+v; want output 120 (thoughts included), total 200", u)
	}
	if u := usage["mini"]; u.InputTokens != 10 || u.OutputTokens != 5 || u.TotalTokens != 15 {
		t.Errorf("OpenAI usage %+v; want it unchanged", u)
	}
	if tr.Usage != sum {
		t.Errorf("trace usage %+v; want its spans' sum %+v", tr.Usage, sum)
	}
	if !tr.StartTime.Equal(dataBase) || !tr.EndTime.Equal(dataBase.Add(4*time.Second)) {
		t.Errorf("trace from %v to %v; want its kept spans' %v to %v", tr.StartTime, tr.EndTime, dataBase, dataBase.Add(4*time.Second))
	}
	huge, err := s.GetTrace(ctx, 1, hugeTrace)
	if err != nil || huge.Usage.InputTokens != math.MaxInt64 || huge.Usage.TotalTokens != math.MaxInt64 {
		t.Errorf("a sum of 2^63-1 twice: %+v, %v; want 2^63-1", huge.Usage, err)
	}

	list := func(f store.TraceFilter) []string {
		t.Helper()
		res, err := s.ListTraces(ctx, 1, f, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range res.Traces {
			ids = append(ids, x.TraceID)
		}
		return ids
	}
	for _, tt := range []struct {
		f    store.TraceFilter
		want []string
	}{
		{store.TraceFilter{Model: "gpt-4o-mini"}, []string{oldTrace}},
		{store.TraceFilter{Model: "claude-sonnet-4-5"}, []string{oldTrace}},
		{store.TraceFilter{Model: "gpt-4o"}, nil},
		{store.TraceFilter{Query: "capital is lisbon"}, []string{oldTrace}}, // a child's output
		{store.TraceFilter{Query: "where is it"}, []string{oldTrace}},
		{store.TraceFilter{Query: "role"}, nil},
		{store.TraceFilter{Query: "assistant"}, nil},
	} {
		if got := list(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("after migrating, %+v finds %q, want %q", tt.f, got, tt.want)
		}
	}
	spans, err := s.SearchSpans(ctx, 1, store.SpanFilter{Model: "gpt-4o-mini"}, store.Page{})
	if err != nil || len(spans.Spans) != 1 || spans.Spans[0].Name != "mini" {
		t.Errorf("span model filter after migrating: %+v, %v", spans.Spans, err)
	}
	tree, err := s.GetTraceTree(ctx, 1, oldTrace, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range tree.Spans {
		if sp.Name == "chat" && sp.PayloadBytes != int64(len(oldSpans[1].output)) {
			t.Errorf("payload bytes of an old span = %d, want %d", sp.PayloadBytes, len(oldSpans[1].output))
		}
	}

	users, err := s.ListUsers(ctx)
	if err != nil || len(users) != 3 {
		t.Fatalf("users %+v, %v", users, err)
	}
	for _, u := range users {
		prs, err := s.ListUserProjects(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]store.Role{"admin@x": store.RoleAdmin, "member@x": store.RoleMember, "viewer@x": store.RoleViewer}[u.Email]
		if len(prs) != 2 || prs[0].Role != want || prs[1].Role != want {
			t.Errorf("%s sees %+v; want both projects as %s", u.Email, prs, want)
		}
		if u.InstanceAdmin != (u.Email == "admin@x") {
			t.Errorf("%s: instance admin %v", u.Email, u.InstanceAdmin)
		}
	}
	if d == migrations.Postgres { // the identity is now one row per span id, enforced
		tid := oldTrace
		err := s.WriteSpans(ctx, 1, []store.Span{{TraceID: tid, SpanID: "1000000000000002", Name: "again", Type: store.SpanTask,
			StartTime: time.Now().Add(-time.Hour), EndTime: time.Now()}})
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := s.GetTrace(ctx, 1, tid); len(d.Spans) != 4 {
			t.Errorf("a resent old span made a row: %d spans", len(d.Spans))
		}
	}
}
