package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// scoreColumns are a score's columns, in the order of insertScores'
// arrays and scanScore (which also reads the author's names, joined).
var scoreColumns = []string{"score_id", "trace_id", "span_id", "name", "data_type", "value", "label", "comment",
	"source", "author_user_id", "author_key_id", "scored_at", "updated_at"}

// insertScores inserts a batch as one array per column: one statement
// whatever the batch's size.
var insertScores = `INSERT INTO scores (project_id, ` + strings.Join(scoreColumns, ", ") + `)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[],
    $9::text[], $10::text[], $11::int8[], $12::int8[], $13::timestamptz[], $14::timestamptz[])
ON CONFLICT (project_id, score_id) DO NOTHING`

// selectScores reads scores as s, with their author's names.
var selectScores = `SELECT s.` + strings.Join(scoreColumns, ", s.") + `, coalesce(u.email, ''), coalesce(k.name, ''), coalesce(k.prefix, '')
FROM scores s
LEFT JOIN users u ON u.id = s.author_user_id
LEFT JOIN api_keys k ON k.id = s.author_key_id AND k.project_id = s.project_id`

func scanScore(row pgx.CollectableRow) (store.Score, error) {
	var sc store.Score
	var value *float64
	var user, key *int64
	var email, keyName, keyPrefix string
	err := row.Scan(&sc.ID, &sc.TraceID, &sc.SpanID, &sc.Name, &sc.Value.Type, &value, &sc.Value.Label, &sc.Comment,
		&sc.Source, &user, &key, &sc.Time, &sc.UpdatedAt, &email, &keyName, &keyPrefix)
	if err != nil {
		return sc, err
	}
	if value != nil {
		sc.Value.Number = *value
	}
	if user != nil {
		sc.AuthorUserID = *user
	}
	if key != nil {
		sc.AuthorKeyID = *key
	}
	sc.Time, sc.UpdatedAt = sc.Time.UTC(), utcPtr(sc.UpdatedAt)
	sc.Author = store.AuthorName(email, keyName, keyPrefix)
	return sc, nil
}

