package migrations

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/pressly/goose/v3"

	"github.com/tracium/tracium/store"
)

// modelKeysVersion is the migration that fills the model_keys of spans and
// traces stored before they existed. It is Go, not SQL, because the rule
// for the names a model is found by (store.SpanModelKeys) is Go's; the
// distinct (model, requested model) pairs are few, so each is computed
// once and every span updated in one statement.
const modelKeysVersion = 4

func modelKeysMigration(d Dialect) *goose.Migration {
	return goose.NewGoMigration(modelKeysVersion,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return backfillModelKeys(ctx, tx, d) }},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return clearModelKeys(ctx, tx, d) }})
}

// The statements of backfillModelKeys, per dialect. $1 or ? is a JSON array
// of {"m": model, "r": requested model, "k": [keys]}.
var modelKeysSQL = map[Dialect]struct{ spans, traces, clear string }{
	Postgres: {
		spans: `UPDATE spans s SET model_keys = ARRAY(SELECT jsonb_array_elements_text(p.k))
FROM jsonb_to_recordset($1::jsonb) AS p(m text, r text, k jsonb)
WHERE s.model = p.m AND s.request_model = p.r`,
		traces: `UPDATE traces t SET model_keys = k.keys
FROM (SELECT project_id, trace_id, array_agg(DISTINCT key COLLATE "C" ORDER BY key COLLATE "C") AS keys
      FROM spans, unnest(model_keys) AS key GROUP BY project_id, trace_id) k
WHERE t.project_id = k.project_id AND t.trace_id = k.trace_id`,
		clear: `UPDATE spans SET model_keys = '{}' WHERE model_keys <> '{}';
UPDATE traces SET model_keys = '{}' WHERE model_keys <> '{}'`,
	},
	SQLite: {
		spans: `UPDATE spans SET model_keys = p.k
FROM (SELECT json_extract(value, '$.m') AS m, json_extract(value, '$.r') AS r, json_extract(value, '$.k') AS k
      FROM json_each(?)) AS p
WHERE spans.model = p.m AND spans.request_model = p.r`,
		traces: `UPDATE traces SET model_keys = (
    SELECT json_group_array(key) FROM (
        SELECT DISTINCT j.value AS key FROM spans s, json_each(s.model_keys) j
        WHERE s.project_id = traces.project_id AND s.trace_id = traces.trace_id ORDER BY key))
WHERE EXISTS (SELECT 1 FROM spans s WHERE s.project_id = traces.project_id AND s.trace_id = traces.trace_id
    AND s.model_keys <> '[]')`,
		clear: `UPDATE spans SET model_keys = '[]' WHERE model_keys <> '[]';
UPDATE traces SET model_keys = '[]' WHERE model_keys <> '[]'`,
	},
}

func backfillModelKeys(ctx context.Context, tx *sql.Tx, d Dialect) error {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT model, request_model FROM spans WHERE model <> '' OR request_model <> ''`)
	if err != nil {
		return fmt.Errorf("model keys: %w", err)
	}
	type pair struct {
		Model   string   `json:"m"`
		Request string   `json:"r"`
		Keys    []string `json:"k"`
	}
	var pairs []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.Model, &p.Request); err != nil {
			rows.Close()
			return fmt.Errorf("model keys: %w", err)
		}
		p.Keys = store.SpanModelKeys(p.Model, p.Request)
		pairs = append(pairs, p)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("model keys: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("model keys: %w", err)
	}
	if len(pairs) == 0 {
		return nil
	}
	doc, err := json.Marshal(pairs)
	if err != nil {
		return fmt.Errorf("model keys: %w", err)
	}
	q := modelKeysSQL[d]
	if _, err := tx.ExecContext(ctx, q.spans, string(doc)); err != nil {
		return fmt.Errorf("model keys of spans: %w", err)
	}
	if _, err := tx.ExecContext(ctx, q.traces); err != nil {
		return fmt.Errorf("model keys of traces: %w", err)
	}
	return nil
}

func clearModelKeys(ctx context.Context, tx *sql.Tx, d Dialect) error {
	if _, err := tx.ExecContext(ctx, modelKeysSQL[d].clear); err != nil {
		return fmt.Errorf("clear model keys: %w", err)
	}
	return nil
}
