package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tracium/tracium/store"
)

// scoreColumns are a score's columns, in the order of scoreArgs and
// scanScore (which also reads the author's names, joined).
var scoreColumns = []string{"score_id", "trace_id", "span_id", "name", "data_type", "value", "label", "comment",
	"source", "author_user_id", "author_key_id", "scored_at", "updated_at"}

var insertScoreSQL = `INSERT INTO scores (project_id, ` + strings.Join(scoreColumns, ", ") + `)
VALUES (?` + repeatPlaceholders(len(scoreColumns)) + `) ON CONFLICT (project_id, score_id) DO NOTHING`

// selectScores reads scores as s, with their author's names.
var selectScores = `SELECT s.` + strings.Join(scoreColumns, ", s.") + `, coalesce(u.email, ''), coalesce(k.name, ''), coalesce(k.prefix, '')
FROM scores s
LEFT JOIN users u ON u.id = s.author_user_id
LEFT JOIN api_keys k ON k.id = s.author_key_id AND k.project_id = s.project_id`

func scoreArgs(projectID int64, sc *store.Score) []any {
	var value any
	if n, ok := sc.Value.Average(); ok {
		value = n
	}
	var updated any
	if sc.UpdatedAt != nil {
		updated = micros(*sc.UpdatedAt)
	}
	return []any{projectID, sc.ID, sc.TraceID, sc.SpanID, sc.Name, string(sc.Value.Type), value, sc.Value.Label, sc.Comment,
		string(sc.Source), nullID(sc.AuthorUserID), nullID(sc.AuthorKeyID), micros(sc.Time), updated}
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func scanScore(row scanner) (store.Score, error) {
	var sc store.Score
	var value sql.NullFloat64
	var user, key sql.NullInt64
	var at int64
	var updated sql.NullInt64
	var email, keyName, keyPrefix string
	err := row.Scan(&sc.ID, &sc.TraceID, &sc.SpanID, &sc.Name, &sc.Value.Type, &value, &sc.Value.Label, &sc.Comment,
		&sc.Source, &user, &key, &at, &updated, &email, &keyName, &keyPrefix)
	if err != nil {
		return sc, err
	}
	sc.Value.Number = value.Float64
	sc.AuthorUserID, sc.AuthorKeyID = user.Int64, key.Int64
	sc.Time, sc.UpdatedAt = fromMicros(at), nullMicros(updated)
	sc.Author = store.AuthorName(email, keyName, keyPrefix)
	return sc, nil
}

// WriteScores stores the scores not stored yet, in one transaction.
func (s *Store) WriteScores(ctx context.Context, projectID int64, scores []store.Score) error {
	if len(scores) == 0 {
		return nil
	}
	norm, err := store.PrepareScores(scores, time.Now(), s.window)
	if err != nil {
		return fmt.Errorf("write scores: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write scores: begin: %w", mapError(err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	stmt, err := tx.PrepareContext(ctx, insertScoreSQL)
	if err != nil {
		return fmt.Errorf("write scores: %w", mapError(err))
	}
	defer stmt.Close()
	for i := range norm {
		if _, err := stmt.ExecContext(ctx, scoreArgs(projectID, &norm[i])...); err != nil {
			return fmt.Errorf("write scores: score %s: %w", norm[i].ID, mapError(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write scores: commit: %w", mapError(err))
	}
	return nil
}

// ListScores pages through the project's scores newest first, by keyset
// on (project_id, scored_at DESC, score_id DESC).
func (s *Store) ListScores(ctx context.Context, projectID int64, f store.ScoreFilter, page store.Page) (store.ScoreList, error) {
	if err := f.Validate(); err != nil {
		return store.ScoreList{}, fmt.Errorf("list scores: %w", err)
	}
	limit, cursor, err := page.BoundedScores()
	if err != nil {
		return store.ScoreList{}, fmt.Errorf("list scores: %w", err)
	}
	w := &where{conds: []string{"s.project_id = ?"}, args: []any{projectID}}
	for _, c := range [...]struct{ col, v string }{{"s.trace_id", f.TraceID}, {"s.span_id", f.SpanID}, {"s.name", f.Name},
		{"s.source", string(f.Source)}} {
		if c.v != "" {
			w.add(c.col+" = ?", c.v)
		}
	}
	addValueRange(w, "s", f.Min, f.Max, f.Label)
	if !f.Since.IsZero() {
		w.add("s.scored_at >= ?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("s.scored_at < ?", micros(f.Until))
	}
	if cursor.ID != "" {
		w.add("(s.scored_at, s.score_id) < (?, ?)", micros(cursor.Time), cursor.ID)
	}
	scores, err := queryAll(ctx, s.read, scanScore, selectScores+` WHERE `+w.String()+
		` ORDER BY s.scored_at DESC, s.score_id DESC LIMIT ?`, append(w.args, limit+1)...)
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

// addValueRange adds the conditions of a value range or a label on the
// scores aliased as alias.
func addValueRange(w *where, alias string, lo, hi *float64, label string) {
	if lo != nil {
		w.add(alias+".value >= ?", *lo)
	}
	if hi != nil {
		w.add(alias+".value <= ?", *hi)
	}
	if label != "" { // only a label's value is NULL
		w.add(alias+".value IS NULL AND "+alias+".label = ?", label)
	}
}

// scoreMatch adds the condition of a trace filter on scores to w.
func scoreMatch(w *where, projectID int64, m store.ScoreMatch) {
	sub := &where{conds: []string{"sc.project_id = ?"}, args: []any{projectID}}
	from := "scores sc"
	if m.Name != "" {
		sub.add("sc.name = ?", m.Name)
		from += " INDEXED BY scores_match" // not the primary key, as SQLite would without statistics
	}
	addValueRange(sub, "sc", m.Min, m.Max, m.Label)
	w.add("traces.trace_id IN (SELECT sc.trace_id FROM "+from+" WHERE "+sub.String()+")", sub.args...)
}

// GetScore returns one score.
func (s *Store) GetScore(ctx context.Context, projectID int64, id string) (store.Score, error) {
	sc, err := scanScore(s.read.QueryRowContext(ctx, selectScores+` WHERE s.project_id = ? AND s.score_id = ?`,
		projectID, strings.ToLower(id)))
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
	args := scoreArgs(projectID, &sc)
	err = execOne(ctx, s.write, `UPDATE scores SET data_type = ?, value = ?, label = ?, comment = ?, updated_at = ?
WHERE project_id = ? AND score_id = ?`, args[5], args[6], args[7], args[8], args[13], projectID, sc.ID)
	if err != nil {
		return store.Score{}, fmt.Errorf("update score %s: %w", id, err)
	}
	return sc, nil
}

// DeleteScore removes a score.
func (s *Store) DeleteScore(ctx context.Context, projectID int64, id string) error {
	if err := execOne(ctx, s.write, `DELETE FROM scores WHERE project_id = ? AND score_id = ?`, projectID, strings.ToLower(id)); err != nil {
		return fmt.Errorf("delete score %s: %w", id, err)
	}
	return nil
}

// withScores sets the score summaries of a page of traces.
func (s *Store) withScores(ctx context.Context, projectID int64, traces []store.Trace) error {
	if len(traces) == 0 {
		return nil
	}
	args := make([]any, 0, len(traces)+1)
	args = append(args, projectID)
	for _, t := range traces {
		args = append(args, t.TraceID)
	}
	rows, err := queryAll(ctx, s.read, func(row scanner) (store.TraceScoreCount, error) {
		var r store.TraceScoreCount
		return r, row.Scan(&r.TraceID, &r.Name, &r.Type, &r.Label, &r.Count, &r.Sum)
	}, // Without statistics SQLite would rather walk the project's scores
		// by primary key than look up fifty traces by index.
		`SELECT trace_id, name, data_type, label, count(*), coalesce(sum(value), 0) FROM scores INDEXED BY scores_trace
WHERE project_id = ? AND trace_id IN (?`+repeatPlaceholders(len(traces)-1)+`)
GROUP BY trace_id, name, data_type, label`, args...)
	if err != nil {
		return fmt.Errorf("scores of traces: %w", err)
	}
	sums := store.SummarizeScores(rows)
	for i := range traces {
		traces[i].Scores = sums[traces[i].TraceID]
	}
	return nil
}

// scoreGroupings are the SQL of each ScoreMetrics grouping: its key, its
// bucket (UTC microseconds; 0 when not by time), and whether it needs the
// score's trace and span.
var scoreGroupings = map[store.GroupBy]struct {
	key, bucket string
	joins       bool
}{
	store.GroupByName:      {`s.name`, `0`, false},
	store.GroupByModel:     {`k.value`, `0`, true},
	store.GroupByAgentName: {`coalesce(nullif(sp.agent_name, ''), nullif(t.agent_name, ''), 'unknown')`, `0`, true},
	store.GroupByHour:      {`''`, `s.scored_at - s.scored_at % 3600000000`, false},
	store.GroupByDay:       {`''`, `s.scored_at - s.scored_at % 86400000000`, false},
}

// scoreJoins reach a score's trace and span; for the model grouping, k
// lists the models it counts toward.
const scoreJoins = `
LEFT JOIN traces t ON t.project_id = s.project_id AND t.trace_id = s.trace_id
LEFT JOIN spans sp ON s.span_id <> '' AND sp.project_id = s.project_id AND sp.trace_id = s.trace_id AND sp.span_id = s.span_id`

const scoreModels = `
JOIN json_each(CASE WHEN coalesce(nullif(sp.model, ''), nullif(sp.request_model, '')) IS NOT NULL
        THEN json_array(coalesce(nullif(sp.model, ''), sp.request_model))
    WHEN t.models IS NOT NULL AND t.models <> '[]' THEN t.models
    ELSE '["unknown"]' END) AS k`

// ScoreMetrics sums up the project's scores.
func (s *Store) ScoreMetrics(ctx context.Context, projectID int64, q store.ScoreQuery) ([]store.ScoreRow, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("score metrics: %w", err)
	}
	g := scoreGroupings[q.GroupBy]
	from := `scores s`
	if g.joins {
		from += scoreJoins
	}
	if q.GroupBy == store.GroupByModel {
		from += scoreModels
	}
	w := &where{conds: []string{"s.project_id = ?"}, args: []any{projectID}}
	if !q.Since.IsZero() {
		w.add("s.scored_at >= ?", micros(q.Since))
	}
	if !q.Until.IsZero() {
		w.add("s.scored_at < ?", micros(q.Until))
	}
	if q.Name != "" {
		w.add("s.name = ?", q.Name)
	}
	rows, err := queryAll(ctx, s.read, func(row scanner) (store.GroupedScoreCount, error) {
		var r store.GroupedScoreCount
		var bucket int64
		err := row.Scan(&r.Key, &bucket, &r.Type, &r.Label, &r.Count, &r.Sum)
		r.Bucket = fromMicros(bucket)
		return r, err
	}, `SELECT `+g.key+` AS key, `+g.bucket+` AS bucket, s.data_type, s.label, count(*), coalesce(sum(s.value), 0)
FROM `+from+` WHERE `+w.String()+` GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("score metrics: %w", mapError(err))
	}
	return store.FoldScoreRows(rows, q.GroupBy == store.GroupByHour || q.GroupBy == store.GroupByDay), nil
}