// scoreValue is the value column of v: NULL for a label.
func scoreValue(v store.ScoreValue) *float64 {
	if n, ok := v.Average(); ok {
		return &n
	}
	return nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// WriteScores stores the scores not stored yet, in one statement.
func (s *Store) WriteScores(ctx context.Context, projectID int64, scores []store.Score) error {
	if len(scores) == 0 {
		return nil
	}
	norm, err := store.PrepareScores(scores, time.Now(), s.window)
	if err != nil {
		return fmt.Errorf("write scores: %w", err)
	}
	n := len(norm)
	var (
		ids, traces, spans, names, types, labels, comments, sources = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		values      = make([]*float64, n)
		users, keys = make([]*int64, n), make([]*int64, n)
		times       = make([]time.Time, n)
		updated     = make([]*time.Time, n)
	)
	for i, sc := range norm {
		ids[i], traces[i], spans[i], names[i] = sc.ID, sc.TraceID, sc.SpanID, sc.Name
		types[i], values[i], labels[i], comments[i] = string(sc.Value.Type), scoreValue(sc.Value), sc.Value.Label, sc.Comment
		sources[i], users[i], keys[i], times[i], updated[i] = string(sc.Source), nullID(sc.AuthorUserID), nullID(sc.AuthorKeyID), sc.Time, sc.UpdatedAt
	}
	if _, err := s.pool.Exec(ctx, insertScores, projectID, ids, traces, spans, names, types, values, labels, comments,
		sources, users, keys, times, updated); err != nil {
		return fmt.Errorf("write scores: %w", mapError(err))
	}
	return nil
}

// scoreQuery is a query over scores aliased s.
func scoreQuery(projectID int64) *query {
	return &query{parts: []string{"s.project_id = $1"}, args: []any{projectID}}
}

// valueRange adds the conditions of a value range or a label on the
// scores aliased as alias.
func (q *query) valueRange(alias string, lo, hi *float64, label string) {
	if lo != nil {
		q.where(alias+".value >= %s", *lo)
	}
	if hi != nil {
		q.where(alias+".value <= %s", *hi)
	}
	if label != "" { // only a label's value is NULL
		q.where(alias+".value IS NULL AND "+alias+".label = %s", label)
	}
}

// scoreMatch adds the condition of a trace filter on scores.
func (q *query) scoreMatch(m store.ScoreMatch) {
	sub := &query{parts: []string{"sc.project_id = $1"}, args: q.args}
	if m.Name != "" {
		sub.where("sc.name = %s", m.Name)
	}
	sub.valueRange("sc", m.Min, m.Max, m.Label)
	q.args = sub.args
	q.parts = append(q.parts, "trace_id IN (SELECT sc.trace_id FROM scores sc WHERE "+sub.conds()+")")
}

// ListScores pages through the project's scores newest first, using the
// (project_id, scored_at DESC, score_id DESC) index for the keyset.
func (s *Store) ListScores(ctx context.Context, projectID int64, f store.ScoreFilter, page store.Page) (store.ScoreList, error) {
	if err := f.Validate(); err != nil {
		return store.ScoreList{}, fmt.Errorf("list scores: %w", err)
	}
	limit, cursor, err := page.BoundedScores()
	if err != nil {
		return store.ScoreList{}, fmt.Errorf("list scores: %w", err)
	}
	q := scoreQuery(projectID)
	for _, c := range [...]struct{ col, v string }{{"s.trace_id", f.TraceID}, {"s.span_id", f.SpanID}, {"s.name", f.Name},
		{"s.source", string(f.Source)}} {
		if c.v != "" {
			q.where(c.col+" = %s", c.v)
		}
	}
	q.valueRange("s", f.Min, f.Max, f.Label)
	if !f.Since.IsZero() {
		q.where("s.scored_at >= %s", f.Since)
	}
	if !f.Until.IsZero() {
		q.where("s.scored_at < %s", f.Until)
	}
	if cursor.ID != "" {
		q.where("(s.scored_at, s.score_id) < (%s, %s)", cursor.Time, cursor.ID)
	}
	rows, err := s.pool.Query(ctx, selectScores+" WHERE "+q.conds()+
		fmt.Sprintf(" ORDER BY s.scored_at DESC, s.score_id DESC LIMIT %d", limit+1), q.args...)
	if err != nil {
		return store.ScoreList{}, fmt.Errorf("list scores: %w", mapError(err))
	}
	scores, err := pgx.CollectRows(rows, scanScore)
	if err != nil {
		return store.ScoreList{}, fmt.Errorf("list scores: %w", mapError(err))
	}
	list := store.ScoreList{Scores: scores}
	if len(scores) > limit {
		list.Scores = scores[:limit]
		last := list.Scores[limit-1]
		list.NextCursor = store.ScoreCursor{Time: last.Time, ID: last.ID}.Encode()
	}
	return list, nil
}

// GetScore returns one score.
func (s *Store) GetScore(ctx context.Context, projectID int64, id string) (store.Score, error) {
	rows, err := s.pool.Query(ctx, selectScores+` WHERE s.project_id = $1 AND s.score_id = $2`, projectID, strings.ToLower(id))
	if err != nil {
		return store.Score{}, fmt.Errorf("get score %s: %w", id, mapError(err))
	}
	sc, err := pgx.CollectExactlyOneRow(rows, scanScore)
	if err != nil {
		return store.Score{}, fmt.Errorf("get score %s: %w", id, mapError(err))
	}
	return sc, nil
}

// UpdateScore changes a score's value and comment.
func (s *Store) UpdateScore(ctx context.Context, projectID int64, id string, u store.ScoreUpdate) (store.Score, error) {
	sc, err := s.GetScore(ctx, projectID, id)
	if err != nil {
		return store.Score{}, fmt.Errorf("update score: %w", err)
	}
	at := u.At.UTC().Truncate(time.Microsecond)
	sc.Value, sc.Comment, sc.UpdatedAt = u.Value, u.Comment, &at
	if err := sc.Validate(); err != nil {
		return store.Score{}, fmt.Errorf("update score %s: %w: %w", id, store.ErrInvalid, err)
	}
	if err := s.execOne(ctx, "update score", `UPDATE scores SET data_type = $3, value = $4, label = $5, comment = $6, updated_at = $7
WHERE project_id = $1 AND score_id = $2`, projectID, sc.ID, string(sc.Value.Type), scoreValue(sc.Value), sc.Value.Label,
		sc.Comment, at); err != nil {
		return store.Score{}, err
	}
	return sc, nil
}

// DeleteScore removes a score.
func (s *Store) DeleteScore(ctx context.Context, projectID int64, id string) error {
	return s.execOne(ctx, "delete score", `DELETE FROM scores WHERE project_id = $1 AND score_id = $2`, projectID, strings.ToLower(id))
}

// withScores sets the score summaries of a page of traces.
func (s *Store) withScores(ctx context.Context, projectID int64, traces []store.Trace) error {
	if len(traces) == 0 {
		return nil
	}
	ids := make([]string, len(traces))
	for i, t := range traces {
		ids[i] = t.TraceID
	}
	rows, err := s.pool.Query(ctx, `SELECT trace_id, name, data_type, label, count(*), coalesce(sum(value), 0) FROM scores
WHERE project_id = $1 AND trace_id = ANY($2) GROUP BY trace_id, name, data_type, label`, projectID, ids)
	if err != nil {
		return fmt.Errorf("scores of traces: %w", err)
	}
	counts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.TraceScoreCount, error) {
		var r store.TraceScoreCount
		return r, row.Scan(&r.TraceID, &r.Name, &r.Type, &r.Label, &r.Count, &r.Sum)
	})
	if err != nil {
		return fmt.Errorf("scores of traces: %w", err)
	}
	sums := store.SummarizeScores(counts)
	for i := range traces {
		traces[i].Scores = sums[traces[i].TraceID]
	}
	return nil
}

