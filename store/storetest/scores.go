package storetest

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

func runScores(t *testing.T, newStore NewStore) {
	t.Run("WriteAndList", func(t *testing.T) { t.Parallel(); testScoresWriteAndList(t, newStore) })
	t.Run("Filters", func(t *testing.T) { t.Parallel(); testScoreFilters(t, newStore) })
	t.Run("BeforeTrace", func(t *testing.T) { t.Parallel(); testScoreBeforeTrace(t, newStore) })
	t.Run("TraceList", func(t *testing.T) { t.Parallel(); testScoresInTraceList(t, newStore) })
	t.Run("UpdateDelete", func(t *testing.T) { t.Parallel(); testScoreUpdateDelete(t, newStore) })
	t.Run("Invalid", func(t *testing.T) { t.Parallel(); testInvalidScores(t, newStore) })
	t.Run("Metrics", func(t *testing.T) { t.Parallel(); testScoreMetrics(t, newStore) })
	t.Run("Configs", func(t *testing.T) { t.Parallel(); testScoreConfigs(t, newStore) })
	t.Run("Retention", func(t *testing.T) { t.Parallel(); testScoreRetention(t, newStore) })
	t.Run("Isolation", func(t *testing.T) { t.Parallel(); testScoreIsolation(t, newStore) })
}

// NewScoreID returns a random score id.
func NewScoreID() string { return randomHex(32) }

// score builds a valid API score of traceID given at offset from base.
func score(traceID, name string, v store.ScoreValue, offset time.Duration) store.Score {
	return store.Score{ID: NewScoreID(), TraceID: traceID, Name: name, Value: v, Source: store.SourceAPI, Time: base.Add(offset)}
}

func (b *testBundle) writeScores(t *testing.T, scores ...store.Score) {
	t.Helper()
	if err := b.store.WriteScores(b.ctx, b.project.ID, scores); err != nil {
		t.Fatalf("WriteScores: %v", err)
	}
}

func (b *testBundle) scores(t *testing.T, f store.ScoreFilter) []store.Score {
	t.Helper()
	var out []store.Score
	page := store.Page{Limit: 2}
	for range 1000 {
		res, err := b.store.ListScores(b.ctx, b.project.ID, f, page)
		if err != nil {
			t.Fatalf("ListScores(%+v): %v", f, err)
		}
		if len(res.Scores) > 2 {
			t.Fatalf("page of %d scores, limit 2", len(res.Scores))
		}
		out = append(out, res.Scores...)
		if res.NextCursor == "" {
			return out
		}
		page.Cursor = res.NextCursor
	}
	t.Fatal("pagination did not end")
	return nil
}

func scoreNames(scores []store.Score) []string {
	out := make([]string, len(scores))
	for i, s := range scores {
		out[i] = s.Name
	}
	return out
}

