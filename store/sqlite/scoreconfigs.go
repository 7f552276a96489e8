package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tracium/tracium/store"
)

const scoreConfigColumns = `name, data_type, min_value, max_value, labels, description, created_at`

func scanScoreConfig(row scanner) (store.ScoreConfig, error) {
	var c store.ScoreConfig
	var lo, hi sql.NullFloat64
	var labels string
	var created int64
	if err := row.Scan(&c.Name, &c.Type, &lo, &hi, &labels, &c.Description, &created); err != nil {
		return c, err
	}
	if lo.Valid {
		c.Min = &lo.Float64
	}
	if hi.Valid {
		c.Max = &hi.Float64
	}
	var err error
	if c.Labels, err = decodeStrings(labels); err != nil {
		return c, fmt.Errorf("score config labels: %w", err)
	}
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	c.CreatedAt = fromMicros(created)
	return c, nil
}

func nullFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// PutScoreConfig creates or replaces a configuration, refusing a new name
// past store.MaxScoreConfigs, in one transaction.
func (s *Store) PutScoreConfig(ctx context.Context, c store.ScoreConfig) (store.ScoreConfig, error) {
	if err := c.Validate(); err != nil {
		return store.ScoreConfig{}, fmt.Errorf("put score config: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return store.ScoreConfig{}, fmt.Errorf("put score config: %w", mapError(err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM score_configs WHERE project_id = ? AND name <> ?`,
		c.ProjectID, c.Name).Scan(&others); err != nil {
		return store.ScoreConfig{}, fmt.Errorf("put score config: %w", mapError(err))
	}
	if others >= store.MaxScoreConfigs {
		return store.ScoreConfig{}, fmt.Errorf("put score config: %w: a project configures at most %d score names", store.ErrInvalid, store.MaxScoreConfigs)
	}
	out, err := scanScoreConfig(tx.QueryRowContext(ctx, `INSERT INTO score_configs (project_id, `+scoreConfigColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (project_id, name) DO UPDATE SET data_type = excluded.data_type, min_value = excluded.min_value,
    max_value = excluded.max_value, labels = excluded.labels, description = excluded.description
RETURNING `+scoreConfigColumns, c.ProjectID, c.Name, string(c.Type), nullFloat(c.Min), nullFloat(c.Max),
		encodeStrings(c.Labels), c.Description, micros(now())))
	if err != nil {
		return store.ScoreConfig{}, fmt.Errorf("put score config: %w", mapError(err))
	}
	if err := tx.Commit(); err != nil {
		return store.ScoreConfig{}, fmt.Errorf("put score config: %w", mapError(err))
	}
	out.ProjectID = c.ProjectID
	return out, nil
}

// ListScoreConfigs returns the project's configurations by name.
func (s *Store) ListScoreConfigs(ctx context.Context, projectID int64) ([]store.ScoreConfig, error) {
	cs, err := queryAll(ctx, s.read, scanScoreConfig,
		`SELECT `+scoreConfigColumns+` FROM score_configs WHERE project_id = ? ORDER BY name`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list score configs: %w", mapError(err))
	}
	for i := range cs {
		cs[i].ProjectID = projectID
	}
	return cs, nil
}

// DeleteScoreConfig removes a configuration.
func (s *Store) DeleteScoreConfig(ctx context.Context, projectID int64, name string) error {
	if err := execOne(ctx, s.write, `DELETE FROM score_configs WHERE project_id = ? AND name = ?`, projectID, name); err != nil {
		return fmt.Errorf("delete score config %q: %w", name, err)
	}
	return nil
}
