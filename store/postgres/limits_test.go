package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/storetest"
)

func span(tid, parent, name string, start time.Time) store.Span {
	return store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), ParentSpanID: parent, Name: name, Type: store.SpanTask,
		StartTime: start, EndTime: start.Add(time.Second)}
}

// TestCheckJSONAgreesWithPostgres runs JSON that sits on every edge of
// what jsonb takes through store.CheckJSON and through PostgreSQL itself:
// a document the check accepts, PostgreSQL stores; one it refuses as jsonb,
// PostgreSQL refuses too (depth aside: the check's bound is lower on
// purpose).
func TestCheckJSONAgreesWithPostgres(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	docs := []string{
		`{"a":"\ud800"}`, `"\udfff"`, `"\ud83d\ude00"`, `"\ud83d\u0041"`, `"\ud83d"`, `"x\u0000"`, `"\u0001"`,
		`1e131071`, `1e131072`, `-9.99e131071`, `0.0001e131075`, `0.0001e131074`, `12345e131067`, `12345e131068`,
		`1e-16383`, `1e-16384`, `0e-16383`, `0e-16384`, `1.5e-16382`, `1.5e-16383`, `0e999999999`, `0e1073741823`,
		`1e1000000`, `-0`, `0.000`, `[1,{"b":[true,null,"é"]}]`,
		"0." + strings.Repeat("0", 16383), "0." + strings.Repeat("0", 16384), "1." + strings.Repeat("5", 16383) + "e0",
		"1" + strings.Repeat("0", 131071), "1" + strings.Repeat("0", 131072),
		"0.00" + strings.Repeat("1", 16381), "0.00" + strings.Repeat("1", 16382),
	}
	for i := range 40 { // numbers around both bounds, with other shapes of mantissa
		docs = append(docs, fmt.Sprintf("%d.%de%d", i+1, i*7, 131060+i%20), fmt.Sprintf("0.%0*de-%d", i%5+1, i+1, 16370+i))
	}
	for _, doc := range docs {
		_, pgErr := conn.Exec(ctx, `SELECT $1::text::jsonb`, doc)
		checkErr := store.CheckJSON([]byte(doc), store.JSONB)
		if (checkErr == nil) != (pgErr == nil) {
			t.Errorf("%.50s: CheckJSON says %v, PostgreSQL's jsonb says %v", doc, checkErr, pgErr)
		}
		if store.CheckJSON([]byte(doc), store.JSONText) == nil {
			if _, err := conn.Exec(ctx, `SELECT $1::text::json`, doc); err != nil {
				t.Errorf("%.50s: accepted as text but PostgreSQL's json refuses it: %v", doc, err)
			}
		}
	}
}

// TestUnavailable checks that a database that cannot answer is
// ErrUnavailable, never mistaken for bad data: a server nobody listens
// for, connections the server terminated, and a pool with no free
// connection past the caller's deadline.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if _, err := postgres.Open(ctx, postgres.Config{URL: "postgres://nobody@" + addr + "/none?connect_timeout=2"}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open on a closed port: err = %v, want ErrUnavailable", err)
	}

	url := pgtest.NewDatabase(t)
	s, err := postgres.Open(ctx, postgres.Config{URL: url, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.CreateProject(ctx, "unavailable")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	_, err = s.ListTraces(ctx, p.ID, store.TraceFilter{}, store.Page{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("a read on a terminated connection: err = %v, want ErrUnavailable", err)
	}
	if _, err := s.ListTraces(ctx, p.ID, store.TraceFilter{}, store.Page{}); err != nil {
		t.Errorf("the pool did not recover: %v", err)
	}

	held, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err = s.WriteSpans(short, p.ID, []store.Span{span(storetest.NewTraceID(), "", "root", time.Now())})
	held.Release()
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("no free connection before the deadline: err = %v, want ErrUnavailable", err)
	}
}

// TestSumsSaturate puts counts no span may carry (2^63-1) into stored
// rows and checks that the upsert and the metrics, which add in SQL,
// clamp rather than fail with 22003 or wrap.
func TestSumsSaturate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := sharedStore(t)
	p, err := s.CreateProject(ctx, "saturate-"+storetest.NewSpanID())
	if err != nil {
		t.Fatal(err)
	}
	tid := storetest.NewTraceID()
	now := time.Now().UTC()
	root := span(tid, "", "root", now)
	a := span(tid, root.SpanID, "a", now.Add(time.Second))
	a.Type, a.Model, a.Usage = store.SpanLLM, "m", &store.Usage{InputTokens: 1}
	c := a
	c.SpanID = storetest.NewSpanID()
	if err := s.WriteSpans(ctx, p.ID, []store.Span{root, a, c}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE spans SET input_tokens = 9223372036854775807, total_tokens = 9223372036854775807 WHERE project_id = $1 AND type = 'llm'`,
		`UPDATE traces SET input_tokens = 9223372036854775807 WHERE project_id = $1`,
	} {
		if _, err := s.Pool().Exec(ctx, q, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	more := a
	more.SpanID, more.Usage = storetest.NewSpanID(), &store.Usage{InputTokens: store.MaxTokenCount}
	if err := s.WriteSpans(ctx, p.ID, []store.Span{more}); err != nil {
		t.Fatalf("adding to a full sum: %v", err)
	}
	d, err := s.GetTrace(ctx, p.ID, tid)
	if err != nil || d.Usage.InputTokens != math.MaxInt64 {
		t.Errorf("trace input tokens = %d, %v; want 2^63-1", d.Usage.InputTokens, err)
	}
	rows, err := s.UsageMetrics(ctx, p.ID, store.UsageQuery{GroupBy: store.GroupByModel})
	if err != nil || len(rows) != 1 || rows[0].Usage.InputTokens != math.MaxInt64 || rows[0].Usage.TotalTokens != math.MaxInt64 {
		t.Errorf("metrics = %+v, %v; want sums of 2^63-1", rows, err)
	}
}

// TestWriteWindow checks that the store refuses spans outside its write
// window, set through Config.Window, and so never creates a partition
// for them.
func TestWriteWindow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := postgres.Open(ctx, postgres.Config{URL: pgtest.NewDatabase(t), Window: store.Window{Back: time.Hour, Ahead: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.CreateProject(ctx, "window")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, start := range []time.Time{now.Add(-8 * 24 * time.Hour), now.Add(26 * time.Hour), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)} {
		err := s.WriteSpans(ctx, p.ID, []store.Span{span(storetest.NewTraceID(), "", "far", start)})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a span starting %v: err = %v, want ErrInvalid", start, err)
		}
	}
	if err := s.WriteSpans(ctx, p.ID, []store.Span{span(storetest.NewTraceID(), "", "late backlog", now.Add(-6*24*time.Hour))}); err != nil {
		t.Errorf("a span six days old, inside Back plus the slack: %v", err)
	}
	var n int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_inherits WHERE inhparent = 'spans'::regclass`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d partitions (%v); want only the backlog's", n, err)
	}
}