func testScoresWriteAndList(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := b.writeTrace(t, traceSpec{key: "scored", model: "gpt-4o", dur: time.Second})
	key, err := b.store.CreateAPIKey(b.ctx, newKey(b.project.ID, "sk_live_"+randomHex(40)))
	if err != nil {
		t.Fatal(err)
	}
	user := newUser(t, b.store, false)
	spanID := b.get(t, tid).Spans[1].SpanID

	help := score(tid, "helpfulness", store.NumberValue(0.75), time.Minute)
	help.Comment, help.Source, help.AuthorKeyID = "clear and short", store.SourceSDK, key.ID
	correct := score(tid, "correct", store.BoolValue(true), 2*time.Minute)
	correct.SpanID, correct.Source, correct.AuthorUserID = strings.ToUpper(spanID), store.SourceUI, user.ID
	tone := score(tid, "tone", store.LabelValue("friendly"), 3*time.Minute)
	b.writeScores(t, help, correct, tone)

	// Sent again with another value, a score keeps its first copy.
	again := help
	again.Value, again.Comment = store.NumberValue(0.1), "changed"
	b.writeScores(t, again, correct)

	got := b.scores(t, store.ScoreFilter{TraceID: strings.ToUpper(tid)})
	if names := scoreNames(got); !slices.Equal(names, []string{"tone", "correct", "helpfulness"}) {
		t.Fatalf("scores newest first = %v", names)
	}
	h, c, l := got[2], got[1], got[0]
	mustEqual(t, "helpfulness value", h.Value, store.NumberValue(0.75))
	mustEqual(t, "helpfulness comment", h.Comment, "clear and short")
	mustEqual(t, "helpfulness source", h.Source, store.SourceSDK)
	mustEqual(t, "helpfulness author key", h.AuthorKeyID, key.ID)
	mustEqual(t, "helpfulness author", h.Author, "key ci ("+key.Prefix+"…)")
	mustEqual(t, "helpfulness time", h.Time, help.Time)
	mustEqual(t, "correct value", c.Value, store.BoolValue(true))
	mustEqual(t, "correct span (lower-cased)", c.SpanID, spanID)
	mustEqual(t, "correct author", c.Author, user.Email)
	mustEqual(t, "correct author user", c.AuthorUserID, user.ID)
	mustEqual(t, "tone value", l.Value, store.LabelValue("friendly"))
	if l.Author != "" || l.UpdatedAt != nil {
		t.Errorf("tone: author %q, updated %v; want none", l.Author, l.UpdatedAt)
	}
	one, err := b.store.GetScore(b.ctx, b.project.ID, strings.ToUpper(correct.ID))
	if err != nil || one.ID != correct.ID || one.Value != correct.Value {
		t.Errorf("GetScore = %+v, %v", one, err)
	}
	if _, err := b.store.GetScore(b.ctx, b.project.ID, NewScoreID()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetScore of an unknown id: %v, want ErrNotFound", err)
	}
	if _, err := b.store.ListScores(b.ctx, b.project.ID, store.ScoreFilter{}, store.Page{Cursor: "bm90IGEgY3Vyc29y"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a bad cursor: %v, want ErrInvalid", err)
	}
}

func testScoreFilters(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid, other := NewTraceID(), NewTraceID()
	sid := NewSpanID()
	on := func(s store.Score, span string, src store.ScoreSource) store.Score {
		s.SpanID, s.Source = span, src
		return s
	}
	b.writeScores(t,
		score(tid, "quality", store.NumberValue(0.2), time.Minute),
		on(score(tid, "quality", store.NumberValue(0.9), 2*time.Minute), sid, store.SourceSDK),
		score(other, "quality", store.NumberValue(0.5), 3*time.Minute),
		on(score(tid, "tone", store.LabelValue("rude"), 4*time.Minute), "", store.SourceUI),
		score(other, "tone", store.LabelValue("friendly"), 5*time.Minute),
		score(other, "resolved", store.BoolValue(false), 6*time.Minute),
		score(tid, "resolved", store.BoolValue(true), 7*time.Minute),
	)
	count := func(f store.ScoreFilter) int { t.Helper(); return len(b.scores(t, f)) }
	for _, tc := range []struct {
		name string
		f    store.ScoreFilter
		want int
	}{
		{"all", store.ScoreFilter{}, 7},
		{"trace", store.ScoreFilter{TraceID: tid}, 4},
		{"span", store.ScoreFilter{TraceID: tid, SpanID: sid}, 1},
		{"name", store.ScoreFilter{Name: "quality"}, 3},
		{"min", store.ScoreFilter{Name: "quality", Min: ptr(0.5)}, 2},
		{"range", store.ScoreFilter{Min: ptr(0.3), Max: ptr(0.6)}, 1},
		{"boolean true is 1", store.ScoreFilter{Name: "resolved", Min: ptr(1.0)}, 1},
		{"range leaves labels out", store.ScoreFilter{Min: ptr(-1e9)}, 5},
		{"label", store.ScoreFilter{Label: "friendly"}, 1},
		{"source", store.ScoreFilter{Source: store.SourceUI}, 1},
		{"since", store.ScoreFilter{Since: base.Add(5 * time.Minute)}, 3},
		{"until", store.ScoreFilter{Until: base.Add(2 * time.Minute)}, 1},
		{"nothing", store.ScoreFilter{Name: "nope"}, 0},
	} {
		if got := count(tc.f); got != tc.want {
			t.Errorf("%s: %d scores, want %d", tc.name, got, tc.want)
		}
	}
	for _, f := range []store.ScoreFilter{
		{TraceID: "xyz"}, {SpanID: "12"}, {Source: "robot"}, {Min: ptr(2.0), Max: ptr(1.0)},
		{Label: "a", Min: ptr(0.0)}, {Name: "a\x00b"}, {Name: strings.Repeat("n", store.MaxScoreNameLen+1)},
		{Min: ptr(math.Inf(1))},
	} {
		var pe *store.ParamError
		if _, err := b.store.ListScores(b.ctx, b.project.ID, f, store.Page{}); !errors.As(err, &pe) || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ListScores(%+v): %v, want a ParamError", f, err)
		}
	}
}