// scoreGroupings are the SQL of each ScoreMetrics grouping: its key, its
// bucket, and whether it needs the score's trace and span.
var scoreGroupings = map[store.GroupBy]struct {
	key, bucket string
	joins       bool
}{
	store.GroupByName:      {`s.name`, `'epoch'::timestamptz`, false},
	store.GroupByModel:     {`k.key`, `'epoch'::timestamptz`, true},
	store.GroupByAgentName: {`coalesce(nullif(sp.agent_name, ''), nullif(t.agent_name, ''), 'unknown')`, `'epoch'::timestamptz`, true},
	store.GroupByHour:      {`''`, `date_trunc('hour', s.scored_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`, false},
	store.GroupByDay:       {`''`, `date_trunc('day', s.scored_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`, false},
}

// scoreJoins reach a score's trace and span (in its trace's partition);
// for the model grouping, k lists the models it counts toward.
const scoreJoins = `
LEFT JOIN traces t ON t.project_id = s.project_id AND t.trace_id = s.trace_id
LEFT JOIN spans sp ON s.span_id <> '' AND sp.project_id = s.project_id AND sp.trace_id = s.trace_id
    AND sp.span_id = s.span_id AND sp.trace_day = t.trace_day`

const scoreModels = `
CROSS JOIN LATERAL unnest(CASE WHEN coalesce(nullif(sp.model, ''), nullif(sp.request_model, '')) IS NOT NULL
        THEN ARRAY[coalesce(nullif(sp.model, ''), sp.request_model)]
    WHEN cardinality(t.models) > 0 THEN t.models
    ELSE ARRAY['unknown'] END) AS k(key)`

// ScoreMetrics sums up the project's scores.
func (s *Store) ScoreMetrics(ctx context.Context, projectID int64, sq store.ScoreQuery) ([]store.ScoreRow, error) {
	if err := sq.Validate(); err != nil {
		return nil, fmt.Errorf("score metrics: %w", err)
	}
	g := scoreGroupings[sq.GroupBy]
	from := `scores s`
	if g.joins {
		from += scoreJoins
	}
	if sq.GroupBy == store.GroupByModel {
		from += scoreModels
	}
	q := scoreQuery(projectID)
	if !sq.Since.IsZero() {
		q.where("s.scored_at >= %s", sq.Since)
	}
	if !sq.Until.IsZero() {
		q.where("s.scored_at < %s", sq.Until)
	}
	if sq.Name != "" {
		q.where("s.name = %s", sq.Name)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+g.key+` AS key, `+g.bucket+` AS bucket, s.data_type, s.label, count(*),
    coalesce(sum(s.value), 0)
FROM `+from+` WHERE `+q.conds()+` GROUP BY 1, 2, 3, 4 ORDER BY `+g.key+` COLLATE "C", 2, 3, s.label COLLATE "C"`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("score metrics: %w", mapError(err))
	}
	counts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.GroupedScoreCount, error) {
		var r store.GroupedScoreCount
		return r, row.Scan(&r.Key, &r.Bucket, &r.Type, &r.Label, &r.Count, &r.Sum)
	})
	if err != nil {
		return nil, fmt.Errorf("score metrics: %w", mapError(err))
	}
	return store.FoldScoreRows(counts, sq.GroupBy == store.GroupByHour || sq.GroupBy == store.GroupByDay), nil
}