// testScoreBeforeTrace: a score whose trace is not stored yet is kept, and
// summed up with the trace once the trace arrives.
func testScoreBeforeTrace(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	root := span(NewTraceID(), "", "trace late", 0, time.Second)
	early := score(root.TraceID, "helpfulness", store.NumberValue(1), -time.Hour)
	b.writeScores(t, early)
	if got := b.scores(t, store.ScoreFilter{TraceID: root.TraceID}); len(got) != 1 {
		t.Fatalf("the early score: %d stored", len(got))
	}
	if got := b.list(t, store.TraceFilter{}, 10); len(got) != 0 {
		t.Fatalf("a score made a trace: %v", got)
	}
	b.write(t, root)
	res, err := b.store.ListTraces(b.ctx, b.project.ID, store.TraceFilter{Score: store.ScoreMatch{Name: "helpfulness"}}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Traces) != 1 || len(res.Traces[0].Scores) != 1 || res.Traces[0].Scores[0].Count != 1 {
		t.Fatalf("the trace after its score: %+v", res.Traces)
	}
}

func testScoresInTraceList(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	good := b.writeTrace(t, traceSpec{key: "good", offset: time.Minute, dur: time.Second})
	bad := b.writeTrace(t, traceSpec{key: "bad", offset: 2 * time.Minute, dur: time.Second})
	b.writeTrace(t, traceSpec{key: "none", offset: 3 * time.Minute, dur: time.Second})
	onSpan := score(good, "quality", store.NumberValue(0.6), time.Minute)
	onSpan.SpanID = NewSpanID()
	b.writeScores(t,
		score(good, "quality", store.NumberValue(1), time.Minute), onSpan,
		score(good, "resolved", store.BoolValue(true), time.Minute),
		score(good, "resolved", store.BoolValue(false), time.Minute),
		score(good, "resolved", store.BoolValue(true), time.Minute),
		score(good, "tone", store.LabelValue("friendly"), time.Minute),
		score(good, "tone", store.LabelValue("calm"), time.Minute),
		score(good, "tone", store.LabelValue("friendly"), time.Minute),
		score(bad, "quality", store.NumberValue(0.1), time.Minute),
		score(bad, "tone", store.LabelValue("rude"), time.Minute),
	)
	for _, tc := range []struct {
		name string
		m    store.ScoreMatch
		want []string
	}{
		{"any score", store.ScoreMatch{}, []string{"none", "bad", "good"}},
		{"by name", store.ScoreMatch{Name: "quality"}, []string{"bad", "good"}},
		{"by name and value", store.ScoreMatch{Name: "quality", Min: ptr(0.5)}, []string{"good"}},
		{"a span's score counts", store.ScoreMatch{Name: "quality", Min: ptr(0.55), Max: ptr(0.65)}, []string{"good"}},
		{"by value only", store.ScoreMatch{Max: ptr(0.2)}, []string{"bad", "good"}},
		{"by label", store.ScoreMatch{Name: "tone", Label: "rude"}, []string{"bad"}},
		{"by label of another name", store.ScoreMatch{Name: "quality", Label: "rude"}, nil},
		{"boolean as 1", store.ScoreMatch{Name: "resolved", Min: ptr(1.0)}, []string{"good"}},
	} {
		if got := b.list(t, store.TraceFilter{Score: tc.m}, 2); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	res, err := b.store.ListTraces(b.ctx, b.project.ID, store.TraceFilter{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string][]store.ScoreSummary{}
	for _, tr := range res.Traces {
		sums[strings.TrimPrefix(tr.Name, "trace ")] = tr.Scores
	}
	if len(sums["none"]) != 0 {
		t.Errorf("a trace without scores has %+v", sums["none"])
	}
	g := sums["good"]
	if len(g) != 3 || g[0].Name != "quality" || g[1].Name != "resolved" || g[2].Name != "tone" {
		t.Fatalf("good's summaries = %+v", g)
	}
	mustEqual(t, "quality count", g[0].Count, int64(2))
	approx(t, "quality average", deref(g[0].Average), 0.8)
	mustEqual(t, "resolved type", g[1].Type, store.ScoreBoolean)
	approx(t, "resolved share of true", deref(g[1].Average), 2.0/3)
	if g[2].Average != nil || len(g[2].Labels) != 2 || g[2].Labels[0] != (store.LabelCount{Label: "friendly", Count: 2}) ||
		g[2].Labels[1] != (store.LabelCount{Label: "calm", Count: 1}) {
		t.Errorf("tone's summary = %+v", g[2])
	}
	for _, f := range []store.ScoreMatch{{Min: ptr(1.0), Max: ptr(0.0)}, {Label: "x", Max: ptr(1.0)}, {Name: "a\x00"}, {Min: ptr(math.NaN())}} {
		var pe *store.ParamError
		if _, err := b.store.ListTraces(b.ctx, b.project.ID, store.TraceFilter{Score: f}, store.Page{}); !errors.As(err, &pe) || !strings.HasPrefix(pe.Param, "score_") {
			t.Errorf("ListTraces(score %+v): %v, want a ParamError naming a score_ parameter", f, err)
		}
	}
}

func deref(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}

func testScoreUpdateDelete(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	sc := score(NewTraceID(), "quality", store.NumberValue(0.3), 0)
	b.writeScores(t, sc)
	at := base.Add(time.Hour)
	got, err := b.store.UpdateScore(b.ctx, b.project.ID, sc.ID, store.ScoreUpdate{Value: store.NumberValue(0.9), Comment: "on second thought", At: at})
	if err != nil {
		t.Fatal(err)
	}
	stored := b.scores(t, store.ScoreFilter{})[0]
	for _, s := range []store.Score{got, stored} {
		if s.Value != store.NumberValue(0.9) || s.Comment != "on second thought" || s.UpdatedAt == nil || !s.UpdatedAt.Equal(at) ||
			s.Name != "quality" || !s.Time.Equal(sc.Time) {
			t.Errorf("updated score = %+v", s)
		}
	}
	if _, err := b.store.UpdateScore(b.ctx, b.project.ID, sc.ID, store.ScoreUpdate{Value: store.NumberValue(math.NaN()), At: at}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("update to NaN: %v, want ErrInvalid", err)
	}
	if _, err := b.store.UpdateScore(b.ctx, b.project.ID, NewScoreID(), store.ScoreUpdate{Value: store.NumberValue(1), At: at}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of an unknown score: %v, want ErrNotFound", err)
	}
	if err := b.store.DeleteScore(b.ctx, b.project.ID, sc.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.store.DeleteScore(b.ctx, b.project.ID, sc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
	if got := b.scores(t, store.ScoreFilter{}); len(got) != 0 {
		t.Errorf("after delete: %+v", got)
	}
}

func testInvalidScores(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	good := score(tid, "ok", store.NumberValue(1), 0)
	for name, change := range map[string]func(*store.Score){
		"bad id":           func(s *store.Score) { s.ID = "abc" },
		"zero trace id":    func(s *store.Score) { s.TraceID = strings.Repeat("0", 32) },
		"bad span id":      func(s *store.Score) { s.SpanID = "xyz" },
		"empty name":       func(s *store.Score) { s.Name = "" },
		"long name":        func(s *store.Score) { s.Name = strings.Repeat("n", store.MaxScoreNameLen+1) },
		"NaN":              func(s *store.Score) { s.Value = store.NumberValue(math.NaN()) },
		"infinite":         func(s *store.Score) { s.Value = store.NumberValue(math.Inf(-1)) },
		"empty label":      func(s *store.Score) { s.Value = store.LabelValue("") },
		"NUL in label":     func(s *store.Score) { s.Value = store.LabelValue("a\x00") },
		"unknown type":     func(s *store.Score) { s.Value = store.ScoreValue{Type: "stars"} },
		"long comment":     func(s *store.Score) { s.Comment = strings.Repeat("c", store.MaxScoreCommentLen+1) },
		"invalid UTF-8":    func(s *store.Score) { s.Comment = "\xff" },
		"unknown source":   func(s *store.Score) { s.Source = "robot" },
		"no time":          func(s *store.Score) { s.Time = time.Time{} },
		"outside window":   func(s *store.Score) { s.Time = time.Now().Add(-3 * 365 * 24 * time.Hour) },
		"negative user id": func(s *store.Score) { s.AuthorUserID = -1 },
	} {
		bad := good
		bad.ID = NewScoreID()
		change(&bad)
		if err := b.store.WriteScores(b.ctx, b.project.ID, []store.Score{good, bad}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: WriteScores = %v, want ErrInvalid", name, err)
		}
	}
	if got := b.scores(t, store.ScoreFilter{}); len(got) != 0 {
		t.Errorf("a refused batch stored %d scores", len(got))
	}
}

func testScoreMetrics(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	// Trace one: agent alpha calling gpt-4o and claude; trace two: agent
	// beta calling gpt-4o.
	one := b.writeTrace(t, traceSpec{key: "one", agent: "alpha", model: "gpt-4o", dur: time.Second})
	claude := llmSpan(one, b.get(t, one).Trace.RootSpanID, "claude", 0, time.Millisecond, store.Usage{InputTokens: 1}, 0)
	claude.AgentName = "critic"
	b.write(t, claude)
	two := b.writeTrace(t, traceSpec{key: "two", agent: "beta", model: "gpt-4o", offset: 2 * time.Hour, dur: time.Second})
	onClaude := score(one, "quality", store.NumberValue(0.2), 0)
	onClaude.SpanID = claude.SpanID
	b.writeScores(t,
		score(one, "quality", store.NumberValue(1), 0), onClaude,
		score(two, "quality", store.NumberValue(0.6), 2*time.Hour),
		score(NewTraceID(), "quality", store.NumberValue(0), 2*time.Hour+time.Minute), // its trace never came
		score(one, "resolved", store.BoolValue(true), 0),
		score(two, "resolved", store.BoolValue(false), 2*time.Hour),
		score(two, "tone", store.LabelValue("calm"), 2*time.Hour),
		score(one, "tone", store.LabelValue("calm"), 0),
		score(one, "quality", store.NumberValue(0.5), -48*time.Hour), // before the range
	)
	q := func(g store.GroupBy, name string) map[string]store.ScoreRow {
		t.Helper()
		rows, err := b.store.ScoreMetrics(b.ctx, b.project.ID, store.ScoreQuery{Since: base.Add(-time.Hour), Until: base.Add(24 * time.Hour), GroupBy: g, Name: name})
		if err != nil {
			t.Fatalf("ScoreMetrics(%s, %s): %v", g, name, err)
		}
		out := map[string]store.ScoreRow{}
		var order []string
		for _, r := range rows {
			out[r.Key] = r
			order = append(order, r.Key)
		}
		if !slices.IsSorted(order) {
			t.Errorf("ScoreMetrics(%s) keys %v not in order", g, order)
		}
		return out
	}
	names := q(store.GroupByName, "")
	if len(names) != 3 {
		t.Fatalf("by name: %+v", names)
	}
	mustEqual(t, "quality count", names["quality"].Count, int64(4))
	approx(t, "quality average", deref(names["quality"].Average), (1+0.2+0.6+0)/4)
	approx(t, "resolved share", deref(names["resolved"].Average), 0.5)
	mustEqual(t, "quality type", names["quality"].Type, store.ScoreNumeric)
	mustEqual(t, "resolved type", names["resolved"].Type, store.ScoreBoolean)
	if tone := names["tone"]; tone.Average != nil || len(tone.Labels) != 1 || tone.Labels[0].Count != 2 {
		t.Errorf("tone by name = %+v", tone)
	}

	models := q(store.GroupByModel, "quality")
	// The span's score counts toward claude alone; trace one's own score
	// toward both its models; trace two's toward gpt-4o; the orphan's
	// toward unknown.
	for key, want := range map[string]struct {
		n   int64
		avg float64
	}{"claude": {2, (0.2 + 1) / 2}, "gpt-4o": {2, (1 + 0.6) / 2}, "unknown": {1, 0}} {
		r, ok := models[key]
		if !ok || r.Count != want.n {
			t.Errorf("by model %s = %+v, want %d scores", key, r, want.n)
			continue
		}
		approx(t, "average of "+key, deref(r.Average), want.avg)
	}
	if len(models) != 3 {
		t.Errorf("by model: %v", keysOf(models))
	}
	agents := q(store.GroupByAgentName, "quality")
	for key, n := range map[string]int64{"alpha": 1, "critic": 1, "beta": 1, "unknown": 1} {
		if agents[key].Count != n {
			t.Errorf("by agent %s = %+v, want %d", key, agents[key], n)
		}
	}
	hours := q(store.GroupByHour, "quality")
	h0, h2 := base.Format(time.RFC3339), base.Add(2*time.Hour).Format(time.RFC3339)
	if len(hours) != 2 || hours[h0].Count != 2 || hours[h2].Count != 2 || !hours[h2].Bucket.Equal(base.Add(2*time.Hour)) {
		t.Errorf("by hour = %+v", hours)
	}
	days := q(store.GroupByDay, "tone")
	if len(days) != 1 || days[base.Truncate(24*time.Hour).Format(time.RFC3339)].Count != 2 {
		t.Errorf("by day = %+v", days)
	}
	if _, err := b.store.ScoreMetrics(b.ctx, b.project.ID, store.ScoreQuery{GroupBy: "weekday"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("an unknown grouping: %v, want ErrInvalid", err)
	}
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func testScoreConfigs(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	put := func(c store.ScoreConfig) (store.ScoreConfig, error) {
		c.ProjectID = b.project.ID
		return b.store.PutScoreConfig(b.ctx, c)
	}
	q, err := put(store.ScoreConfig{Name: "quality", Type: store.ScoreNumeric, Min: ptr(0.0), Max: ptr(1.0), Description: "how good"})
	if err != nil {
		t.Fatal(err)
	}
	if q.Min == nil || *q.Min != 0 || *q.Max != 1 || q.Description != "how good" || q.CreatedAt.IsZero() || q.ProjectID != b.project.ID {
		t.Errorf("put = %+v", q)
	}
	if _, err := put(store.ScoreConfig{Name: "tone", Type: store.ScoreCategorical, Labels: []string{"friendly", "rude"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := put(store.ScoreConfig{Name: "quality", Type: store.ScoreBoolean}); err != nil {
		t.Fatal(err)
	}
	cs, err := b.store.ListScoreConfigs(b.ctx, b.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Name != "quality" || cs[0].Type != store.ScoreBoolean || cs[0].Min != nil ||
		cs[1].Name != "tone" || !slices.Equal(cs[1].Labels, []string{"friendly", "rude"}) {
		t.Errorf("configs = %+v", cs)
	}
	for name, c := range map[string]store.ScoreConfig{
		"no name":          {Type: store.ScoreNumeric},
		"unknown type":     {Name: "x", Type: "stars"},
		"inverted range":   {Name: "x", Type: store.ScoreNumeric, Min: ptr(2.0), Max: ptr(1.0)},
		"range of a label": {Name: "x", Type: store.ScoreCategorical, Min: ptr(0.0)},
		"labels of a num":  {Name: "x", Type: store.ScoreNumeric, Labels: []string{"a"}},
		"repeated label":   {Name: "x", Type: store.ScoreCategorical, Labels: []string{"a", "a"}},
		"empty label":      {Name: "x", Type: store.ScoreCategorical, Labels: []string{""}},
		"infinite bound":   {Name: "x", Type: store.ScoreNumeric, Max: ptr(math.Inf(1))},
	} {
		if _, err := put(c); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	for i := len(cs); i < store.MaxScoreConfigs; i++ {
		if _, err := put(store.ScoreConfig{Name: "n" + randomHex(8), Type: store.ScoreNumeric}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := put(store.ScoreConfig{Name: "one too many", Type: store.ScoreNumeric}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("past the limit: %v, want ErrInvalid", err)
	}
	if _, err := put(store.ScoreConfig{Name: "tone", Type: store.ScoreCategorical}); err != nil {
		t.Errorf("replacing at the limit: %v", err)
	}
	if err := b.store.DeleteScoreConfig(b.ctx, b.project.ID, "tone"); err != nil {
		t.Fatal(err)
	}
	if err := b.store.DeleteScoreConfig(b.ctx, b.project.ID, "tone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
	if _, err := b.store.PutScoreConfig(b.ctx, store.ScoreConfig{ProjectID: 1 << 40, Name: "x", Type: store.ScoreNumeric}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a config of no project: %v, want ErrNotFound", err)
	}
}

func testScoreRetention(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	old := b.writeTrace(t, traceSpec{key: "old", offset: -30 * 24 * time.Hour, dur: time.Second})
	fresh := b.writeTrace(t, traceSpec{key: "fresh", dur: time.Second})
	b.writeScores(t,
		score(old, "of old", store.NumberValue(1), 0), // given recently, of an old trace
		score(fresh, "of fresh", store.NumberValue(1), -40*24*time.Hour),
		score(NewTraceID(), "old orphan", store.NumberValue(1), -20*24*time.Hour),
		score(NewTraceID(), "new orphan", store.NumberValue(1), 0),
	)
	// The old trace's score and the old orphan go, and are counted.
	if r, err := b.store.DeleteTracesBefore(b.ctx, b.project.ID, base.Add(-10*24*time.Hour)); err != nil || r.Scores != 2 || r.Traces != 1 {
		t.Fatalf("retention removed %+v, %v; want 1 trace and 2 scores", r, err)
	}
	got := scoreNames(b.scores(t, store.ScoreFilter{}))
	slices.Sort(got)
	if !slices.Equal(got, []string{"new orphan", "of fresh"}) {
		t.Errorf("scores after retention: %v; want the fresh trace's and the new orphan", got)
	}
}

// testScoreIsolation: one project's scores and configurations, under the
// same ids, are out of another's reach.
func testScoreIsolation(t *testing.T, newStore NewStore) {
	a := setup(t, newStore)
	other, err := a.store.CreateProject(a.ctx, "p-"+randomHex(8))
	if err != nil {
		t.Fatal(err)
	}
	b := &testBundle{store: a.store, project: other, ctx: a.ctx}
	tid := a.writeTrace(t, traceSpec{key: "shared", model: "m", dur: time.Second})
	bSpans := chain(tid, 1)
	b.write(t, bSpans...)
	mine, theirs := score(tid, "quality", store.NumberValue(0.1), 0), score(tid, "quality", store.NumberValue(0.9), 0)
	theirs.ID = mine.ID
	a.writeScores(t, mine)
	b.writeScores(t, theirs)
	if got := a.scores(t, store.ScoreFilter{}); len(got) != 1 || got[0].Value != mine.Value {
		t.Errorf("A's scores = %+v", got)
	}
	if got := b.scores(t, store.ScoreFilter{}); len(got) != 1 || got[0].Value != theirs.Value {
		t.Errorf("B's scores = %+v; the same id in A must not hide it", got)
	}
	if got := a.list(t, store.TraceFilter{Score: store.ScoreMatch{Min: ptr(0.5)}}, 10); len(got) != 0 {
		t.Errorf("A's score filter finds B's score: %v", got)
	}
	if _, err := a.store.UpdateScore(a.ctx, other.ID+1<<30, mine.ID, store.ScoreUpdate{Value: store.NumberValue(1), At: base}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update through an unknown project: %v", err)
	}
	if err := a.store.DeleteScore(a.ctx, a.project.ID, mine.ID); err != nil {
		t.Fatal(err)
	}
	if got := b.scores(t, store.ScoreFilter{}); len(got) != 1 {
		t.Errorf("deleting A's score took B's: %+v", got)
	}
	rows, err := a.store.ScoreMetrics(a.ctx, a.project.ID, store.ScoreQuery{GroupBy: store.GroupByName})
	if err != nil || len(rows) != 0 {
		t.Errorf("A's metrics after its delete = %+v, %v; B's score must not count", rows, err)
	}
	if _, err := b.store.PutScoreConfig(b.ctx, store.ScoreConfig{ProjectID: other.ID, Name: "quality", Type: store.ScoreNumeric}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := a.store.ListScoreConfigs(a.ctx, a.project.ID); len(cs) != 0 {
		t.Errorf("A lists B's configs: %+v", cs)
	}
	if err := a.store.DeleteScoreConfig(a.ctx, a.project.ID, "quality"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("A deletes B's config: %v", err)
	}
	if n, err := a.store.DeleteTracesBefore(a.ctx, a.project.ID, base.Add(365*24*time.Hour)); err != nil || n.Traces != 1 {
		t.Fatalf("A's retention: %+v, %v", n, err)
	}
	if got := b.scores(t, store.ScoreFilter{}); len(got) != 1 {
		t.Errorf("A's retention took B's scores: %+v", got)
	}
}

// testScoreDaysBefore: a server-wide retention takes the scores of the
// traces it removes, in every project, and the scores given before its
// cutoff whose trace never came; the rest stay.
func testScoreDaysBefore(t *testing.T, newDatabase NewDatabase) {
	s, _ := newDatabase(t)
	ctx := t.Context()
	cutoff := store.RetentionDayCutoff(time.Now(), 10)
	p, err := s.CreateProject(ctx, "retention-scores-"+randomHex(6))
	if err != nil {
		t.Fatal(err)
	}
	old := dayTrace(t, s, p.ID, day0().AddDate(0, 0, -30).Add(10*time.Hour), "old")[0].TraceID
	kept := dayTrace(t, s, p.ID, day0().Add(-time.Hour), "kept")[0].TraceID
	at := func(tid, name string, when time.Time) store.Score {
		return store.Score{ID: NewScoreID(), TraceID: tid, Name: name, Value: store.NumberValue(1), Source: store.SourceAPI, Time: when}
	}
	if err := s.WriteScores(ctx, p.ID, []store.Score{
		at(old, "of old", time.Now()),
		at(kept, "of kept, given long ago", cutoff.Add(-20*24*time.Hour)),
		at(NewTraceID(), "old orphan", cutoff.Add(-time.Hour)),
		at(NewTraceID(), "new orphan", cutoff.Add(time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.DeleteDaysBefore(ctx, cutoff); err != nil || r.Scores != 2 {
		t.Fatalf("the server-wide retention removed %+v, %v; want 2 scores counted", r, err)
	}
	l, err := s.ListScores(ctx, p.ID, store.ScoreFilter{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	got := scoreNames(l.Scores)
	slices.Sort(got)
	if !slices.Equal(got, []string{"new orphan", "of kept, given long ago"}) {
		t.Errorf("scores after the server-wide retention: %v", got)
	}
}
